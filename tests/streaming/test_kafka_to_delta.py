"""Kafka -> DataQuality (quarantine) -> DeltaSink merge against a real broker and real Delta jars."""

from __future__ import annotations

import pytest
from streaming_support import kafka_to_delta_pipeline, mixed_messages

pytestmark = [pytest.mark.spark, pytest.mark.services]


@pytest.mark.kafka_partitions(2)
def test_available_now_writes_every_good_message_once_and_every_bad_one_to_the_dead_letters(
    spark, kafka_broker, kafka_topic, tmp_path, delta_ids, delta_rows
):
    from pyspark_pipeline_framework.testing import run_pipeline_text

    messages, good_ids, dead = mixed_messages(1, 150)
    kafka_broker.produce(kafka_topic, messages)
    text = kafka_to_delta_pipeline(kafka_broker.bootstrap_servers, kafka_topic, tmp_path)

    result = run_pipeline_text(text, spark=spark, directory=tmp_path)

    assert result.succeeded, result.to_dict()
    ids = delta_ids(tmp_path / "users")
    assert sorted(ids) == sorted(good_ids)  # each good message exactly once
    dead_rows = delta_rows(tmp_path / "dead" / "read") + delta_rows(tmp_path / "dead" / "check")
    assert dead_rows == dead
    assert len(ids) + dead_rows == len(messages)
    assert result.step("load").metrics.get("rows_written") is None or result.step("load").metrics["rows_written"] >= 0

    # Nothing new on the topic: a second run commits nothing and changes nothing.
    again = run_pipeline_text(text, spark=spark, directory=tmp_path)
    assert again.succeeded
    assert sorted(delta_ids(tmp_path / "users")) == sorted(good_ids)

    # New messages are picked up from where the checkpoint left off, updates merged by key.
    more, more_good, more_dead = mixed_messages(151, 60)
    kafka_broker.produce(kafka_topic, more)
    assert run_pipeline_text(text, spark=spark, directory=tmp_path).succeeded
    assert sorted(delta_ids(tmp_path / "users")) == sorted(good_ids | more_good)
    assert delta_rows(tmp_path / "dead" / "read") + delta_rows(tmp_path / "dead" / "check") == dead + more_dead


def test_kafka_sink_writes_the_key_column_as_key_and_the_other_columns_as_json(
    spark, kafka_broker, kafka_topic, tmp_path
):
    import json

    from pyspark_pipeline_framework.testing import run_pipeline_text

    source = tmp_path / "users.parquet"
    spark.createDataFrame([(1, "ann", 2.5), (2, "bob", None)], "id INT, name STRING, amount DOUBLE").coalesce(
        1
    ).write.parquet(str(source))
    text = f"""pipeline {{ name = to-kafka, steps = [
      {{ name = read, type = ParquetSource, config {{ path = "{source}" }} }}
      {{ name = publish, type = KafkaSink, config {{ bootstrap_servers = "{kafka_broker.bootstrap_servers}",
         topic = "{kafka_topic}", key_column = id }} }} ] }}"""
    assert run_pipeline_text(text, spark=spark, directory=tmp_path).succeeded
    messages = sorted((m.key.decode(), json.loads(m.value)) for m in kafka_broker.consume_all(kafka_topic))
    assert messages == [("1", {"name": "ann", "amount": 2.5}), ("2", {"name": "bob"})]
