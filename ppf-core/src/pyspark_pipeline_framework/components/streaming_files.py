"""Streaming file sources: files arriving in a directory, read as a stream with a schema given up front."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

import attrs

from pyspark_pipeline_framework.core import CORRUPT_RECORD_COLUMN, Source, SourceConfig

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class StreamPathSourceConfig(SourceConfig):
    #: The directory watched for new files (globs and Hadoop URIs work as in Spark).
    path: str
    #: The files' columns as a DDL string, e.g. "id INT, name STRING": a stream cannot infer it.
    schema: str
    #: Reader options, e.g. { header = "true" } for CSV.
    options: dict[str, str] = attrs.field(factory=dict)
    #: At most this many new files per micro-batch (Spark's maxFilesPerTrigger).
    max_files_per_trigger: int | None = None

    def check(self) -> Iterable[tuple[str, str]]:
        if not self.path.strip():
            yield "path", "must not be empty"
        if not self.schema.strip():
            yield "schema", 'a streaming file source needs the files\' columns, e.g. "id INT, name STRING"'
        if self.max_files_per_trigger is not None and self.max_files_per_trigger < 1:
            yield "max_files_per_trigger", "must be at least 1"


class FileStreamSourceConfig(StreamPathSourceConfig):
    #: Any format Spark streams from files: parquet, csv, json, orc, text.
    format: str = "parquet"


class FileStreamSource(Source[FileStreamSourceConfig]):
    """Reads new files of a directory as a stream; unparsable CSV/JSON records go to the dead letters."""

    fixed_format: str | None = None
    produces_dead_letters = True

    @classmethod
    def produces_dead_letters_with(cls, config: Any) -> bool:
        """Records Spark cannot parse exist only in text formats: CSV and JSON."""
        return (cls.fixed_format or getattr(config, "format", "")) in ("csv", "json")

    @classmethod
    def reads_stream(cls, config: Any) -> bool:
        return True

    def read(self) -> DataFrame:
        from pyspark.sql.types import StringType, StructType

        fmt = self.fixed_format or self.config.format
        schema = cast(StructType, StructType.fromDDL(self.config.schema))  # a StructType for a column list
        options = dict(self.config.options)
        dead_letters = self.context.dead_letters
        if fmt in ("csv", "json") and dead_letters is not None and dead_letters.configured(self.step_name):
            # Records Spark cannot parse keep their raw text; the streaming run diverts them per micro-batch.
            schema = StructType([f for f in schema.fields if f.name != CORRUPT_RECORD_COLUMN]).add(
                CORRUPT_RECORD_COLUMN, StringType()
            )
            options.update(mode="PERMISSIVE", columnNameOfCorruptRecord=CORRUPT_RECORD_COLUMN)
        if self.config.max_files_per_trigger is not None:
            options["maxFilesPerTrigger"] = str(self.config.max_files_per_trigger)
        return self.context.spark.readStream.format(fmt).schema(schema).options(**options).load(self.config.path)


def _fixed(fmt: str, doc: str) -> type:
    name = f"{fmt.capitalize()}StreamSource"
    return type(
        name,
        (FileStreamSource,),
        {
            "fixed_format": fmt,
            "config_class": StreamPathSourceConfig,
            "__doc__": doc,
            "__module__": __name__,
            "__qualname__": name,
        },
    )


ParquetStreamSource = _fixed("parquet", "Reads new Parquet files of a directory as a stream.")
CsvStreamSource = _fixed(
    "csv", "Reads new CSV files of a directory as a stream (unparsable lines go to the dead letters)."
)
JsonStreamSource = _fixed(
    "json", "Reads new JSON Lines files of a directory as a stream (unparsable lines go to the dead letters)."
)
OrcStreamSource = _fixed("orc", "Reads new ORC files of a directory as a stream.")
