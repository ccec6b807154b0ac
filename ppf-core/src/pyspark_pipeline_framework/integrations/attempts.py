"""Finding a scheduler task's previous attempt in the run ledger, so that a retry resumes it.

Each attempt is recorded under a run id that ends in the task's key and the try's number
(``20261201T101500-3f2a9c1d-t5e0c1a9b2d-try2``): still sortable by start time, and the newest run
carrying the key is the previous try, whichever other runs share the ledger.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pyspark_pipeline_framework.core.context import new_run_id
from pyspark_pipeline_framework.runner.launching import ledger_location
from pyspark_pipeline_framework.runtime.resilience.ledger import RunLedger

__all__ = ["attempt_run_id", "previous_attempt", "task_key"]

#: Runs in these states left steps to do; a retry resumes them.
_RESUMABLE = frozenset({"failed", "partial", "cancelled", "died"})


def task_key(*parts: object) -> str:
    """A short key for one task of one scheduled run (e.g. DAG id, task id, run id, map index)."""
    return "t" + hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:10]


def attempt_run_id(key: str, try_number: int) -> str:
    """The run id of one attempt of the task ``key``."""
    return f"{new_run_id()}-{key}-try{try_number}"


def previous_attempt(key: str, ledger_dir: str | Path | None = None) -> str | None:
    """The run id of the task's newest recorded attempt, if it left steps to do; ``None`` otherwise
    (no attempt recorded, e.g. it stopped at a configuration error, or it succeeded)."""
    ledger = RunLedger(ledger_location(ledger_dir, given="ledger_dir"))
    attempts = [record for record in ledger.runs() if f"-{key}-try" in str(record.get("run_id"))]
    if not attempts or attempts[-1].get("status") not in _RESUMABLE:
        return None
    return str(attempts[-1]["run_id"])
