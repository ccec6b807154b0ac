"""Spark catalog tables as sources and sinks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from pyspark_pipeline_framework.components.files import WriteMode
from pyspark_pipeline_framework.core import Sink, SinkConfig, Source, SourceConfig

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class TableSourceConfig(SourceConfig):
    #: Table name, optionally qualified: "db.table" or "catalog.db.table".
    table: str


class TableSource(Source[TableSourceConfig]):
    """Reads a table from the Spark catalog."""

    def read(self) -> DataFrame:
        return self.context.spark.table(self.config.table)


class TableSinkConfig(SinkConfig):
    #: Table name, optionally qualified.
    table: str
    mode: WriteMode = "error"
    #: Storage format when the table is created (the catalog's default when unset).
    format: str | None = None
    partition_by: list[str] = attrs.field(factory=list)
    options: dict[str, str] = attrs.field(factory=dict)


class TableSink(Sink[TableSinkConfig]):
    """Writes a DataFrame to a table in the Spark catalog (saveAsTable)."""

    def write(self, df: DataFrame) -> None:
        writer = df.write.mode(self.config.mode).options(**self.config.options)
        if self.config.format:
            writer = writer.format(self.config.format)
        if self.config.partition_by:
            writer = writer.partitionBy(*self.config.partition_by)
        writer.saveAsTable(self.config.table)
