"""Hook specifications: the points where plugins observe and extend a run.

Hooks are called with keyword arguments; an implementation may accept any subset of them, so
arguments are only ever added here, never renamed.  This module imports nothing heavy: the types
below are for readers and type checkers only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from pyspark_pipeline_framework.core.context import Context
    from pyspark_pipeline_framework.core.pipeline import ResolvedStep
    from pyspark_pipeline_framework.core.results import RunResult, StepResult
    from pyspark_pipeline_framework.core.secrets import SecretResolver
    from pyspark_pipeline_framework.core.spec import PipelineSpec, StepSpec

PROJECT = "ppf"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def pipeline_start(pipeline_name: str, pipeline: PipelineSpec, context: Context) -> None:
    """The run is about to execute its first step; the Spark session exists."""


@hookspec
def pipeline_end(pipeline_name: str, pipeline: PipelineSpec, context: Context, result: RunResult) -> None:
    """The run has finished, successfully or not (``result.cancelled``: by SIGTERM or SIGINT); ``result`` says how each step ended."""


@hookspec
def before_step(step_name: str, step: StepSpec, context: Context) -> None:
    """A step is about to run (called once per step, not per retry attempt)."""


@hookspec
def after_step(
    step_name: str, step: StepSpec, context: Context, result: DataFrame | None, step_result: StepResult
) -> None:
    """A step succeeded; ``result`` is its output DataFrame (for a sink, the DataFrame it wrote)."""


@hookspec
def on_step_error(step_name: str, step: StepSpec, context: Context, error: BaseException) -> None:
    """A step failed for good (after its retries), or was running when the run was cancelled (``RunCancelled``)."""


@hookspec
def on_retry(step_name: str, step: StepSpec, context: Context, attempt: int, wait: float, error: BaseException) -> None:
    """A step attempt failed and will be tried again after ``wait`` seconds."""


@hookspec
def on_circuit_state_change(
    breaker_name: str, old_state: str, new_state: str, step_name: str, context: Context
) -> None:
    """A circuit breaker changed state (``closed``, ``open``, ``half_open``) during ``step_name``."""


@hookspec
def after_micro_batch(
    query_name: str, batch_id: int, figures: dict[str, Any], context: Context, result: RunResult
) -> None:
    """A streaming query committed a micro-batch (called once per batch, after Spark's commit).

    ``figures`` come from Spark's streaming progress and the batch's step results, never from extra
    Spark jobs: ``query``, ``batch_id``, ``rows_in``, ``rows_written``, ``dead_letter_rows``,
    ``duration_s``, ``input_rows_per_s``, ``processed_rows_per_s``, ``offsets_behind_latest`` (Kafka;
    ``None`` elsewhere), ``succeeded``.  ``result`` holds the batch's step results.
    """


@hookspec
def ppf_spark_session_settings(component_types: list[type], steps: list[ResolvedStep]) -> dict[str, Any] | None:
    """Spark settings a plugin needs for the components a pipeline uses.

    ``component_types`` are the component classes of the pipeline's steps; ``steps`` are the
    steps themselves (``name``, ``component_class`` and the structured ``config``), so a plugin
    can answer for what a step's config names, e.g. an ``s3://`` path given to another plugin's
    component.  ``steps`` is empty when a session is built for all installed plugins at once
    (tests), where ``component_types`` holds every installed component.

    Return ``{"packages": [maven coordinates], "conf": {property: value}}`` or ``None``.
    Core merges the answers of all plugins into the session it builds; a user's own
    ``spark.conf`` always wins over a plugin's default.
    """


@hookspec
def ppf_secret_resolvers() -> list[SecretResolver] | None:
    """Secret resolvers a plugin provides, each answering one scheme of ``secret://<scheme>/...``.

    Return a list of objects with a ``scheme`` attribute and a ``resolve(reference) -> str``
    method (see :class:`~.secrets.SecretResolver`), or ``None``.  Called once per run, before the
    session is built; resolvers are asked only when the pipeline holds a reference of their
    scheme, so they should connect lazily.  A resolver may have a ``close()``, called when the
    run ends.  A plugin's own settings may hold references (an AppRole secret id, AWS keys): they
    are resolved, with the other plugins' resolvers, before the plugin is built.  ``ppf validate``
    calls this hook only with ``--check-secrets``.
    """
