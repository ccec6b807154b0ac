"""Circuit breakers: stop calling a system that keeps failing, try again after a pause.

A breaker is closed (calls pass), open after ``failure_threshold`` consecutive failures (calls
fail fast with :class:`CircuitOpenError` and never reach the component), and half-open once
``timeout`` has passed: exactly one trial call goes through; its success closes the breaker, its
failure opens it again.  Steps naming the same breaker share it.  With ``state_file`` the state
survives the process, so a scheduler re-running a pipeline every minute does not hammer a system
that is down for an hour.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from pyspark_pipeline_framework.core.errors import PpfError
from pyspark_pipeline_framework.core.spec import CircuitBreakerSettings
from pyspark_pipeline_framework.runtime.resilience.local_storage import split_location

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"

#: ``(breaker_name, old_state, new_state)``, called after each state change.
StateListener = Callable[[str, str, str], None]


class CircuitOpenError(PpfError):
    """The breaker is open: the call was refused without reaching the component."""

    permanent = True  # another attempt now would be refused the same way


class CircuitBreaker:
    """One breaker; thread-safe.  ``clock`` is wall-clock seconds, so a persisted state keeps its meaning."""

    def __init__(
        self,
        name: str,
        settings: CircuitBreakerSettings,
        clock: Callable[[], float] = time.time,
        store: BreakerStateFile | None = None,
    ):
        self.name = name
        self.settings = settings
        self._clock = clock
        self._store = store
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False
        self._reported = CLOSED
        if store is not None:
            self._adopt(store.load(name))
            self._reported = self._state()

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return CLOSED
        if self._clock() - self._opened_at >= self.settings.timeout:
            return HALF_OPEN
        return OPEN

    def before_call(self, listener: StateListener | None = None) -> None:
        """Let a call through or raise :class:`CircuitOpenError`; in half-open, only one trial passes."""
        with self._lock:
            if self._store is not None:  # another process may have opened or closed it meanwhile
                self._adopt(self._store.load(self.name))
            state = self._state()
            changes = self._changed_to(state)
            if state == OPEN or (state == HALF_OPEN and self._trial_running):
                remaining = self.settings.timeout - (self._clock() - (self._opened_at or 0))
                error = CircuitOpenError(
                    f"circuit breaker {self.name!r} is open after {self._failures} consecutive failures; "
                    + (
                        f"calls are refused for another {max(remaining, 0):.0f}s"
                        if state == OPEN
                        else "a trial call is running"
                    )
                )
            else:
                error = None
                if state == HALF_OPEN:
                    self._trial_running = True
        self._tell(listener, changes)
        if error is not None:
            raise error

    def record_success(self, listener: StateListener | None = None) -> None:
        with self._lock:
            self._trial_running = False
            self._change(lambda entry: {"failures": 0, "opened_at": None})
            changes = self._changed_to(self._state())
        self._tell(listener, changes)

    def record_failure(self, listener: StateListener | None = None) -> None:
        def failed(entry: dict) -> dict:
            failures = int(entry.get("failures") or 0) + 1
            opened_at = entry.get("opened_at")
            if opened_at is not None or failures >= self.settings.failure_threshold:
                opened_at = self._clock()  # a failed trial re-opens for a full timeout
            return {"failures": failures, "opened_at": opened_at}

        with self._lock:
            self._trial_running = False
            self._change(failed)
            changes = self._changed_to(self._state())
        self._tell(listener, changes)

    def _change(self, change: Callable[[dict], dict]) -> None:
        """Apply ``change`` to the breaker's counts: in the state file when there is one, so
        that failures counted by other processes count too."""
        if self._store is not None:
            self._adopt(self._store.update(self.name, change))
        else:
            self._adopt(change({"failures": self._failures, "opened_at": self._opened_at}))

    def _adopt(self, entry: dict) -> None:
        self._failures = int(entry.get("failures") or 0)
        self._opened_at = entry.get("opened_at")

    def _changed_to(self, state: str) -> list[tuple[str, str]]:
        if state == self._reported:
            return []
        changes = [(self._reported, state)]
        self._reported = state
        return changes

    def _tell(self, listener: StateListener | None, changes: list[tuple[str, str]]) -> None:
        if listener is not None:
            for old, new in changes:
                listener(self.name, old, new)


class BreakerStateFile:
    """A small JSON file holding the state of named breakers, one object per name.

    The file may be a local path or a URL of shared storage a plugin serves (``s3a://...``,
    :mod:`.local_storage`).  Every change is an atomic read-modify-write of the storage (an
    exclusive ``flock`` on a local file, a conditional write on S3), and a thread lock within the
    process: processes that share the file see each other's failures and never lose each other's updates.
    """

    _locks: ClassVar[dict[str, threading.Lock]] = {}
    _locks_guard = threading.Lock()

    def __init__(self, path: str | Path):
        self.path = path
        self._storage, self._name = split_location(path)
        key = self._storage.location(self._name)
        with self._locks_guard:
            self._lock = self._locks.setdefault(key, threading.Lock())

    def _read(self, text: str | None) -> dict[str, dict]:
        try:
            data = json.loads(text) if text is not None else {}
        except ValueError:
            return {}  # a torn file means "no history": the breaker starts closed
        return data if isinstance(data, dict) else {}

    def load(self, name: str) -> dict:
        with self._lock:
            entry = self._read(self._storage.read_text(self._name)).get(name)
        return entry if isinstance(entry, dict) else {}

    def update(self, name: str, change: Callable[[dict], dict]) -> dict:
        """Replace the entry of ``name`` by ``change(entry)``, atomically across processes; return it."""
        changed: dict = {}

        def apply(text: str | None) -> str:
            data = self._read(text)
            current = data.get(name)
            changed.update(entry=change(dict(current) if isinstance(current, dict) else {}))
            data[name] = changed["entry"]
            return json.dumps(data, indent=2, sort_keys=True)

        with self._lock:
            self._storage.update(self._name, apply)
        return changed["entry"]


class BreakerBoard:
    """The breakers of one run (or process), shared by name between steps."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._breakers: dict[str, CircuitBreaker] = {}

    def get(self, name: str, settings: CircuitBreakerSettings) -> CircuitBreaker:
        with self._lock:
            if name not in self._breakers:
                store = BreakerStateFile(settings.state_file) if settings.state_file else None
                self._breakers[name] = CircuitBreaker(name, settings, self._clock, store)
            return self._breakers[name]
