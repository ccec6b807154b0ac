"""What a run produced: one :class:`StepResult` per step and a :class:`RunResult` for the run."""

from __future__ import annotations

import enum
import signal
from typing import Any

import attrs

#: Figures of ``StepResult.metrics`` that summaries, the audit log and ``ppf runs show`` report, when present.
SUMMARY_METRICS = ("rows_in", "rows_out", "rows_quarantined", "rows_written", "bytes_written")


class StepStatus(enum.StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    #: Not run because a step it depends on failed.
    NOT_RUN = "not_run"
    #: Failed with ``on_failure = skip``, or not run because a step it depends on was skipped.
    SKIPPED = "skipped"
    #: Running when the run was cancelled (SIGTERM, SIGINT): its Spark jobs were cancelled, its output not committed.
    CANCELLED = "cancelled"


class ExitCode(enum.IntEnum):
    """Process exit codes of ``ppf`` (documented in the README)."""

    SUCCESS = 0
    PIPELINE_FAILED = 1
    USAGE_OR_CONFIG_ERROR = 2
    #: Every failure was tolerated (``on_failure = skip | continue``): the rest of the run succeeded.
    PARTIAL_SUCCESS = 3
    #: Cancelled by SIGINT (Ctrl-C): 128 + 2, as a shell reports a process ended by it.
    INTERRUPTED = 130
    #: Cancelled by SIGTERM (Kubernetes, systemd, Airflow): 128 + 15.
    TERMINATED = 143

    @property
    def meaning(self) -> str:
        """What the code tells a scheduler, in one sentence."""
        return _EXIT_CODE_MEANINGS[self]


_EXIT_CODE_MEANINGS = {
    ExitCode.SUCCESS: "every step succeeded",
    ExitCode.PIPELINE_FAILED: "the pipeline ran and a step failed: running it again may succeed",
    ExitCode.USAGE_OR_CONFIG_ERROR: "usage, configuration or environment error: nothing ran, running it again will not help",
    ExitCode.PARTIAL_SUCCESS: "partial success: every failure was tolerated by on_failure, the rest succeeded",
    ExitCode.INTERRUPTED: "cancelled by SIGINT before every step completed",
    ExitCode.TERMINATED: "cancelled by SIGTERM before every step completed",
}


@attrs.define
class StepResult:
    """How one step ended."""

    name: str
    status: StepStatus = StepStatus.NOT_RUN
    attempts: int = 0
    duration_s: float = 0.0
    error: str | None = None
    metrics: dict[str, Any] = attrs.field(factory=dict)
    #: The step failed but ``on_failure = continue`` let its input flow on to its consumers.
    tolerated: bool = False
    #: Why a step did not run or was skipped.
    reason: str | None = None

    @property
    def failed_for_good(self) -> bool:
        """A failure that stops its dependents and fails the run."""
        return self.status is StepStatus.FAILED and not self.tolerated

    def to_dict(self) -> dict[str, Any]:
        return {**attrs.asdict(self), "status": self.status.value}


@attrs.define
class RunResult:
    """How a run ended; ``steps`` are in execution order."""

    run_id: str
    pipeline: str
    steps: list[StepResult]
    duration_s: float = 0.0
    #: A streaming run that ended because it was asked to stop (SIGTERM, SIGINT), after committing its last batch.
    stopped: bool = False
    #: The signal (its number) that cancelled a batch run before every step completed; ``None`` otherwise.
    cancelled_by: int | None = None
    #: What cancelled it when no signal did: ``"AirflowTaskTimeout"`` (an exception raised into the run),
    #: ``"a stop request"`` (made in code).
    cancel_cause: str | None = None

    @property
    def cancelled(self) -> bool:
        """The run was cancelled by SIGTERM or SIGINT: no step ran after the request, running ones were cancelled."""
        return self.cancelled_by is not None

    @property
    def cancel_reason(self) -> str | None:
        """``"cancelled by SIGTERM"``, ``"cancelled by AirflowTaskTimeout"``...; ``None`` unless cancelled."""
        if self.cancelled_by is None:
            return None
        return f"cancelled by {self.cancel_cause or signal.Signals(self.cancelled_by).name}"

    @property
    def succeeded(self) -> bool:
        return not self.cancelled and all(step.status is StepStatus.SUCCEEDED for step in self.steps)

    @property
    def partial(self) -> bool:
        """Some steps failed or were skipped, and every such failure was tolerated by ``on_failure``."""
        return (
            not self.succeeded
            and not self.cancelled
            and not any(
                step.failed_for_good or step.status in (StepStatus.NOT_RUN, StepStatus.CANCELLED) for step in self.steps
            )
        )

    @property
    def status(self) -> str:
        """The run's outcome in one word, as the run ledger records it: ``succeeded``, ``partial``,
        ``failed``, ``cancelled`` (a batch run, by a signal) or ``stopped`` (a streaming run, by a signal)."""
        if self.cancelled:
            return "cancelled"
        if self.succeeded:
            return "stopped" if self.stopped else "succeeded"
        return "partial" if self.partial else "failed"

    @property
    def exit_code(self) -> ExitCode:
        if self.cancelled:
            return ExitCode(128 + int(self.cancelled_by or 0))
        if self.succeeded:
            return ExitCode.SUCCESS
        return ExitCode.PARTIAL_SUCCESS if self.partial else ExitCode.PIPELINE_FAILED

    @property
    def sinks(self) -> list[StepResult]:
        """The steps that wrote an output (sinks), with ``rows_written`` and ``bytes_written`` in their metrics
        (``None`` where Spark did not report the figure)."""
        return [step for step in self.steps if "rows_written" in step.metrics]

    @property
    def ran(self) -> list[str]:
        """Steps whose component was called (successfully or not)."""
        return [step.name for step in self.steps if step.attempts > 0]

    def step(self, name: str) -> StepResult:
        return next(step for step in self.steps if step.name == name)

    def by_status(self, status: StepStatus) -> list[str]:
        return [step.name for step in self.steps if step.status is status]

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "pipeline": self.pipeline,
            "succeeded": self.succeeded,
            "partial": self.partial,
            "exit_code": int(self.exit_code),
            "ran": self.ran,
            "failed": self.by_status(StepStatus.FAILED),
            "skipped": self.by_status(StepStatus.SKIPPED),
            "not_run": self.by_status(StepStatus.NOT_RUN),
            "duration_s": self.duration_s,
            "stopped": self.stopped,
            "cancelled": self.cancelled,
            "steps": [step.to_dict() for step in self.steps],
        }
