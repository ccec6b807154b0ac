"""File sources and sinks: parquet, CSV, JSON, ORC (and any other format Spark knows)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, cast

import attrs

from pyspark_pipeline_framework.core import Sink, SinkConfig, Source, SourceConfig

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


class CsvSourceConfig(PathSourceConfig):
    #: With a header row and a ``schema``: fail when the header names other columns than the schema
    #: (in order); ``false`` reads the columns by position whatever the header says.
    check_header: bool = True


class FileSourceConfig(CsvSourceConfig):
    #: Any format Spark reads: parquet, csv, json, orc, text, avro (with its package)...
    format: str = "parquet"


class FileSource(Source[FileSourceConfig]):
    """Reads files in any format Spark supports."""

    fixed_format: str | None = None
    produces_dead_letters = True

    #: Figures for the step result (rows sent to the dead-letter queue).
    _dead: Mapping[str, Any] = {}

    @classmethod
    def produces_dead_letters_with(cls, config: Any) -> bool:
        """Records Spark cannot parse exist only in text formats: CSV and JSON."""
        return (cls.fixed_format or getattr(config, "format", "")) in ("csv", "json")

    @classmethod
    def input_paths(cls, config: Any) -> Iterable[tuple[str, str]]:
        return [("path", config.path)]

    def read(self) -> DataFrame:
        fmt = self.fixed_format or self.config.format
        dead_letters = self.context.dead_letters
        if fmt in ("csv", "json") and dead_letters is not None and dead_letters.configured(self.step_name):
            return self._read_diverting_corrupt_records(fmt, dead_letters)
        reader = self.context.spark.read.format(fmt)
        if self.config.schema:
            reader = reader.schema(self.config.schema)
        return reader.options(**self._checked_options(fmt)).load(self.config.path)

    def step_metrics(self, final: bool = False) -> dict:
        return dict(self._dead)

    def _checked_options(self, fmt: str) -> dict[str, str]:
        """The reader options; a CSV header is first checked against the schema (unless switched off)."""
        from pyspark_pipeline_framework.spark.csv_header import check_csv_header, header_checked, with_schema_enforced

        options = dict(self.config.options)
        if fmt != "csv" or not self.config.schema or not header_checked(options):
            return options
        if not getattr(self.config, "check_header", True):
            return options
        from pyspark.sql.types import StructType

        from pyspark_pipeline_framework.core import CORRUPT_RECORD_COLUMN

        schema = cast(StructType, StructType.fromDDL(self.config.schema))
        names = [f.name for f in schema.fields if f.name != CORRUPT_RECORD_COLUMN]
        check_csv_header(self.context.spark, self.config.path, options, names, self.config_path("")[:-1])
        return with_schema_enforced(options)

    def _read_diverting_corrupt_records(self, fmt: str, dead_letters) -> DataFrame:
        """Records Spark cannot parse (PERMISSIVE mode) go to the dead letters with their raw text."""
        from pyspark.sql import Observation
        from pyspark.sql import functions as F
        from pyspark.sql.types import StringType, StructType

        from pyspark_pipeline_framework.core import CORRUPT_RECORD_COLUMN as CORRUPT

        spark = self.context.spark
        options = {**self._checked_options(fmt), "mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT}
        if self.config.schema:
            schema = cast(StructType, StructType.fromDDL(self.config.schema))  # a column list parses to a struct
        else:  # inferred as usual, then read again with the raw-text column added
            schema = spark.read.format(fmt).options(**options).load(self.config.path).schema
        schema = StructType([f for f in schema.fields if f.name != CORRUPT]).add(CORRUPT, StringType())
        rows = spark.read.format(fmt).schema(schema).options(**options).load(self.config.path)
        # Spark refuses queries on raw CSV/JSON that reference only the corrupt-record column,
        # and prunes columns it does not need (which changes what counts as corrupt): every
        # split below keeps all columns, so both sides see the same parse.
        corrupt = F.col(CORRUPT).isNotNull()
        limit = dead_letters.max_ratio(self.step_name)
        if limit is not None:
            observation = Observation(f"ppf-corrupt-{self.step_name}")
            rows.observe(
                observation, F.count(F.lit(1)).alias("rows"), F.sum(corrupt.cast("long")).alias("dead")
            ).write.format("noop").mode("overwrite").save()
            counted = observation.get
            dead_letters.check_ratio(self.step_name, int(counted["dead"] or 0), int(counted["rows"]))
        self._dead = dead_letters.send(
            self.step_name, rows.filter(corrupt), error=f"unparsable {fmt} record", failed_rules=[f"parse_{fmt}"]
        )
        return rows.filter(~corrupt).drop(CORRUPT)


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

    @classmethod
    def written_records_are_input_rows(cls, config: Any) -> bool:
        from pyspark_pipeline_framework.spark import writes_row_for_row

        return writes_row_for_row(cls.fixed_format or config.format)

    def write(self, df: DataFrame) -> None:
        from pyspark_pipeline_framework.spark import write_staged

        writer = df.write.format(self.fixed_format or self.config.format)
        if self.config.partition_by:
            writer = writer.partitionBy(*self.config.partition_by)
        writer = writer.options(**self.config.options)
        path, mode = self.config.path, self.config.mode
        batch = getattr(self.context, "micro_batch", None)
        if batch is not None:
            # One directory per micro-batch, replaced whole: a batch replayed after a crash rewrites
            # its own files instead of adding them twice.  Spark reads `batch_id` back as a column.
            path, mode = f"{path.rstrip('/')}/batch_id={batch.batch_id}", "overwrite"
        # Written to a staging directory and renamed into place: a failed or killed write leaves
        # the previous data intact (see spark/staged_write.py).  Spark Connect: Spark's own write.
        write_staged(
            df.sparkSession,
            path,
            mode,
            lambda staging: writer.mode("overwrite").save(staging),
            write_in_place=lambda: writer.mode(mode).save(path),
        )


def _fixed(base: type, fmt: str, doc: str) -> type:
    """A format-specific variant: its config has no `format` key, so none can contradict it."""
    config: type
    if base is FileSource:
        config = CsvSourceConfig if fmt == "csv" else PathSourceConfig
    else:
        config = PathSinkConfig
    name = f"{fmt.capitalize()}{base.__name__[4:]}"
    return type(
        name,
        (base,),
        {"fixed_format": fmt, "config_class": config, "__doc__": doc, "__module__": __name__, "__qualname__": name},
    )


ParquetSource = _fixed(FileSource, "parquet", "Reads Parquet files.")
CsvSource = _fixed(FileSource, "csv", 'Reads CSV files (set options { header = "true" } for a header row).')
JsonSource = _fixed(FileSource, "json", "Reads JSON Lines files.")
OrcSource = _fixed(FileSource, "orc", "Reads ORC files.")
ParquetSink = _fixed(FileSink, "parquet", "Writes Parquet files.")
CsvSink = _fixed(FileSink, "csv", "Writes CSV files.")
JsonSink = _fixed(FileSink, "json", "Writes JSON Lines files.")
OrcSink = _fixed(FileSink, "orc", "Writes ORC files.")
