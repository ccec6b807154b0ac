"""Reading a :class:`pyspark.sql.Observation` without ever blocking for long.

``Observation.get`` waits until the query that carries the observation has run, and Spark has had
bugs where it waits forever (a plan that never ran, a failed run, cache reuse).  These helpers
look at the observation's result without blocking and wait at most a bounded time.
"""

from __future__ import annotations

import time
from typing import Any

from pyspark_pipeline_framework.spark._jvm import keep_first_observed_values, observation_future

__all__ = ["keep_first_observed_values", "read_observed_values"]

_POLL_S = 0.01


def read_observed_values(observation: Any, wait_s: float) -> dict[str, Any] | None:
    """All observed values, waiting at most ``wait_s``; ``None`` if not available (never blocks longer)."""
    try:
        future = observation_future(observation)
    except Exception:
        return None
    if future is None:
        return _poll(observation, wait_s)  # Spark Connect: no future to look at
    try:
        deadline = time.monotonic() + wait_s
        while not future.isCompleted():
            if time.monotonic() >= deadline:
                return None
            time.sleep(_POLL_S)
        return dict(observation.get)  # completed: returns at once (or raises if the query failed)
    except Exception:
        return None


def _poll(observation: Any, wait_s: float) -> dict[str, Any] | None:
    """Spark Connect's ``Observation.get`` never blocks: it is empty until the results of the action
    that ran the observed plan have arrived (then complete at once), or raises for a failed query."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            values = dict(observation.get)
        except Exception:  # not attached to a DataFrame, or its query failed
            return None
        if values:
            return values
        if time.monotonic() >= deadline:
            return None
        time.sleep(_POLL_S)
