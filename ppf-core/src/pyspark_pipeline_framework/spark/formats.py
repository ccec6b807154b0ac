"""Facts about Spark's file formats that a sink needs to report its figures."""

from __future__ import annotations

#: Formats whose write puts out exactly one record per input row and runs no other job.
ROW_FOR_ROW_FORMATS = frozenset({"parquet", "orc", "csv", "json", "text", "avro"})


def writes_row_for_row(fmt: str) -> bool:
    """Whether Spark's count of the records a write of ``fmt`` puts out equals its input rows."""
    return fmt.lower() in ROW_FOR_ROW_FORMATS
