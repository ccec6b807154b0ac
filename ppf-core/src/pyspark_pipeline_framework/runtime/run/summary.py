"""The per-step summary lines logged at the end of a run, when every row count is final."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pyspark_pipeline_framework.core.results import SUMMARY_METRICS

if TYPE_CHECKING:
    from pyspark_pipeline_framework.core.results import StepResult


def step_summary(step: StepResult) -> dict[str, Any]:
    """The fields of one step's summary line (``None`` = Spark did not report the figure)."""
    fields: dict[str, Any] = {"status": step.status.value, "duration_s": step.duration_s, "attempts": step.attempts}
    fields.update({key: step.metrics[key] for key in SUMMARY_METRICS if key in step.metrics})
    if step.error:
        fields["error"] = step.error.splitlines()[0][:500]
    return fields


def log_step_summaries(log: Any, steps: Iterable[StepResult]) -> None:
    """One ``step_summary`` line per step, in execution order."""
    for step in steps:
        log.info("step_summary", step=step.name, **step_summary(step))
