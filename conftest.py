"""Shared fixtures of the whole repository's test suite.

One Spark session for every Spark test in the run (session scope, the testing kit's ``ppf_spark``):
starting a JVM costs ~5 s.
One Kafka broker for every test that needs one (session scope, started on first use).
One Spark Connect server, with Delta and Kafka's connector, for every test that needs one (session scope, started on first use).
One Spark standalone cluster (a master and a worker) for every test that needs one, the same way.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _ppf_cache_dir(tmp_path_factory):
    """ppf's cache of installed entry points lives in the run's temporary directory, not the user's home.

    Every ``ppf`` process a test starts inherits it, so the end-to-end tests run with the cache on.
    """
    os.environ["PPF_CACHE_DIR"] = str(tmp_path_factory.mktemp("ppf-cache"))


@pytest.fixture(scope="session")
def spark(ppf_spark):
    """The testing kit's session (ppf-core's pytest plugin), under the name our tests use."""
    return ppf_spark


def _test_module(name: str, relative: str):
    spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def connect_server(tmp_path_factory):
    """A real Spark Connect server (the installed pyspark's) on 127.0.0.1: ``url`` is its ``sc://`` address.

    It has Delta (delta-spark's jars, extension and catalog) and Spark's Kafka connector, but not
    Delta's Connect plugin, whose artifact is not published for this Delta: one server for every
    Connect test.
    ``PPF_TEST_CONNECT_URL`` names a server already running (``python tests/connect/server.py``)
    to use instead, which saves its start-up while developing.
    """
    module = _test_module("ppf_tests_connect_server", "tests/connect/server.py")
    running = os.environ.get("PPF_TEST_CONNECT_URL")
    if running:
        yield module.RunningServer(running)
        return
    server = module.ConnectServer(tmp_path_factory.mktemp("connect-server"), module.plugin_conf()).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _connect_session(connect_server):
    from pyspark.sql.connect.session import SparkSession

    session = SparkSession.builder.remote(connect_server.url).create()
    yield session
    session.stop()


@pytest.fixture
def connect_spark(_connect_session, monkeypatch):
    """A Spark Connect client session of :func:`connect_server` (no JVM in the test process).

    PySpark decides per process whether ``pyspark.sql.functions`` build Connect or classic columns
    (``SPARK_CONNECT_MODE_ENABLED``, which its builder sets for a Connect session): set for this
    test only, so the classic ``spark`` session of the other tests keeps working.
    """
    monkeypatch.setenv("SPARK_CONNECT_MODE_ENABLED", "1")
    return _connect_session


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


#: A test that starts one of these needs the marker: `nox -s tests` leaves the marked tests to `nox -s scale_out`.
_MARKER_OF_FIXTURE = {"spark_cluster": "cluster", "connect_server": "connect"}


def pytest_collection_modifyitems(config, items):
    unmarked = [
        f"{item.nodeid} uses {fixture} but is not marked {marker}"
        for item in items
        for fixture, marker in _MARKER_OF_FIXTURE.items()
        if fixture in getattr(item, "fixturenames", ()) and item.get_closest_marker(marker) is None
    ]
    if unmarked:
        raise pytest.UsageError("\n".join(unmarked))
