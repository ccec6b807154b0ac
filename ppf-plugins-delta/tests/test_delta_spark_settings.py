"""What the Delta plugin asks of a Spark session, and only when a pipeline uses Delta."""

from __future__ import annotations

from importlib.metadata import version

import attrs

from ppf_delta import DeltaSink
from ppf_delta.spark_settings import ppf_spark_session_settings
from pyspark_pipeline_framework.components.files import FileSink, FileSinkConfig
from pyspark_pipeline_framework.core.plugins import load_hook_plugins
from pyspark_pipeline_framework.core.spec import HooksBlock


@attrs.frozen
class _Step:
    name: str
    component_class: type
    config: object


def test_delta_pipeline_gets_the_jar_matching_the_python_package_and_the_catalog():
    answer = ppf_spark_session_settings(component_types=[DeltaSink], steps=[])
    assert answer["packages"] == [f"io.delta:delta-spark_2.13:{version('delta-spark')}"]
    assert answer["conf"]["spark.sql.extensions"] == "io.delta.sql.DeltaSparkSessionExtension"
    assert answer["conf"]["spark.sql.catalog.spark_catalog"] == "org.apache.spark.sql.delta.catalog.DeltaCatalog"


def test_pipeline_without_delta_gets_nothing():
    parquet = _Step("out", FileSink, FileSinkConfig(path="/x", format="parquet"))
    assert ppf_spark_session_settings(component_types=[FileSink], steps=[parquet]) is None


def test_core_file_sink_writing_delta_format_gets_delta_settings():
    delta_files = _Step("out", FileSink, FileSinkConfig(path="/x", format="delta"))
    assert ppf_spark_session_settings(component_types=[FileSink], steps=[delta_files]) is not None


def test_plugin_is_loaded_from_its_entry_point_without_being_enabled():
    manager = load_hook_plugins(HooksBlock()).manager
    assert manager.get_plugin("delta") is not None
    answers = manager.hook.ppf_spark_session_settings(component_types=[DeltaSink], steps=[])
    assert any(a and "io.delta" in a["packages"][0] for a in answers)
