"""Components with Python UDFs defined at module level, as pipeline authors write them.

``@udf("long")`` parses its return type in the JVM, so this module can be imported only while a
Spark session exists.
"""

from __future__ import annotations

from pyspark.sql.functions import udf

from pyspark_pipeline_framework.core import Source, SourceConfig, Transform, TransformConfig


@udf("long")
def plus_one(value):
    return value + 1


@udf("long")
def reject_odd(value):
    if value % 2:
        raise ValueError(f"odd value {value} is not allowed")
    return value


class ColumnConfig(TransformConfig):
    column: str
    output: str


class PlusOne(Transform[ColumnConfig]):
    """``output`` = ``column`` + 1, computed by a Python UDF."""

    def transform(self, df):
        return df.withColumn(self.config.output, plus_one(df[self.config.column]))


class RejectOdd(Transform[ColumnConfig]):
    """A Python UDF that raises on odd values."""

    def transform(self, df):
        return df.withColumn(self.config.output, reject_odd(df[self.config.column]))


class ParquetPlusOneSourceConfig(SourceConfig):
    path: str
    column: str


class ParquetPlusOneSource(Source[ParquetPlusOneSourceConfig]):
    """Reads Parquet and replaces ``column`` by ``column`` + 1, computed by a Python UDF."""

    def read(self):
        df = self.context.spark.read.parquet(self.config.path)
        return df.withColumn(self.config.column, plus_one(df[self.config.column]))
