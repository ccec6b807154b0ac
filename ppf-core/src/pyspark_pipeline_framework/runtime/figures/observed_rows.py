"""Row counts of step outputs, observed while the pipeline's own actions run: no extra Spark job.

Each step's output DataFrame gets one :class:`pyspark.sql.Observation` (``count(1)``) attached
with ``DataFrame.observe``.  Spark fills it in when the first action that computes the output
finishes; for a source or transform that is the *consumer's* action (outputs are lazy), so a
step's ``rows_out`` is known only once a downstream sink has written, and final at the end of
the run.  A sink's rows written are the rows of its input, observed as they flow into the write.

Reading an observation never blocks for long: Spark has had bugs where ``Observation.get``
waits forever for a plan that never ran (an output nobody consumed, a failed run, cache reuse).
We look at the observation's future without blocking and wait at most a short, bounded time,
and only for plans we know have run; otherwise the count is reported as missing (``None``).
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from pyspark_pipeline_framework.spark.observations import keep_first_observed_values, read_observed_values

#: How long to wait for an observation whose plan has run (Spark may fill it in just after the
#: action returns, from its listener thread).
EXECUTED_PLAN_WAIT_S = 2.0


class RowObservations:
    """One row-count observation per step output of one run; thread-safe."""

    def __init__(self, run_id: str, enabled: bool = True, *, executed_wait_s: float = EXECUTED_PLAN_WAIT_S):
        self.enabled = enabled
        self._prefix = f"ppf-rows-{run_id}-{uuid.uuid4().hex[:6]}"
        self._executed_wait_s = executed_wait_s
        self._lock = threading.Lock()
        self._observations: dict[str, Any] = {}
        self._rows: dict[str, int | None] = {}

    def observe(self, step_name: str, output: Any) -> Any:
        """``output`` with a row-count observation attached; anything else passes through unchanged."""
        if not self.enabled or not _is_batch_dataframe(output):
            return output
        from pyspark.sql import Observation
        from pyspark.sql import functions as F

        observation = Observation(f"{self._prefix}-{step_name}")
        observed = output.observe(observation, F.count(F.lit(1)).alias("rows"))
        keep_first_observed_values(observation)
        with self._lock:
            self._observations[step_name] = observation
        return observed

    def rows(self, step_name: str, *, executed: bool) -> int | None:
        """Rows of a step's output, or ``None`` if Spark has not reported them.

        ``executed=True`` says an action that computes the output has finished, so the
        observation is worth a short wait; otherwise it is only looked at.
        """
        with self._lock:
            if step_name in self._rows:
                return self._rows[step_name]
            observation = self._observations.get(step_name)
        if observation is None:
            return None
        rows = read_observation(observation, self._executed_wait_s if executed else 0.0)
        if rows is not None:
            with self._lock:
                self._rows[step_name] = rows
        return rows


def read_observation(observation: Any, wait_s: float) -> int | None:
    """The observed ``rows`` of an observation, waiting at most ``wait_s``; ``None`` if not available."""
    values = read_observed_values(observation, wait_s)
    return int(values["rows"]) if values and values.get("rows") is not None else None


def _is_batch_dataframe(output: Any) -> bool:
    if output is None or not hasattr(output, "observe"):
        return False
    try:
        return not output.isStreaming  # Observation does not support streaming DataFrames
    except Exception:
        return False
