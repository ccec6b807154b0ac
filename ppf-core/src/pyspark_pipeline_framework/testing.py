"""Helpers for testing pipelines and plugins the way ppf tests itself.

    from pyspark_pipeline_framework.testing import run_pipeline_text, local_spark_session

    result = run_pipeline_text(\"\"\"pipeline { name = t, steps = [...] }\"\"\", spark=spark)
    assert result.succeeded

Check a pipeline (:func:`load_and_validate`, :func:`validate_pipeline`), then run it
(:func:`run_validated` in Spark, :func:`run_without_spark` for hook and plugin tests with plain
Python components), or ask which Spark properties its session would get (:func:`session_conf`).
:class:`InlineRegistry` gives test pipelines their components without entry points.

A step's dotted ``type`` (``my_pipelines.transforms.UserAnonymizer``) is imported from the test
process's own import path: unlike the ``ppf`` command line, these helpers do not add the working
directory to ``sys.path``.  Make the project's package importable the way its tests import it
anyway, e.g. pytest's ``pythonpath = ["."]`` setting, or an installed project.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyspark_pipeline_framework.core.context import RunInfo
from pyspark_pipeline_framework.core.pipeline import ResolvedPipeline
from pyspark_pipeline_framework.core.plugins import load_hook_plugins
from pyspark_pipeline_framework.core.registry import ComponentRegistry
from pyspark_pipeline_framework.core.results import RunResult
from pyspark_pipeline_framework.runner.config.preflight import validate, validate_raw
from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file
from pyspark_pipeline_framework.runtime.run.context import RunContext
from pyspark_pipeline_framework.runtime.run.executor import PipelineExecutor
from pyspark_pipeline_framework.runtime.run.launch import run_pipeline, session_plan_for
from pyspark_pipeline_framework.spark import job_group
from pyspark_pipeline_framework.spark.connect import is_connect

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = [
    "InlineRegistry",
    "job_count",
    "load_and_validate",
    "local_spark_session",
    "retries_without_waiting",
    "run_pipeline_file",
    "run_pipeline_text",
    "run_validated",
    "run_without_spark",
    "session_conf",
    "spark_settings_of_installed_plugins",
    "validate_pipeline",
]


class InlineRegistry(ComponentRegistry):
    """A registry that knows only the given classes, by type name: test pipelines need no entry points."""

    def __init__(self, components: Mapping[str, type]):
        super().__init__(eps=[])
        self.components = dict(components)

    def resolve(self, type_name: str) -> type:
        if type_name in self.components:
            return self.components[type_name]
        raise self._not_found(type_name)


def load_and_validate(
    path: str | Path, overrides: Iterable[str] = (), *, registry: ComponentRegistry | None = None
) -> ResolvedPipeline:
    """Read and check a pipeline file as ``ppf validate`` does; raises ``ConfigError`` with every problem.

    ``registry`` finds the steps' components (an :class:`InlineRegistry` for a test's own
    classes); by default the installed ones and dotted paths.
    """
    return validate(load_pipeline_file(path, list(overrides)), registry)


def validate_pipeline(pipeline: Mapping[str, Any], registry: ComponentRegistry | None = None) -> ResolvedPipeline:
    """Check a pipeline given as the contents of its ``pipeline { }`` block (a dict), as ``ppf validate`` would.

    Problems are raised together as ``ConfigError``, with config paths (no file and line: there is
    no file).  ``registry`` as for :func:`load_and_validate`.
    """
    return validate_raw(pipeline, registry)


def run_validated(
    pipeline: ResolvedPipeline,
    *,
    spark: SparkSession | None = None,
    plugins: Iterable[object] = (),
    run_id: str | None = None,
) -> RunResult:
    """Run a pipeline that passed validation, as ``ppf run`` would.

    ``plugins`` are hook plugins (objects) added to the installed and configured ones; ``spark``
    is an existing session to run in, otherwise one is built as the pipeline asks.
    """
    run = RunInfo(pipeline.spec.name, run_id=run_id) if run_id else None
    return run_pipeline(pipeline, spark=spark, extra_plugins=plugins, run=run)


def run_without_spark(
    pipeline: ResolvedPipeline, *, plugins: Iterable[object] = (), run_id: str | None = None
) -> RunResult:
    """Run a validated pipeline whose components hand plain Python values to each other, with no Spark at all.

    For tests of hook plugins and of the run's logic: the hook plugins load, their settings'
    secret references resolve and every hook is called as in a real run, but no session is
    built (a component that asks for ``context.spark`` fails its step).  Streaming pipelines and
    steps deferred to a session need :func:`run_validated`.
    """
    loaded = load_hook_plugins(pipeline.spec.hooks, plugins, settings=pipeline.hook_settings)
    run = RunInfo(pipeline.spec.name, run_id=run_id) if run_id else RunInfo(pipeline.spec.name)
    try:
        return PipelineExecutor(pipeline, RunContext(run, pipeline.spec, secrets=loaded.secrets), loaded.manager).run()
    finally:
        loaded.secrets.close()


def session_conf(pipeline: ResolvedPipeline) -> dict[str, str]:
    """The Spark properties ``ppf run`` would build this pipeline's session with, without starting Spark.

    ppf's own defaults, what the installed hook plugins ask for the pipeline's steps, and the
    pipeline's ``spark.conf``, which wins over both.  Secret references in ``spark.conf`` stay as
    written.
    """
    loaded = load_hook_plugins(pipeline.spec.hooks, settings=pipeline.hook_settings)
    try:
        return dict(session_plan_for(pipeline, loaded.manager).conf)
    finally:
        loaded.secrets.close()


def run_pipeline_file(
    path: str | Path,
    overrides: Iterable[str] = (),
    *,
    spark: SparkSession | None = None,
    plugins: Iterable[object] = (),
    run_id: str | None = None,
    registry: ComponentRegistry | None = None,
) -> RunResult:
    """Validate and run a pipeline file, optionally in an existing Spark session."""
    pipeline = load_and_validate(path, overrides, registry=registry)
    return run_validated(pipeline, spark=spark, plugins=plugins, run_id=run_id)


def run_pipeline_text(
    text: str,
    overrides: Iterable[str] = (),
    *,
    spark: SparkSession | None = None,
    plugins: Iterable[object] = (),
    directory: str | Path | None = None,
    registry: ComponentRegistry | None = None,
) -> RunResult:
    """Run a pipeline given as HOCON text (written to ``directory`` or a temporary one)."""
    folder = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="ppf-test-"))
    path = folder / "pipeline.conf"
    path.write_text(text, encoding="utf-8")
    return run_pipeline_file(path, overrides, spark=spark, plugins=plugins, registry=registry)


def job_count(spark: SparkSession, result: RunResult) -> int:
    """How many Spark jobs the run started (all of them carry the run's job group)."""
    from pyspark_pipeline_framework.spark import jobs_so_far

    return len(jobs_so_far(spark, job_group(result.run_id)))


def retries_without_waiting():
    """Context manager: retries keep each policy's attempt count but sleep no wait (stamina's test mode).

    ``on_retry`` hooks still receive the wait the policy chose, so tests capture waits instead of
    sleeping them.
    """
    import stamina

    return stamina.set_testing(True, attempts=1_000_000, cap=True)


def spark_settings_of_installed_plugins() -> list[Mapping[str, object]]:
    """What every installed plugin asks of a Spark session (all component types), for a shared test session."""
    from pyspark_pipeline_framework.runner.jars import installed_plugin_settings

    return installed_plugin_settings()


def local_spark_session(
    app_name: str = "ppf-tests", conf: Mapping[str, str] | None = None, with_plugins: bool = True
) -> SparkSession:
    """A small local session for tests: 2 cores, few shuffle partitions, no UI, plugin jars loaded."""
    from pyspark_pipeline_framework.core.spec import SparkSettings
    from pyspark_pipeline_framework.runtime.session.builder import build_session, plan_session
    from pyspark_pipeline_framework.runtime.session.logs import quiet_spark_conf

    settings = SparkSettings(
        app_name=app_name,
        master="local[2]",
        conf={
            "spark.sql.shuffle.partitions": "2",
            "spark.ui.enabled": "false",
            "spark.sql.session.timeZone": "UTC",
            **(conf or {}),
        },
    )
    answers = [{"conf": quiet_spark_conf()}, *(spark_settings_of_installed_plugins() if with_plugins else [])]
    session = build_session(plan_session(settings, app_name, answers))
    if not is_connect(session):  # SPARK_REMOTE set: a Connect session, whose server logs as it was set up
        session.sparkContext.setLogLevel("ERROR")
    return session
