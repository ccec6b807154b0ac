"""Circuit breakers: stop calling a system that keeps failing, try again after a pause."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ..core.errors import PpfError
from ..core.spec import CircuitBreakerSettings


class CircuitOpenError(PpfError):
    """The breaker is open: the call was refused without reaching the component."""


class CircuitBreaker:
    """Closed -> open after ``failure_threshold`` consecutive failures -> half-open after ``timeout``."""

    def __init__(self, name: str, settings: CircuitBreakerSettings, clock: Callable[[], float] = time.monotonic):
        self.name = name
        self.settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.settings.timeout:
            return "half_open"
        return "open"

    def before_call(self) -> None:
        with self._lock:
            state = self._state()
            if state == "open" or (state == "half_open" and self._trial_running):
                remaining = self.settings.timeout - (self._clock() - (self._opened_at or 0))
                raise CircuitOpenError(
                    f"circuit breaker {self.name!r} is open after {self._failures} consecutive failures; "
                    f"calls are refused for another {max(remaining, 0):.0f}s"
                )
            if state == "half_open":
                self._trial_running = True

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_running = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            self._trial_running = False
            if self._opened_at is not None or self._failures >= self.settings.failure_threshold:
                self._opened_at = self._clock()


class BreakerBoard:
    """The breakers of one process, shared by name between steps."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._breakers: dict[str, CircuitBreaker] = {}

    def get(self, name: str, settings: CircuitBreakerSettings) -> CircuitBreaker:
        with self._lock:
            if name not in self._breakers:
                self._breakers[name] = CircuitBreaker(name, settings)
            return self._breakers[name]
