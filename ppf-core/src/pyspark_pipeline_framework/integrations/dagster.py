"""Dagster assets that run a ppf pipeline file (``pip install "ppf-core[dagster]"``)::

    from dagster import Definitions
    from pyspark_pipeline_framework.integrations.dagster import ppf_assets

    defs = Definitions(assets=[ppf_assets("pipelines/user_etl.conf", overrides=["spark.master=local[2]"])])

One multi-asset per pipeline, one asset per sink step (its key is the step's name, under
``key_prefix``): materializing them runs the pipeline once, in the step's process, through
:func:`pyspark_pipeline_framework.api.run_pipeline`.  Each sink's materialization carries the
rows and bytes it wrote (``rows_written``, ``bytes_written``: Spark's own figures, no extra job)
and the ppf run id.  The pipeline file is checked when the definitions load, so a configuration
error shows in Dagster's UI before anything runs.

A run with exit code 1 raises ``dagster.Failure`` that a ``RetryPolicy`` may retry; exit code 2
and a cancelled run raise one that is not retried; a partial success (exit code 3) materializes
the sinks that succeeded, or fails (retryable) with ``partial_success_fails=True``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import dagster

from pyspark_pipeline_framework.api import PipelineNotRun, StepStatus, run_pipeline, validate_pipeline
from pyspark_pipeline_framework.core import ComponentKind
from pyspark_pipeline_framework.integrations.outcomes import SchedulerOutcome, result_summary, scheduler_outcome

__all__ = ["ppf_assets"]


def ppf_assets(
    config_path: str | Path,
    *,
    overrides: Sequence[str] = (),
    ledger_dir: str | Path | None = None,
    name: str | None = None,
    key_prefix: Sequence[str] = (),
    group_name: str | None = None,
    partial_success_fails: bool = False,
) -> dagster.AssetsDefinition:
    """The pipeline's sinks as assets of one multi-asset that runs the pipeline.

    ``name`` names the multi-asset's op (default: the pipeline's name, made a valid Dagster name).
    Raises :class:`~pyspark_pipeline_framework.api.PipelineNotRun` when the pipeline file is invalid.
    """
    config_path = str(config_path)
    overrides = list(overrides)
    pipeline = validate_pipeline(config_path, overrides=overrides)
    sinks = [step for step, resolved in pipeline.steps.items() if resolved.component_class.kind == ComponentKind.SINK]
    if not sinks:
        raise PipelineNotRun(f"{config_path}: the pipeline has no sink step to make an asset of", configuration=True)
    keys = {sink: dagster.AssetKey([*key_prefix, sink]) for sink in sinks}
    specs = [
        dagster.AssetSpec(keys[sink], description=f"step {sink} of ppf pipeline {pipeline.spec.name}", skippable=True)
        for sink in sinks
    ]

    # No annotation on ``context``: Dagster checks it as an object, and annotations here are strings.
    @dagster.multi_asset(name=name or re.sub(r"\W", "_", pipeline.spec.name), specs=specs, group_name=group_name)
    def _run(context) -> Iterator[dagster.MaterializeResult]:
        try:
            result = run_pipeline(config_path, overrides=overrides, ledger_dir=ledger_dir)
        except PipelineNotRun as error:  # nothing ran; a retry would stop at the same problem
            raise dagster.Failure(description=f"{config_path}: {error}", allow_retries=False) from None
        summary = result_summary(result)
        context.log.info(
            f"ppf run {result.run_id}: {result.status} (exit code {summary['exit_code']}: {summary['meaning']})"
        )
        outcome = scheduler_outcome(result.exit_code, partial_success_fails=partial_success_fails)
        if outcome is not SchedulerOutcome.SUCCESS:
            failed = {step.name: step.error for step in result.steps if step.error}
            raise dagster.Failure(
                description=f"ppf run {result.run_id} of {config_path}: {result.status}, exit code {summary['exit_code']}",
                metadata={"ppf_run_id": result.run_id, "errors": dagster.MetadataValue.json(failed)},
                allow_retries=outcome is SchedulerOutcome.RETRY,
            )
        for step in result.sinks:
            if step.status is StepStatus.SUCCEEDED:
                yield dagster.MaterializeResult(
                    asset_key=keys[step.name], metadata=_sink_metadata(result.run_id, step.metrics)
                )

    return _run


def _sink_metadata(run_id: str, metrics: dict[str, Any]) -> dict[str, Any]:
    """The sink's figures that Spark reported (a figure it did not report is left out, not shown as 0)."""
    metadata: dict[str, Any] = {"ppf_run_id": run_id}
    for figure in ("rows_written", "bytes_written"):
        if metrics.get(figure) is not None:
            metadata[figure] = dagster.MetadataValue.int(int(metrics[figure]))
    return metadata
