"""Spark components used by the integration tests."""

from __future__ import annotations

from pyspark_pipeline_framework.components.files import ParquetSink
from pyspark_pipeline_framework.core import Sink, SinkConfig, Source, SourceConfig, Transform, TransformConfig

#: An accumulator set by the test; every row passing CountRows adds one.
COUNTER = None


class CountRows(Transform[TransformConfig]):
    """Passes rows through unchanged, counting each computation of each row."""

    def transform(self, df):
        counter = COUNTER

        def count(rows):
            for row in rows:
                counter.add(1)
                yield row

        return df.rdd.mapPartitions(count).toDF(df.schema)


class FilteringParquetSourceConfig(SourceConfig):
    path: str
    condition: str


class FilteringParquetSource(Source[FilteringParquetSourceConfig]):
    """A source that filters its own rows: not a plain scan, so its rows must be observed."""

    def read(self):
        return self.context.spark.read.parquet(self.config.path).where(self.config.condition)


class SinkFailingAfterFirstWrite(ParquetSink):
    """Writes its input, then fails on the first attempt only: the retry writes again."""

    attempts = 0

    def write(self, df):
        super().write(df)
        type(self).attempts += 1
        if type(self).attempts == 1:
            raise RuntimeError("lost the connection after writing")


class StreamingParquetSourceConfig(SourceConfig):
    path: str
    schema: str


class StreamingParquetSource(Source[StreamingParquetSourceConfig]):
    """Reads a folder of Parquet files as a stream."""

    def read(self):
        return self.context.spark.readStream.schema(self.config.schema).parquet(self.config.path)


class ForeachBatchSinkConfig(SinkConfig):
    checkpoint: str
    fail: bool = False


#: The ``id`` of every row a ForeachBatchSink step received, by step name.
STREAMED: dict[str, list] = {}


class ForeachBatchSink(Sink[ForeachBatchSinkConfig]):
    """Starts a streaming query over the files there now and returns it, as a streaming sink does."""

    def write(self, df):
        name, fail = self.step_name, self.config.fail

        def batch(frame, batch_id):
            if fail:
                raise ValueError("the batch was refused")
            STREAMED.setdefault(name, []).extend(row.id for row in frame.collect())

        return (
            df.writeStream.foreachBatch(batch)
            .option("checkpointLocation", self.config.checkpoint)
            .trigger(availableNow=True)
            .start()
        )


class NegativesToDeadLettersConfig(TransformConfig):
    #: While this file does not exist, the step creates it and fails after sending its dead letters.
    fail_once_marker: str


class NegativesToDeadLetters(Transform[NegativesToDeadLettersConfig]):
    """Sends rows with a negative ``amount`` to the dead letters, then fails once (a flaky call after the send)."""

    produces_dead_letters = True
    _dead: dict | None = None

    def transform(self, df):
        from pathlib import Path

        self._dead = self.context.dead_letters.send(
            self.step_name, df.filter("amount < 0"), error="negative amount", failed_rules=["negative"]
        )
        marker = Path(self.config.fail_once_marker)
        if not marker.exists():
            marker.touch()
            raise ConnectionError("the service called after the dead letters went away")
        return df.filter("amount >= 0")

    def step_metrics(self, final: bool = False) -> dict:
        return dict(self._dead or {})
