"""What a run told its hooks and its log, recorded for a test to assert on.

:class:`HookCalls` is a hook plugin that implements every hook specification and records each
call with its arguments; it is registered with the run's real pluggy plugin manager like any
other plugin (``plugins=[calls]``), so it sees the calls exactly as a plugin author's hook would.
:func:`capture_log_events` records the structlog events logged while it is active.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import threading
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any

import attrs

from pyspark_pipeline_framework.core import hookspecs
from pyspark_pipeline_framework.core.hook import Hook
from pyspark_pipeline_framework.core.hookspecs import hookimpl
from pyspark_pipeline_framework.core.plugins import hook_names


@attrs.frozen
class HookCall:
    """One call of a hook: its name and the keyword arguments it was called with."""

    name: str
    arguments: Mapping[str, Any]

    def __getitem__(self, argument: str) -> Any:
        return self.arguments[argument]


class HookCalls(Hook):
    """A hook plugin that records every hook call of the runs it is given to (``plugins=[calls]``).

    ``calls`` holds them in the order they were made (steps running in parallel interleave);
    :meth:`names` and :meth:`of` select them.  It returns nothing from any hook, so it changes no
    run: ``ppf_spark_session_settings`` and ``ppf_secret_resolvers`` are recorded, not answered.
    """

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[HookCall] = []
        self._lock = threading.Lock()
        for name in hook_names():
            setattr(self, name, self._recorder(name))

    def _recorder(self, name: str) -> Callable[..., None]:
        spec = getattr(hookspecs, name)
        arguments = tuple(inspect.signature(spec).parameters)

        # pluggy reads which arguments to pass from the wrapped specification, and passes them in that order.
        @hookimpl
        @functools.wraps(spec)
        def record(*values: Any) -> None:
            with self._lock:
                self.calls.append(HookCall(name, dict(zip(arguments, values, strict=True))))

        return record

    def names(self, *, step: str | None = None) -> list[str]:
        """The names of the hooks called, in order; ``step`` keeps the calls about that step."""
        return [call.name for call in self.calls if step is None or call.arguments.get("step_name") == step]

    def of(self, name: str) -> list[HookCall]:
        """The calls of hook ``name``, in order (an unknown hook name is an error, not an empty list)."""
        if name not in hook_names():
            raise ValueError(f"no hook named {name!r}; hooks: {', '.join(hook_names())}")
        return [call for call in self.calls if call.name == name]

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()

    def __len__(self) -> int:
        return len(self.calls)

    def __iter__(self) -> Iterator[HookCall]:
        return iter(list(self.calls))


class LogEvents:
    """The structlog events logged while :func:`capture_log_events` was active, each a dict.

    An event's ``event`` key holds its name (``step_succeeded``), ``log_level`` its level, and the
    other keys what was bound or logged with it (``step``, ``run_id``, ``error``...).
    """

    def __init__(self, events: list[MutableMapping[str, Any]]):
        self.events = events

    def names(self) -> list[str]:
        """The events' names, in order."""
        return [event["event"] for event in self.events]

    def named(self, name: str) -> list[MutableMapping[str, Any]]:
        """The events called ``name``, in order."""
        return [event for event in self.events if event["event"] == name]

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[MutableMapping[str, Any]]:
        return iter(list(self.events))


@contextlib.contextmanager
def capture_log_events() -> Iterator[LogEvents]:
    """Record the structlog events logged inside the ``with`` block (ppf's own and the components').

    Events are captured as logged, before rendering (and before the masking of secret values that
    rendering applies).  Captures do not nest: an inner one takes the events of its block.
    """
    from structlog.testing import capture_logs

    with capture_logs() as events:
        yield LogEvents(events)
