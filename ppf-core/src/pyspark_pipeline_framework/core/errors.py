"""Errors raised before and during a run.

Every error the framework raises about a pipeline, its data, its plugins or the machine derives
from :class:`PpfError`; its class says whether another attempt could help (``permanent``), and it
may carry a hint on what to do.  A :class:`ConfigError` carries every problem found in a pipeline
file at once, so a user fixes them in one go instead of one per run.  Each :class:`ConfigIssue`
names the config path, the file and line where known, and a hint.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import attrs


@attrs.frozen
class ConfigIssue:
    """One problem in a pipeline configuration."""

    path: str
    message: str
    hint: str = ""
    file: str | None = None
    line: int | None = None

    def located(self, file: str | None, line: int | None) -> ConfigIssue:
        return attrs.evolve(self, file=file, line=line)

    def render(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        text = f"{where}{self.path}: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def to_dict(self) -> dict[str, object]:
        return attrs.asdict(self)


class PpfError(Exception):
    """Base class of the framework's own errors.

    ``hint`` says what to do about it (the CLI prints it under the message).  A subclass sets
    ``permanent = True`` when another attempt cannot succeed: a ``retry`` block never repeats it.
    """

    #: Whether retrying is pointless (the code, the data or the configuration is wrong, not the weather).
    permanent: ClassVar[bool] = False

    def __init__(self, message: str = "", *, hint: str = ""):
        super().__init__(message)
        self.hint = hint


class PermanentError(PpfError):
    """An error that another attempt cannot fix (bad data, a broken contract): never retried.

    Plugins raise subclasses of it so that a ``retry`` block does not repeat a doomed step.
    """

    permanent = True


class ConfigError(PpfError):
    """The pipeline configuration is invalid; nothing has run."""

    permanent = True

    def __init__(self, issues: Iterable[ConfigIssue]):
        self.issues = list(issues)
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.issues)
        head = f"{count} problem{'s' if count != 1 else ''} in the pipeline configuration:"
        return "\n".join([head, *("  " + i.render().replace("\n", "\n  ") for i in self.issues)])


class EnvironmentProblem(PpfError):
    """The machine cannot run Spark (for example Java is missing or too old)."""

    permanent = True


class DataQualityError(PermanentError):
    """A ``fail`` check failed beyond its tolerance; ``metrics`` holds every check's result."""

    def __init__(self, message: str, metrics: Mapping[str, Any]):
        super().__init__(message)
        self.metrics = dict(metrics)


class RunCancelled(PpfError):
    """The run was cancelled (SIGTERM, SIGINT) while this step ran, or before it started: never retried.

    Hooks see it as the ``error`` of ``on_step_error`` for a step that was running when the run was cancelled.
    """

    permanent = True


def error_message(error: BaseException) -> str:
    """The message of any exception; never raises.

    A Py4J error asks the JVM for its text, and the JVM may be gone (a signal sent to every process
    of the service reaches it too, or it crashed): the message is then its first argument and a
    note saying so.
    """
    try:
        return str(error)
    except Exception:
        first = error.args[0] if error.args and isinstance(error.args[0], str) else ""
        return f"{first.strip()} (the rest of the message is unreadable: {type(error).__name__}'s JVM is gone)"


def error_text(error: BaseException) -> str:
    """``"ErrorType: message"`` of any exception; never raises (see :func:`error_message`)."""
    return f"{type(error).__name__}: {error_message(error)}"
