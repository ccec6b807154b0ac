"""Which commit's figures a merge reports: its own only (no JVM; the Spark side is in test_delta_sink.py)."""

from __future__ import annotations

from ppf_delta.commit_metrics import _bytes_if_same

MERGE = {
    "numTargetRowsInserted": "2",
    "numTargetRowsUpdated": "1",
    "numTargetRowsDeleted": "0",
    "numTargetBytesAdded": "1234",
}
RESULT = {"num_affected_rows": 3, "num_inserted_rows": 2, "num_updated_rows": 1, "num_deleted_rows": 0}


def test_the_merges_own_commit_gives_its_bytes():
    assert _bytes_if_same(RESULT, "MERGE", MERGE) == 1234


def test_another_writers_commit_or_a_skipped_merge_gives_no_figure():
    assert _bytes_if_same(RESULT, "WRITE", {**MERGE}) is None  # someone appended since
    assert _bytes_if_same(RESULT, "MERGE", {**MERGE, "numTargetRowsInserted": "5"}) is None  # another merge
    skipped = {"num_affected_rows": 0, "num_inserted_rows": 0, "num_updated_rows": 0, "num_deleted_rows": 0}
    assert _bytes_if_same(skipped, "MERGE", MERGE) is None
    assert _bytes_if_same(RESULT, "MERGE", {k: v for k, v in MERGE.items() if k != "numTargetBytesAdded"}) is None
