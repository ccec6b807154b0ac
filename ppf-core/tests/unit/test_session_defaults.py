"""ppf's own Spark defaults: below plugins and the pipeline's ``spark.conf``, and revisited with each pyspark."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

from pyspark_pipeline_framework.core.spec import SparkSettings
from pyspark_pipeline_framework.runtime.session.builder import (
    PPF_DEFAULT_CONF,
    PPF_DEFAULT_CONF_CHECKED_WITH,
    plan_session,
)

COLUMNAR_INPUT = "spark.sql.execution.arrow.pythonUDF.columnarInput.enabled"
NOXFILE = Path(__file__).resolve().parents[3] / "noxfile.py"


def test_sessions_turn_off_columnar_input_to_arrow_python_udfs_by_default():
    assert plan_session(SparkSettings(), "p").conf[COLUMNAR_INPUT] == "false"


def test_the_pipelines_spark_conf_wins_over_the_default():
    plan = plan_session(SparkSettings(conf={COLUMNAR_INPUT: "true"}), "p", [{"conf": {COLUMNAR_INPUT: "false"}}])
    assert plan.conf[COLUMNAR_INPUT] == "true"


def test_a_plugin_setting_wins_over_the_default():
    assert plan_session(SparkSettings(), "p", [{"conf": {COLUMNAR_INPUT: "true"}}]).conf[COLUMNAR_INPUT] == "true"


def test_columnar_udf_input_workaround_is_revisited_when_pyspark_changes():
    """The default works around SPARK-58241 in Spark 4.2.0: another pyspark means checking it again."""
    assert COLUMNAR_INPUT in PPF_DEFAULT_CONF
    installed = importlib.metadata.version("pyspark")
    pinned = re.search(r'PYSPARK = "pyspark==([^"]+)"', NOXFILE.read_text()).group(1)
    revisit = (
        "see PPF_DEFAULT_CONF in runtime/session/builder.py: check whether the Spark bug it works around is "
        "fixed in this version, then update PPF_DEFAULT_CONF_CHECKED_WITH"
    )
    assert pinned == PPF_DEFAULT_CONF_CHECKED_WITH, f"noxfile pins pyspark {pinned}; {revisit}"
    assert installed == PPF_DEFAULT_CONF_CHECKED_WITH, f"pyspark {installed} is installed; {revisit}"
