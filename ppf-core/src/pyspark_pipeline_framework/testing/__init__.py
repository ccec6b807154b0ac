"""The testing kit: test pipelines, components and plugins the way ppf tests itself.

    from pyspark_pipeline_framework.testing import assert_dataframe_equal, build_component, run_pipeline

    def test_users_pipeline(ppf_spark):
        users = ppf_spark.createDataFrame([(1, "a@x.org")], "id long, email string")
        run = run_pipeline("pipelines/users.conf", spark=ppf_spark, sources={"users": users})
        assert run.succeeded
        assert_dataframe_equal(run.sink("out"), expected)

Installing ppf-core makes its pytest plugin available (``pyspark_pipeline_framework.pytest_plugin``):
the fixtures ``ppf_spark`` (one local session for the test run), ``ppf_hook_calls`` and
``ppf_log_events``.  By idea:

- :mod:`.pipelines`: :func:`run_pipeline` (a file or HOCON text, named sources replaced by
  DataFrames, sinks captured) and the lower-level helpers that validate and run pipelines;
- :mod:`.components`: :func:`build_component` with a test context, :class:`InlineRegistry`;
- :mod:`.frames`: :func:`assert_dataframe_equal` with a readable diff;
- :mod:`.capture`: :class:`HookCalls` and :func:`capture_log_events`;
- :mod:`.session`: :func:`local_spark_session` with test-friendly settings, :func:`job_count`;
- :mod:`.retries`: :func:`retries_without_waiting`.
"""

from __future__ import annotations

from pyspark_pipeline_framework.testing.capture import HookCall, HookCalls, LogEvents, capture_log_events
from pyspark_pipeline_framework.testing.components import InlineRegistry, build_component, component_context
from pyspark_pipeline_framework.testing.frames import assert_dataframe_equal
from pyspark_pipeline_framework.testing.pipelines import (
    PipelineRun,
    load_and_validate,
    run_pipeline,
    run_pipeline_file,
    run_pipeline_text,
    run_validated,
    run_without_spark,
    session_conf,
    validate_pipeline,
)
from pyspark_pipeline_framework.testing.retries import retries_without_waiting
from pyspark_pipeline_framework.testing.session import (
    job_count,
    local_spark_session,
    spark_settings_of_installed_plugins,
)

__all__ = [
    "HookCall",
    "HookCalls",
    "InlineRegistry",
    "LogEvents",
    "PipelineRun",
    "assert_dataframe_equal",
    "build_component",
    "capture_log_events",
    "component_context",
    "job_count",
    "load_and_validate",
    "local_spark_session",
    "retries_without_waiting",
    "run_pipeline",
    "run_pipeline_file",
    "run_pipeline_text",
    "run_validated",
    "run_without_spark",
    "session_conf",
    "spark_settings_of_installed_plugins",
    "validate_pipeline",
]
