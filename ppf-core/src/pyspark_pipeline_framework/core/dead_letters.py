"""The dead-letter interface: where a step sends the rows it cannot pass on.

Components reach it as ``context.dead_letters``.  A dead row keeps its original columns (or,
for an unparsable file record, its raw text in :data:`CORRUPT_RECORD_COLUMN`) and gains the
:data:`ENVELOPE` columns: pipeline, step, run id, the rule(s) it failed, an error message and
the time it was diverted.  What a step sends reaches its sink only once the step's attempt has
succeeded, so a retried step writes its dead letters once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

#: Envelope columns added to every dead row.
ENVELOPE = ("_ppf_pipeline", "_ppf_step", "_ppf_run_id", "_ppf_failed_rules", "_ppf_error", "_ppf_dead_at")
#: Spark's column for the raw text of a record it could not parse (PERMISSIVE mode).
CORRUPT_RECORD_COLUMN = "_corrupt_record"


class DeadLetters(Protocol):
    """The dead-letter sinks of one run, by step name."""

    def configured(self, step_name: str) -> bool:
        """Whether the step has a dead-letter sink."""
        ...

    def max_ratio(self, step_name: str) -> float | None:
        """The step's limit on dead rows / rows read, if any."""
        ...

    def check_ratio(self, step_name: str, dead: int, rows: int) -> None:
        """Raise when ``dead / rows`` exceeds the step's ``max_ratio``."""
        ...

    def send(
        self, step_name: str, rows: DataFrame, *, error: str, failed_rules: Column | Sequence[str] = ()
    ) -> dict[str, Any]:
        """Count ``rows`` with their envelope, kept for the step's sink until its attempt succeeds;
        figures for the step result (``dead_letter_rows``)."""
        ...

    def commit(self, step_name: str) -> None:
        """Write what the step's attempt sent (called by the engine once the attempt has succeeded)."""
        ...

    def discard(self, step_name: str) -> None:
        """Forget what a failed attempt sent (its retry sends it again)."""
        ...
