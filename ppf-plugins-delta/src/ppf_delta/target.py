"""Where a Delta table lives: a path (any Hadoop URI) or a catalog table name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def check_path_or_table(path: str | None, table: str | None) -> Iterable[tuple[str, str]]:
    """Exactly one of ``path`` and ``table`` must be given."""
    if path is None and table is None:
        yield "path", "give the table's location as `path` (or a catalog name as `table`)"
    elif path is not None and table is not None:
        yield "table", "give either `path` or `table`, not both"
    elif path is not None and not path.strip():
        yield "path", "must not be empty"
    elif table is not None and not table.strip():
        yield "table", "must not be empty"


def describe(path: str | None, table: str | None) -> str:
    return path if path is not None else f"table {table}"


def existing_table(spark: SparkSession, path: str | None, table: str | None):
    """The ``DeltaTable`` at ``path`` (or named ``table``), or ``None`` when there is none yet.

    One lookup, reused for the whole write: every ``DeltaTable.forPath`` lists the table's log
    again (an S3 LIST per call), and ``isDeltaTable`` followed by ``forPath`` would pay it twice.
    """
    from delta.tables import DeltaTable

    if path is None:
        assert table is not None
        return DeltaTable.forName(spark, table) if spark.catalog.tableExists(table) else None
    try:
        return DeltaTable.forPath(spark, path)
    except Exception as error:  # pyspark's AnalysisException; other failures (S3 down) propagate
        if _condition(error) == "DELTA_MISSING_DELTA_TABLE":
            return None
        raise


def _condition(error: Exception) -> str | None:
    return getattr(error, "getCondition", lambda: None)()
