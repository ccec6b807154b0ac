"""DeltaSource: read a Delta table by path or name, at a version or timestamp, or its change feed; or as a stream."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

import attrs

from pyspark_pipeline_framework.core import Source, SourceConfig

from .target import check_path_or_table

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class DeltaSourceConfig(SourceConfig):
    #: Table location: a local path or any Hadoop URI (s3://, hdfs://, abfss://...).
    path: str | None = None
    #: Catalog table name instead of a path, e.g. "sales.orders".
    table: str | None = None
    #: Time travel: read the table as of this version (commit number).
    version: int | None = None
    #: Time travel: read the table as of this timestamp, e.g. "2024-05-01" or "2024-05-01 12:00:00".
    timestamp: str | None = None
    #: Keep only these columns (in this order); empty keeps all.
    columns: list[str] = attrs.field(factory=list)
    #: Read the change data feed (row-level inserts, updates, deletes) instead of the table.
    #: Needs the table property delta.enableChangeDataFeed = "true" when the changes were written.
    change_data_feed: bool = False
    #: Change data feed: first version to read (inclusive).
    starting_version: int | None = None
    #: Change data feed: first timestamp to read (inclusive).
    starting_timestamp: str | None = None
    #: Change data feed: last version to read (inclusive); default the latest.
    ending_version: int | None = None
    #: Change data feed: last timestamp to read (inclusive); default the latest.
    ending_timestamp: str | None = None
    #: Further Delta reader options, passed as written.
    options: dict[str, str] = attrs.field(factory=dict)
    #: Read the table as a stream: new commits (or, with change_data_feed, their row-level changes)
    #: become micro-batches of a streaming pipeline.  Without starting_version the stream begins with
    #: the table as it is, then follows its commits.
    streaming: bool = False

    def check(self) -> Iterable[tuple[str, str]]:
        yield from check_path_or_table(self.path, self.table)
        if self.streaming:
            for key, value in (
                ("version", self.version),
                ("timestamp", self.timestamp),
                ("ending_version", self.ending_version),
                ("ending_timestamp", self.ending_timestamp),
            ):
                if value is not None:
                    yield key, "a stream has no end and no time travel; remove it (or streaming = true)"
            if not self.change_data_feed:
                for key, value in (
                    ("starting_version", self.starting_version),
                    ("starting_timestamp", self.starting_timestamp),
                ):
                    if value is not None:
                        yield key, "only applies with change_data_feed = true (or set it in options as startingVersion)"
            elif self.starting_version is not None and self.starting_timestamp is not None:
                yield "starting_timestamp", "give either `starting_version` or `starting_timestamp`, not both"
            return
        if self.version is not None and self.timestamp is not None:
            yield "timestamp", "time travel takes either `version` or `timestamp`, not both"
        if self.version is not None and self.version < 0:
            yield "version", "must be 0 or more"
        feed_keys = {
            "starting_version": self.starting_version,
            "starting_timestamp": self.starting_timestamp,
            "ending_version": self.ending_version,
            "ending_timestamp": self.ending_timestamp,
        }
        if self.change_data_feed:
            if self.version is not None or self.timestamp is not None:
                yield (
                    "change_data_feed",
                    "a change feed read takes starting_/ending_ versions, not `version`/`timestamp`",
                )
            if self.starting_version is None and self.starting_timestamp is None:
                yield "starting_version", "a change feed read needs `starting_version` or `starting_timestamp`"
            if self.starting_version is not None and self.starting_timestamp is not None:
                yield "starting_timestamp", "give either `starting_version` or `starting_timestamp`, not both"
            if self.ending_version is not None and self.ending_timestamp is not None:
                yield "ending_timestamp", "give either `ending_version` or `ending_timestamp`, not both"
        else:
            for key, value in feed_keys.items():
                if value is not None:
                    yield key, "only applies with change_data_feed = true"


class DeltaSource(Source[DeltaSourceConfig]):
    """Reads a Delta table (by path or name), optionally as of a version or timestamp, or its change data feed; or as a stream."""

    @classmethod
    def reads_stream(cls, config: DeltaSourceConfig) -> bool:
        return config.streaming

    def read(self) -> DataFrame:
        config = self.config
        spark = self.context.spark
        reader = spark.readStream.format("delta") if config.streaming else spark.read.format("delta")
        for key, value in self._reader_options().items():
            reader = reader.option(key, value)
        # the config check requires a path or a table
        df = reader.load(config.path) if config.path is not None else reader.table(cast(str, config.table))
        return df.select(*config.columns) if config.columns else df

    def _reader_options(self) -> dict[str, str]:
        config = self.config
        options: dict[str, str] = {}
        if config.version is not None:
            options["versionAsOf"] = str(config.version)
        if config.timestamp is not None:
            options["timestampAsOf"] = config.timestamp
        if config.change_data_feed:
            options["readChangeFeed"] = "true"
            for key, value in (
                ("startingVersion", config.starting_version),
                ("startingTimestamp", config.starting_timestamp),
                ("endingVersion", config.ending_version),
                ("endingTimestamp", config.ending_timestamp),
            ):
                if value is not None:
                    options[key] = str(value)
        return {**options, **config.options}
