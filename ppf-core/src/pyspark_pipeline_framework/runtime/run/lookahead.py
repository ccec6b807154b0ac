"""Look-ahead: components' ``prepare()`` run on a background thread while earlier steps run.

A sink that merges into a table on S3 first has to find the table (a listing of its log): by
the time the sink's turn comes that lookup can already be done, since it needs none of the
sink's input.  The executor starts one daemon thread when the run starts; it builds the
components that override :meth:`~pyspark_pipeline_framework.core.component.Component.prepare`,
in step order, and calls ``prepare()`` on each.  A step takes its prepared component when its
turn comes.  A step whose turn comes before its preparation started does the work itself
(no waiting behind other steps' preparations); one whose preparation is under way waits for it,
since it would otherwise repeat the same lookup.  A preparation that fails is forgotten: the
step builds its component again and meets the problem in its own work, with its own retries.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from pyspark_pipeline_framework.core.errors import error_text

_PENDING, _RUNNING, _DONE, _TAKEN = "pending", "running", "done", "taken"


class Lookahead:
    """Prepares the named steps' components in order on one daemon thread.

    ``build(name)`` returns the step's component with ``prepare()`` called on it.
    """

    def __init__(self, names: Iterable[str], build: Callable[[str], Any], log: Any):
        self._names = list(names)
        self._build = build
        self._log = log
        self._lock = threading.Condition()
        self._state = {name: _PENDING for name in self._names}
        self._prepared: dict[str, Any] = {}
        self._closed = False
        self._thread: threading.Thread | None = None
        if self._names:
            # A daemon: a preparation stuck on an unreachable service must never hold the process.
            self._thread = threading.Thread(target=self._run, name="ppf-lookahead", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        for name in self._names:
            with self._lock:
                if self._closed:
                    return
                if self._state[name] != _PENDING:  # its step came first and did the work itself
                    continue
                self._state[name] = _RUNNING
            component = None
            try:
                component = self._build(name)
            except Exception as error:  # the step meets it again in its own work
                self._log.debug("step_prepare_failed", step=name, error=error_text(error))
            finally:  # whatever happened, a step waiting for this preparation goes on
                with self._lock:
                    if component is not None:
                        self._prepared[name] = component
                    self._state[name] = _DONE
                    self._lock.notify_all()

    def take(self, name: str) -> Any | None:
        """The step's prepared component, or ``None``: then the step builds its own."""
        with self._lock:
            if name not in self._state:
                return None
            if self._state[name] == _PENDING:
                self._state[name] = _TAKEN
                return None
            while self._state[name] == _RUNNING:
                self._lock.wait()
            self._state[name] = _TAKEN
            return self._prepared.pop(name, None)

    def close(self) -> None:
        """Prepare nothing more (the run is over); a preparation under way finishes on its own."""
        with self._lock:
            self._closed = True
            self._prepared.clear()
