"""The metrics facade that hooks and components reach as ``context.metrics``.

It records what the framework and user code measure during a run (timers, row counts, gauges)
without touching Spark; exporters (Prometheus, OpenTelemetry) read :meth:`Metrics.snapshot`.
"""

from __future__ import annotations

import threading
import time
from typing import Any


class Metrics:
    """Thread-safe named timers, row counts and gauges for one run."""

    def __init__(self, clock=time.perf_counter):
        self._clock = clock
        self._lock = threading.Lock()
        self._timers: dict[str, float] = {}
        self._durations: dict[str, float] = {}
        self._row_counts: dict[str, int] = {}
        self._gauges: dict[str, float] = {}

    def start_timer(self, name: str) -> None:
        with self._lock:
            self._timers[name] = self._clock()

    def stop_timer(self, name: str) -> float:
        """Seconds since :meth:`start_timer` of the same name."""
        with self._lock:
            started = self._timers.pop(name, None)
            if started is None:
                raise KeyError(f"timer {name!r} was not started")
            elapsed = self._clock() - started
            self._durations[name] = elapsed
            return elapsed

    def record_row_count(self, name: str, count: int | None) -> None:
        """Record a row count; ``None`` (a count Spark did not report) is recorded as missing."""
        if count is None:
            return
        with self._lock:
            self._row_counts[name] = int(count)

    def gauge(self, name: str, value: float) -> None:
        with self._lock:
            self._gauges[name] = float(value)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "durations": dict(self._durations),
                "row_counts": dict(self._row_counts),
                "gauges": dict(self._gauges),
            }
