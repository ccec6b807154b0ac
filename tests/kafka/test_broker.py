"""The broker fixture itself: a real Kafka takes messages and gives them back, keys and order kept."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.services


@pytest.mark.kafka_partitions(2)
def test_broker_stores_and_returns_messages(kafka_broker, kafka_topic):
    from kafka import KafkaAdminClient

    sent = [(f"k{i}".encode(), f'{{"id": {i}}}'.encode()) for i in range(20)]
    kafka_broker.produce(kafka_topic, sent)
    received = kafka_broker.consume_all(kafka_topic)
    assert sorted((m.key, m.value) for m in received) == sorted(sent)
    assert {m.partition for m in received} <= {0, 1}
    admin = KafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap_servers)
    try:
        assert len(admin.describe_topics([kafka_topic])[0]["partitions"]) == 2
    finally:
        admin.close()
