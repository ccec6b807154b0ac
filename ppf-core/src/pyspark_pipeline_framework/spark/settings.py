"""Spark session settings changed for the statements of one block, and put back afterwards.

Session settings are shared by every thread of the application, so a change is seen by whatever
another thread plans meanwhile.  Two shapes, for two needs:

* :func:`session_settings`: exact values for one statement (e.g. Delta's idempotent-write
  transaction id); blocks run one at a time, and nest on one thread.
* :func:`adaptive_execution_off`: adaptive query execution off while one or more passes are
  planned and run; concurrent blocks share the change, and the last to end restores the setting.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

ADAPTIVE = "spark.sql.adaptive.enabled"

_exclusive = threading.RLock()
_adaptive_lock = threading.Lock()
_adaptive_off_blocks = 0  # running now, on any thread
_adaptive_before: str | None = None  # the session's setting, restored when the last block ends


@contextmanager
def session_settings(spark: Any, settings: Mapping[str, str]) -> Iterator[None]:
    """``settings`` in force inside the block; each key's previous value (or absence) after it."""
    with _exclusive:
        before = {key: spark.conf.get(key, None) for key in settings}
        for key, value in settings.items():
            spark.conf.set(key, value)
        try:
            yield
        finally:
            for key, value in before.items():
                if value is None:
                    spark.conf.unset(key)
                else:
                    spark.conf.set(key, value)


@contextmanager
def adaptive_execution_off(spark: Any) -> Iterator[None]:
    """Adaptive query execution off while the block plans and runs its queries.

    Adaptive execution runs every shuffle stage as a Spark job of its own and reports no output
    partitioning for the plans it runs; without it a shuffle is a stage of the query's one job,
    and a checkpoint of the result remembers how its rows are partitioned.  A query planned on
    another thread meanwhile is planned without adaptive execution too (same results, perhaps a
    less tuned plan).
    """
    global _adaptive_off_blocks, _adaptive_before
    with _adaptive_lock:
        if _adaptive_off_blocks == 0:
            _adaptive_before = spark.conf.get(ADAPTIVE, None)
            spark.conf.set(ADAPTIVE, "false")
        _adaptive_off_blocks += 1
    try:
        yield
    finally:
        with _adaptive_lock:
            _adaptive_off_blocks -= 1
            if _adaptive_off_blocks == 0:
                if _adaptive_before is None:
                    spark.conf.unset(ADAPTIVE)
                else:
                    spark.conf.set(ADAPTIVE, _adaptive_before)
