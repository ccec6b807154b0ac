"""A local Spark session for tests, and what a test may ask of it (the jobs a run started)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pyspark_pipeline_framework.spark import job_group
from pyspark_pipeline_framework.spark.connect import is_connect

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from pyspark_pipeline_framework.core.results import RunResult

#: Settings that make a local session quick to start and quiet: every test builds on them.
TEST_SPARK_CONF: Mapping[str, str] = {
    "spark.sql.shuffle.partitions": "2",  # Spark's 200 partitions of a few rows cost more than the work
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.sql.session.timeZone": "UTC",  # timestamps compare the same on every machine
}


def spark_settings_of_installed_plugins() -> list[Mapping[str, object]]:
    """What every installed plugin asks of a Spark session (all component types), for a shared test session."""
    from pyspark_pipeline_framework.runner.jars import installed_plugin_settings

    return installed_plugin_settings()


def local_spark_session(
    app_name: str = "ppf-tests", conf: Mapping[str, str] | None = None, with_plugins: bool = True
) -> SparkSession:
    """A small local session for tests: 2 cores, few shuffle partitions, no UI, quiet logs, plugin jars loaded.

    ``conf`` adds or overrides Spark properties (:data:`TEST_SPARK_CONF` are the defaults);
    ``with_plugins`` asks every installed plugin for what it needs (Delta's jars and extensions, say).
    """
    from pyspark_pipeline_framework.core.spec import SparkSettings
    from pyspark_pipeline_framework.runtime.session.builder import build_session, plan_session
    from pyspark_pipeline_framework.runtime.session.logs import quiet_spark_conf

    settings = SparkSettings(app_name=app_name, master="local[2]", conf={**TEST_SPARK_CONF, **(conf or {})})
    answers = [{"conf": quiet_spark_conf()}, *(spark_settings_of_installed_plugins() if with_plugins else [])]
    session = build_session(plan_session(settings, app_name, answers))
    if not is_connect(session):  # SPARK_REMOTE set: a Connect session, whose server logs as it was set up
        session.sparkContext.setLogLevel("ERROR")
    return session


def job_count(spark: SparkSession, result: RunResult) -> int:
    """How many Spark jobs the run started (all of them carry the run's job group)."""
    from pyspark_pipeline_framework.spark import jobs_so_far

    return len(jobs_so_far(spark, job_group(result.run_id)))
