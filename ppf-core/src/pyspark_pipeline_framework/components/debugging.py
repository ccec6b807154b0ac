"""Spark's rate source for demos and benchmarks, and console and memory sinks for looking at results."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pyspark_pipeline_framework.core import Sink, SinkConfig, Source, SourceConfig

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class RateSourceConfig(SourceConfig):
    #: Rows generated per second (Spark's "rate" source).
    rows_per_second: int | None = None
    #: Rows per micro-batch instead, whatever the time (Spark's "rate-micro-batch" source): the
    #: same batches on every run, for tests and benchmarks.
    rows_per_batch: int | None = None
    #: Partitions of the generated rows; Spark's default parallelism when unset.
    num_partitions: int | None = None

    def check(self) -> Iterable[tuple[str, str]]:
        if (self.rows_per_second is None) == (self.rows_per_batch is None):
            yield "rows_per_second", "give either rows_per_second or rows_per_batch"
        for key in ("rows_per_second", "rows_per_batch", "num_partitions"):
            value = getattr(self, key)
            if value is not None and value < 1:
                yield key, "must be at least 1"


class RateSource(Source[RateSourceConfig]):
    """Generates rows (`timestamp`, `value` counting from 0) as a stream, at a rate or per micro-batch."""

    @classmethod
    def reads_stream(cls, config: Any) -> bool:
        return True

    def read(self) -> DataFrame:
        config = self.config
        if config.rows_per_batch is not None:
            reader = self.context.spark.readStream.format("rate-micro-batch").option(
                "rowsPerBatch", config.rows_per_batch
            )
        else:
            reader = self.context.spark.readStream.format("rate").option("rowsPerSecond", config.rows_per_second)
        if config.num_partitions is not None:
            reader = reader.option("numPartitions", config.num_partitions)
        return reader.load()


class ConsoleSinkConfig(SinkConfig):
    #: Rows printed per batch (or per micro-batch).
    num_rows: int = 20
    #: Cut long values to 20 characters.
    truncate: bool = True


class ConsoleSink(Sink[ConsoleSinkConfig]):
    """Prints rows on standard output (for debugging): each micro-batch under a "Batch: N" header."""

    def write(self, df: DataFrame) -> None:
        batch = getattr(self.context, "micro_batch", None)
        if batch is not None:
            print(
                f"-------------------------------------------\nBatch: {batch.batch_id}\n"
                "-------------------------------------------",
                flush=True,
            )
        df.show(self.config.num_rows, truncate=self.config.truncate)


class MemorySinkConfig(SinkConfig):
    #: The rows are kept in the driver as the global temporary view `global_temp.<name>`.
    name: str

    def check(self) -> Iterable[tuple[str, str]]:
        if not self.name.isidentifier():
            yield "name", "must be a plain identifier (letters, digits, underscores)"


_kept: dict[str, list] = {}
_kept_lock = threading.Lock()


class MemorySink(Sink[MemorySinkConfig]):
    """Keeps every row written in driver memory, readable as `global_temp.<name>` (for tests and debugging)."""

    def write(self, df: DataFrame) -> None:
        rows = df.collect()
        with _kept_lock:
            kept = _kept.setdefault(self.config.name, [])
            kept.extend(rows)
            df.sparkSession.createDataFrame(list(kept), df.schema).createOrReplaceGlobalTempView(self.config.name)
