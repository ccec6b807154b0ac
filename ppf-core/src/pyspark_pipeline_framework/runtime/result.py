"""What a run produced: one :class:`StepResult` per step and a :class:`RunResult` for the run."""

from __future__ import annotations

import enum
from typing import Any

import attrs


class StepStatus(str, enum.Enum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    #: Not run because a step it depends on failed.
    NOT_RUN = "not_run"


class ExitCode(enum.IntEnum):
    """Process exit codes of ``ppf`` (documented in the README)."""

    SUCCESS = 0
    PIPELINE_FAILED = 1
    USAGE_OR_CONFIG_ERROR = 2


@attrs.define
class StepResult:
    """How one step ended."""

    name: str
    status: StepStatus = StepStatus.NOT_RUN
    attempts: int = 0
    duration_s: float = 0.0
    error: str | None = None
    metrics: dict[str, Any] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**attrs.asdict(self), "status": self.status.value}


@attrs.define
class RunResult:
    """How a run ended; ``steps`` are in execution order."""

    run_id: str
    pipeline: str
    steps: list[StepResult]
    duration_s: float = 0.0

    @property
    def succeeded(self) -> bool:
        return all(step.status is StepStatus.SUCCEEDED for step in self.steps)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.SUCCESS if self.succeeded else ExitCode.PIPELINE_FAILED

    def step(self, name: str) -> StepResult:
        return next(step for step in self.steps if step.name == name)

    def by_status(self, status: StepStatus) -> list[str]:
        return [step.name for step in self.steps if step.status is status]

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "pipeline": self.pipeline,
            "succeeded": self.succeeded,
            "duration_s": self.duration_s,
            "steps": [step.to_dict() for step in self.steps],
        }
