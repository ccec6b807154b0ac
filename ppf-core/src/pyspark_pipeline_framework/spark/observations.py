"""Reading a :class:`pyspark.sql.Observation` without ever blocking for long.

``Observation.get`` waits until the query that carries the observation has run, and Spark has had
bugs where it waits forever (a plan that never ran, a failed run, cache reuse).  These helpers
look at the observation's result without blocking and wait at most a bounded time.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from pyspark_pipeline_framework.spark._jvm import observation_future

_POLL_S = 0.01


def read_observed_values(observation: Any, wait_s: float) -> dict[str, Any] | None:
    """All observed values, waiting at most ``wait_s``; ``None`` if not available (never blocks longer)."""
    try:
        future = observation_future(observation)
    except Exception:
        return None
    if future is None:
        return _read_in_thread(observation, wait_s)  # Spark Connect: no future to look at
    try:
        deadline = time.monotonic() + wait_s
        while not future.isCompleted():
            if time.monotonic() >= deadline:
                return None
            time.sleep(_POLL_S)
        return dict(observation.get)  # completed: returns at once (or raises if the query failed)
    except Exception:
        return None


def _read_in_thread(observation: Any, wait_s: float) -> dict[str, Any] | None:
    box: dict[str, dict[str, Any]] = {}

    def read() -> None:
        try:
            box["values"] = dict(observation.get)
        except Exception:
            pass

    reader = threading.Thread(target=read, name="ppf-observation", daemon=True)  # daemon: may never return
    reader.start()
    reader.join(max(wait_s, 0.05))
    return box.get("values")
