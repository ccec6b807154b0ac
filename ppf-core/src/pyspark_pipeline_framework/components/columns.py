"""Everyday column transforms: select, rename, cast."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pyspark_pipeline_framework.core import Transform, TransformConfig

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class SelectColumnsConfig(TransformConfig):
    #: Column names or SQL expressions, e.g. ["id", "upper(name) AS name"].
    columns: list[str]

    def check(self) -> Iterable[tuple[str, str]]:
        if not self.columns:
            yield "columns", "must name at least one column"


class SelectColumns(Transform[SelectColumnsConfig]):
    """Keeps (or computes) the listed columns, in that order."""

    def transform(self, df: DataFrame) -> DataFrame:
        return df.selectExpr(*self.config.columns)


class RenameColumnsConfig(TransformConfig):
    #: Old name -> new name.
    columns: dict[str, str]


class RenameColumns(Transform[RenameColumnsConfig]):
    """Renames columns."""

    def transform(self, df: DataFrame) -> DataFrame:
        return df.withColumnsRenamed(self.config.columns)


class CastColumnsConfig(TransformConfig):
    #: Column -> Spark SQL type, e.g. { age = "int", signup = "date" }.
    columns: dict[str, str]


class CastColumns(Transform[CastColumnsConfig]):
    """Casts columns to Spark SQL types."""

    def transform(self, df: DataFrame) -> DataFrame:
        from pyspark.sql import functions as F

        return df.withColumns({name: F.col(name).cast(kind) for name, kind in self.config.columns.items()})
