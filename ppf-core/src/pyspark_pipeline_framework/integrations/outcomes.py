"""What a scheduler makes of a run: its exit code as success, a failure worth retrying, or one that is not;
its result as plain JSON values."""

from __future__ import annotations

import enum
from typing import Any

from pyspark_pipeline_framework.api import ExitCode, RunResult

__all__ = ["SchedulerOutcome", "result_summary", "scheduler_outcome"]


class SchedulerOutcome(enum.StrEnum):
    SUCCESS = "success"
    #: The pipeline ran and failed: a retry may succeed (and resumes where this try stopped).
    RETRY = "retry"
    #: Nothing ran (configuration, usage or environment), or the run was cancelled: a retry would not help.
    FAIL = "fail"


def scheduler_outcome(exit_code: ExitCode, *, partial_success_fails: bool = False) -> SchedulerOutcome:
    """0 succeeds; 3 (partial success) succeeds, or is retried when ``partial_success_fails`` (the retry
    resumes the tolerated failures); 1 is retried; 2 fails without retry, and so does a cancelled run
    (130, 143): the scheduler, or a person, asked it to stop."""
    if exit_code is ExitCode.SUCCESS:
        return SchedulerOutcome.SUCCESS
    if exit_code is ExitCode.PARTIAL_SUCCESS:
        return SchedulerOutcome.RETRY if partial_success_fails else SchedulerOutcome.SUCCESS
    if exit_code is ExitCode.PIPELINE_FAILED:
        return SchedulerOutcome.RETRY
    return SchedulerOutcome.FAIL


def result_summary(result: RunResult) -> dict[str, Any]:
    """A run's result as plain JSON values: status, exit code and its meaning, each step's status and
    figures, and each sink's rows and bytes written."""
    return {
        "run_id": result.run_id,
        "pipeline": result.pipeline,
        "status": result.status,
        "exit_code": int(result.exit_code),
        "meaning": result.exit_code.meaning,
        "steps": {
            step.name: {"status": step.status.value, "attempts": step.attempts, "error": step.error, **step.metrics}
            for step in result.steps
        },
        "sinks": {
            step.name: {
                "rows_written": step.metrics["rows_written"],
                "bytes_written": step.metrics.get("bytes_written"),
            }
            for step in result.sinks
        },
    }
