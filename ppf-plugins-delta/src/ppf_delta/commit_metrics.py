"""What a MERGE wrote, from Delta's own record of its commit.

Spark's task output metrics do not see the files a MERGE writes (Delta runs those jobs under its
own job descriptions), so ppf's ``bytes_written`` of a merging sink would be 0.  Delta records
what every commit wrote in the commit itself (a MERGE's ``operationMetrics.numTargetBytesAdded``:
the bytes of the files it added);
``DeltaTable.history(1)`` reads the latest commit file on the driver; reading it back costs one
small Spark job (measured in ``tests/test_delta_sink.py``; which of the two collects starts it is
not yet pinned down).  The merge's own result (the rows it inserted,
updated and deleted, also a local DataFrame) tells whether that latest commit is this merge's:
when another writer committed in between, or Delta skipped the merge because this step's
transaction had committed already (a retried attempt), the figure is left unknown rather than
taken from someone else's commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from delta.tables import DeltaTable
    from pyspark.sql import DataFrame

#: The merge result's columns and the commit's operation metrics that must agree.
_SAME_ROWS = {
    "num_inserted_rows": "numTargetRowsInserted",
    "num_updated_rows": "numTargetRowsUpdated",
    "num_deleted_rows": "numTargetRowsDeleted",
}


def merge_output_bytes(table: DeltaTable, outcome: DataFrame | None) -> int | None:
    """Bytes the merge that returned ``outcome`` wrote, per its commit; ``None`` when not known for sure."""
    if outcome is None:
        return None
    try:
        rows = outcome.collect()
        commits = table.history(1).select("operation", "operationMetrics").collect()
    except Exception:  # a figure must never fail the write it describes
        return None
    if len(rows) != 1 or len(commits) != 1:
        return None
    return _bytes_if_same(rows[0].asDict(), commits[0]["operation"], commits[0]["operationMetrics"] or {})


def _bytes_if_same(result: dict[str, Any], operation: str, metrics: dict[str, str]) -> int | None:
    if operation != "MERGE" or "numTargetBytesAdded" not in metrics:
        return None
    for column, metric in _SAME_ROWS.items():
        if column in result and str(result[column]) != metrics.get(metric, "0"):
            return None  # another commit than this merge's
    return int(metrics["numTargetBytesAdded"])
