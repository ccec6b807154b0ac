"""Shared fixtures of the whole repository's test suite.

One Spark session for every Spark test in the run (session scope, the testing kit's ``ppf_spark``):
starting a JVM costs ~5 s.
One Kafka broker for every test that needs one (session scope, started on first use).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def spark(ppf_spark):
    """The testing kit's session (ppf-core's pytest plugin), under the name our tests use."""
    return ppf_spark


def _broker_module():
    path = Path(__file__).parent / "tests" / "kafka" / "broker.py"
    spec = importlib.util.spec_from_file_location("ppf_tests_kafka_broker", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory):
    """A real Kafka broker (KRaft, single node) on 127.0.0.1: ``bootstrap_servers``, ``create_topic``, ``produce``."""
    broker = _broker_module().KafkaBroker(tmp_path_factory.mktemp("kafka-broker")).start()
    yield broker
    broker.stop()


@pytest.fixture
def kafka_topic(kafka_broker, request):
    """A fresh topic (one partition unless the test's ``kafka_partitions`` marker says otherwise)."""
    import re
    import uuid

    marker = request.node.get_closest_marker("kafka_partitions")
    name = re.sub(r"[^A-Za-z0-9._-]", "-", request.node.name)[:80] + "-" + uuid.uuid4().hex[:6]
    return kafka_broker.create_topic(name, partitions=marker.args[0] if marker else 1)
