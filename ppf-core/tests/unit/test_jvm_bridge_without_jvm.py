"""Without a driver JVM (Spark Connect) every handle of ``spark/_jvm.py`` is absent, never an error."""

from __future__ import annotations

from types import SimpleNamespace

from pyspark_pipeline_framework.spark import _jvm


class _ConnectSession:
    """What a Spark Connect session offers here: no SparkContext, no JVM attributes."""

    @property
    def sparkContext(self):
        raise RuntimeError("[JVM_ATTRIBUTE_NOT_SUPPORTED] sparkContext is not supported in Spark Connect")


def test_a_session_without_a_jvm_has_no_status_stores_no_bus_and_no_file_system():
    session = _ConnectSession()
    assert _jvm.status_store(session) is None
    assert _jvm.sql_status_store(session) is None
    assert _jvm.wait_for_listener_bus(session, 10) is False
    assert _jvm.hadoop_file_system(session) is None


def test_a_dataframe_or_observation_without_a_jvm_has_no_plan_and_no_future():
    assert _jvm.optimized_plan(SimpleNamespace(isStreaming=False)) is None
    assert _jvm.observation_future(SimpleNamespace(get={})) is None
