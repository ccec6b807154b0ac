"""Where a Delta table lives: a path (any Hadoop URI) or a catalog table name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pyspark_pipeline_framework.spark import is_connect

from .connect import condition, needs_delta_connect

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


#: Delta's error condition for a path that holds no Delta table.
MISSING_TABLE = "DELTA_MISSING_DELTA_TABLE"


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

    if is_connect(spark):
        return _existing_table_over_connect(spark, path, table)
    if path is None:
        assert table is not None
        return DeltaTable.forName(spark, table) if spark.catalog.tableExists(table) else None
    try:
        return DeltaTable.forPath(spark, path)
    except Exception as error:  # pyspark's AnalysisException; other failures (S3 down) propagate
        if condition(error) == MISSING_TABLE:
            return None
        raise


def _existing_table_over_connect(spark: SparkSession, path: str | None, table: str | None):
    """Delta Connect's ``forPath`` and ``forName`` only describe a table: the server first looks when
    the table's schema is asked for (one analyze request, no Spark job).  Asked here, a missing table
    is ``None`` and a server without Delta Connect fails now, not after the work before the write."""
    from delta.tables import DeltaTable

    with needs_delta_connect(f"a merge or table_properties on the Delta table {describe(path, table)}"):
        if path is None:
            assert table is not None
            if not spark.catalog.tableExists(table):
                return None
            found = DeltaTable.forName(spark, table)
        else:
            found = DeltaTable.forPath(spark, path)
        try:
            _ = found.toDF().schema
        except Exception as error:
            if condition(error) == MISSING_TABLE:
                return None
            raise
        return found
