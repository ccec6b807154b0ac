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


def table_exists(spark: SparkSession, path: str | None, table: str | None) -> bool:
    from delta.tables import DeltaTable

    if path is not None:
        return DeltaTable.isDeltaTable(spark, path)
    assert table is not None
    return spark.catalog.tableExists(table)


def delta_table(spark: SparkSession, path: str | None, table: str | None):
    from delta.tables import DeltaTable

    return DeltaTable.forPath(spark, path) if path is not None else DeltaTable.forName(spark, table)
