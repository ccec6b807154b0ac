"""Shared fixtures of the whole repository's test suite.

One Spark session for every Spark test in the run (session scope): starting a JVM costs ~5 s.
One Kafka broker for every test that needs one (session scope, started on first use).
One Spark standalone cluster (a master and a worker) for every test that needs one, the same way.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    from pyspark_pipeline_framework.testing import local_spark_session

    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = local_spark_session(conf={"spark.sql.warehouse.dir": str(warehouse)})
    yield session
    session.stop()


def _test_module(name: str, relative_path: str):
    """A helper module of tests/ loaded by file (tests/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / relative_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _broker_module():
    return _test_module("ppf_tests_kafka_broker", "tests/kafka/broker.py")


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


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory):
    """A real Spark standalone cluster on 127.0.0.1: ``master_url``, ``env`` (for drivers), ``log_tail()``.

    One master and one worker (1 core, 1 GB), whose executors run the test environment's python.
    The daemons' logs stay in the fixture's tmp folder after the run.
    """
    module = _test_module("ppf_tests_spark_standalone", "tests/cluster/standalone.py")
    cluster = module.StandaloneCluster(tmp_path_factory.mktemp("spark-standalone")).start()
    yield cluster
    cluster.stop()
