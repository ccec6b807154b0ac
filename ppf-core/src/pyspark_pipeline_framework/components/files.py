"""File sources and sinks: parquet, CSV, JSON, ORC (and any other format Spark knows)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

import attrs

from ..core import Sink, SinkConfig, Source, SourceConfig

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

WriteMode = Literal["append", "overwrite", "error", "errorifexists", "ignore"]


class PathSourceConfig(SourceConfig):
    #: File or directory; globs and Hadoop URIs (hdfs://, file://) work as in Spark.
    path: str
    #: Reader options, e.g. { header = "true", inferSchema = "true" } for CSV.
    options: dict[str, str] = attrs.field(factory=dict)
    #: Optional schema as a DDL string, e.g. "id INT, name STRING"; skips schema inference.
    schema: str | None = None

    def check(self) -> Iterable[tuple[str, str]]:
        if not self.path.strip():
            yield "path", "must not be empty"


class FileSourceConfig(PathSourceConfig):
    #: Any format Spark reads: parquet, csv, json, orc, text, avro (with its package)...
    format: str = "parquet"


class FileSource(Source[FileSourceConfig]):
    """Reads files in any format Spark supports."""

    fixed_format: str | None = None

    def read(self) -> DataFrame:
        reader = self.context.spark.read.format(self.fixed_format or self.config.format)
        if self.config.schema:
            reader = reader.schema(self.config.schema)
        return reader.options(**self.config.options).load(self.config.path)


class PathSinkConfig(SinkConfig):
    #: Target directory.
    path: str
    #: What to do when the target exists.
    mode: WriteMode = "error"
    #: Columns to partition the output by.
    partition_by: list[str] = attrs.field(factory=list)
    #: Writer options, e.g. { compression = "zstd" }.
    options: dict[str, str] = attrs.field(factory=dict)

    def check(self) -> Iterable[tuple[str, str]]:
        if not self.path.strip():
            yield "path", "must not be empty"


class FileSinkConfig(PathSinkConfig):
    #: Any format Spark writes: parquet, csv, json, orc...
    format: str = "parquet"


class FileSink(Sink[FileSinkConfig]):
    """Writes files in any format Spark supports."""

    fixed_format: str | None = None

    def write(self, df: DataFrame) -> None:
        writer = df.write.format(self.fixed_format or self.config.format).mode(self.config.mode)
        if self.config.partition_by:
            writer = writer.partitionBy(*self.config.partition_by)
        writer.options(**self.config.options).save(self.config.path)


def _fixed(base: type, fmt: str, doc: str) -> type:
    """A format-specific variant: its config has no `format` key, so none can contradict it."""
    config = PathSourceConfig if base is FileSource else PathSinkConfig
    name = f"{fmt.capitalize()}{base.__name__[4:]}"
    return type(name, (base,), {"fixed_format": fmt, "config_class": config, "__doc__": doc,
                                "__module__": __name__, "__qualname__": name})


ParquetSource = _fixed(FileSource, "parquet", "Reads Parquet files.")
CsvSource = _fixed(FileSource, "csv", "Reads CSV files (set options { header = \"true\" } for a header row).")
JsonSource = _fixed(FileSource, "json", "Reads JSON Lines files.")
OrcSource = _fixed(FileSource, "orc", "Reads ORC files.")
ParquetSink = _fixed(FileSink, "parquet", "Writes Parquet files.")
CsvSink = _fixed(FileSink, "csv", "Writes CSV files.")
JsonSink = _fixed(FileSink, "json", "Writes JSON Lines files.")
OrcSink = _fixed(FileSink, "orc", "Writes ORC files.")
