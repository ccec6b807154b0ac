"""Kafka through Spark's own connector: ``KafkaSource`` (a stream) and ``KafkaSink`` (batch or per micro-batch).

Spark's Kafka package for the running Spark version is added to the session when a pipeline uses
either (see :mod:`.kafka_settings`).  Settings Kafka and Spark accept beyond the named keys go in
``options``; Kafka client settings there start with ``kafka.`` as in Spark (security settings may
be ``secret://`` references, resolved when the step starts).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal, cast

import attrs

from pyspark_pipeline_framework.core import CORRUPT_RECORD_COLUMN, Sink, SinkConfig, Source, SourceConfig

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

#: The columns Spark's Kafka source gives, passed on as they are when no ``schema`` is set.
RAW_COLUMNS = ("key", "value", "topic", "partition", "offset", "timestamp")
_NAMED_OPTIONS = {
    "kafka.bootstrap.servers": "bootstrap_servers",
    "subscribe": "topic",
    "subscribePattern": "pattern",
    "assign": "topics",
    "startingOffsets": "starting_offsets",
    "topic": "topic",
}


class KafkaSourceConfig(SourceConfig):
    #: Comma-separated host:port list of the brokers, e.g. "broker1:9092,broker2:9092".
    bootstrap_servers: str
    #: The topic to read; or several with `topics`, or a regular expression with `pattern`.
    topic: str | None = None
    #: Several topics to read, instead of `topic`.
    topics: list[str] = attrs.field(factory=list)
    #: A Java regular expression of the topics to read (Spark's subscribePattern), instead of `topic`.
    pattern: str | None = None
    #: Where a query without a checkpoint starts: "earliest" or "latest" (a restarted query resumes
    #: from its checkpoint instead).
    starting_offsets: Literal["earliest", "latest"] = "latest"
    #: The message value as JSON with these columns (a DDL string, e.g. "id BIGINT NOT NULL, name STRING").
    #: A value that is not JSON, or lacks a NOT NULL column, goes to the step's dead-letter sink with
    #: its raw text.  Without a schema the raw key, value, topic, partition, offset and timestamp come through.
    schema: str | None = None
    #: Further options of Spark's Kafka source, e.g. { "maxOffsetsPerTrigger" = "10000",
    #: "kafka.security.protocol" = "SASL_SSL", "kafka.sasl.jaas.config" = "secret://vault/kafka#jaas" }.
    options: dict[str, str] = attrs.field(factory=dict)

    def check(self) -> Iterable[tuple[str, str]]:
        given = [
            key for key, value in (("topic", self.topic), ("topics", self.topics), ("pattern", self.pattern)) if value
        ]
        if not given:
            yield "topic", "name the topic to read (or `topics = [...]`, or a regular expression as `pattern`)"
        elif len(given) > 1:
            yield given[1], f"give one of topic, topics and pattern, not {' and '.join(given)}"
        if not self.bootstrap_servers.strip():
            yield "bootstrap_servers", "must not be empty"
        yield from _named_in_options(
            self.options, ("kafka.bootstrap.servers", "subscribe", "subscribePattern", "startingOffsets")
        )


def _named_in_options(options: dict[str, str], keys: Iterable[str]) -> Iterable[tuple[str, str]]:
    for key in keys:
        if key in options:
            yield f"options.{key}", f"is set by the step's own key `{_NAMED_OPTIONS[key]}`; set it there"


class KafkaSource(Source[KafkaSourceConfig]):
    """Reads a Kafka topic as a stream (Spark's Kafka connector); with `schema`, the values parsed from JSON."""

    produces_dead_letters = True

    @classmethod
    def produces_dead_letters_with(cls, config: Any) -> bool:
        """Values that do not parse as the schema's JSON: only with a ``schema``."""
        return config.schema is not None

    @classmethod
    def reads_stream(cls, config: Any) -> bool:
        return True

    def read(self) -> DataFrame:
        config = self.config
        reader = (
            self.context.spark.readStream.format("kafka")
            .option("kafka.bootstrap.servers", config.bootstrap_servers)
            .option("startingOffsets", config.starting_offsets)
        )
        if config.topic:
            reader = reader.option("subscribe", config.topic)
        elif config.topics:
            reader = reader.option("subscribe", ",".join(config.topics))
        else:
            reader = reader.option("subscribePattern", str(config.pattern))
        raw = reader.options(**config.options).load()
        if config.schema is None:
            return raw.select(*RAW_COLUMNS)
        dead_letters = self.context.dead_letters
        keep_bad_rows = dead_letters is not None and dead_letters.configured(self.step_name)
        return parse_json_values(raw.value.cast("string"), config.schema, keep_bad_rows, raw)


def parse_json_values(text: Column, ddl: str, keep_bad_rows: bool, df: DataFrame) -> DataFrame:
    """``df``'s JSON ``text`` as the columns of ``ddl``.

    With ``keep_bad_rows``, a value that is not a JSON object or lacks a ``NOT NULL`` column keeps
    its raw text in :data:`CORRUPT_RECORD_COLUMN` (null for good rows): the streaming run sends such
    rows to the step's dead letters, once per micro-batch.  Without it they come through with nulls.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    schema = cast(StructType, StructType.fromDDL(ddl))  # a StructType for a column list
    required = [field.name for field in schema.fields if not field.nullable]
    with_corrupt = StructType(
        [
            *(StructField(f.name, f.dataType, True) for f in schema.fields if f.name != CORRUPT_RECORD_COLUMN),
            StructField(CORRUPT_RECORD_COLUMN, StringType(), True),
        ]
    )
    parsed = df.select(
        text.alias("__ppf_text"),
        F.from_json(
            text, with_corrupt, {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT_RECORD_COLUMN}
        ).alias("__ppf_json"),
    )
    columns = [F.col(f"__ppf_json.`{f.name}`").alias(f.name) for f in schema.fields]
    if not keep_bad_rows:
        return parsed.select(*columns)
    bad = F.col(f"__ppf_json.`{CORRUPT_RECORD_COLUMN}`").isNotNull() | F.col("__ppf_json").isNull()
    for name in required:
        bad = bad | F.col(f"__ppf_json.`{name}`").isNull()
    corrupt = F.when(bad, F.coalesce(F.col("__ppf_text"), F.lit(""))).alias(CORRUPT_RECORD_COLUMN)
    return parsed.select(*columns, corrupt)


class KafkaSinkConfig(SinkConfig):
    #: Comma-separated host:port list of the brokers.
    bootstrap_servers: str
    #: The topic written to.
    topic: str
    #: The column whose value (as a string) becomes the message key; messages have no key without it.
    key_column: str | None = None
    #: Further options of Spark's Kafka writer, e.g. { "kafka.compression.type" = "zstd" }.
    options: dict[str, str] = attrs.field(factory=dict)

    def check(self) -> Iterable[tuple[str, str]]:
        if not self.topic.strip():
            yield "topic", "must not be empty"
        if not self.bootstrap_servers.strip():
            yield "bootstrap_servers", "must not be empty"
        yield from _named_in_options(self.options, ("kafka.bootstrap.servers", "topic"))


class KafkaSink(Sink[KafkaSinkConfig]):
    """Writes rows to a Kafka topic: the key column as the message key, the other columns as a JSON value.

    Kafka writes are at least once: a micro-batch replayed after a crash may be written again.
    """

    def write(self, df: DataFrame) -> None:
        from pyspark.sql import functions as F

        config = self.config
        others = [F.col(f"`{c}`") for c in df.columns if c != config.key_column]
        key = F.col(f"`{config.key_column}`").cast("string") if config.key_column else F.lit(None).cast("string")
        (
            df.select(key.alias("key"), F.to_json(F.struct(*others)).alias("value"))
            .write.format("kafka")
            .option("kafka.bootstrap.servers", config.bootstrap_servers)
            .option("topic", config.topic)
            .options(**config.options)
            .save()
        )
