"""The metrics facade that hooks and components reach as ``context.metrics``.

It records what the framework and user code measure during a run (timers, row counts, counters,
gauges) without touching Spark; exporters read :meth:`Metrics.snapshot` when the run ends (the
metrics plugin, ppf-plugins-metrics, exports it with the step figures).
"""

from __future__ import annotations

import threading
import time
from typing import Any


class Metrics:
    """Thread-safe named timers, row counts, counters and gauges for one run."""

    def __init__(self, clock=time.perf_counter):
        self._clock = clock
        self._lock = threading.Lock()
        self._timers: dict[str, float] = {}
        self._durations: dict[str, float] = {}
        self._row_counts: dict[str, int] = {}
        self._counters: dict[str, float] = {}
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

    def increment(self, name: str, amount: float = 1) -> None:
        """Add ``amount`` to a counter (a run's total: API calls made, files skipped...)."""
        with self._lock:
            self._counters[name] = self._counters.get(name, 0) + amount

    def gauge(self, name: str, value: float) -> None:
        """Set a value that is reported as last set (a lag, a size, a ratio)."""
        with self._lock:
            self._gauges[name] = float(value)

    def snapshot(self) -> dict[str, Any]:
        """What was recorded so far: ``durations`` (seconds of stopped timers), ``row_counts``,
        ``counters`` and ``gauges``, each a dict by name."""
        with self._lock:
            return {
                "durations": dict(self._durations),
                "row_counts": dict(self._row_counts),
                "counters": dict(self._counters),
                "gauges": dict(self._gauges),
            }
