"""Comparing DataFrames in tests, with a diff a reader can act on.

:func:`assert_dataframe_equal` collects both DataFrames (test-sized data) and compares their
schemas column by column, then their rows, matched by column name; the ``AssertionError`` says
which columns are missing, unexpected or of another type, and which rows are missing or
unexpected (a few of each, and how many more).  The comparison itself (:func:`table_difference`)
is plain Python on :class:`Table`, so it needs no JVM.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

#: Rows shown per kind of difference; the message says how many more there are.
SHOWN_ROWS = 5


@attrs.frozen
class Column:
    name: str
    #: Spark's name of the type, e.g. ``bigint``, ``array<string>``, ``struct<a:int>``.
    type: str
    nullable: bool = True


@attrs.frozen
class Table:
    """A collected DataFrame: its columns and its rows (tuples in column order)."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]

    @classmethod
    def of(cls, df: DataFrame) -> Table:
        columns = tuple(Column(f.name, f.dataType.simpleString(), f.nullable) for f in df.schema.fields)
        return cls(columns, tuple(tuple(row) for row in df.collect()))

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]


def assert_dataframe_equal(
    actual: DataFrame,
    expected: DataFrame,
    *,
    check_order: bool = False,
    check_schema: bool = True,
    check_nullable: bool = False,
) -> None:
    """Raise ``AssertionError`` with a readable diff unless ``actual`` holds the rows and columns of ``expected``.

    Columns are matched by name (their order in the schema does not matter).  ``check_schema``
    compares the columns' names and types (``check_nullable`` their nullability too: a DataFrame
    built from Python rows is nullable where one read from a file may not be); without it, rows
    are compared on the columns both have.  Rows are compared as a multiset (duplicates count)
    unless ``check_order``.  Values compare with ``==`` (floats exactly; NaN equals NaN).
    """
    problem = table_difference(
        Table.of(actual),
        Table.of(expected),
        check_order=check_order,
        check_schema=check_schema,
        check_nullable=check_nullable,
    )
    if problem is not None:
        raise AssertionError(problem)


def table_difference(
    actual: Table,
    expected: Table,
    *,
    check_order: bool = False,
    check_schema: bool = True,
    check_nullable: bool = False,
    shown_rows: int = SHOWN_ROWS,
) -> str | None:
    """The differences between two tables as a message, or ``None`` when they are equal (see :func:`assert_dataframe_equal`)."""
    lines: list[str] = []
    if check_schema:
        schema = _schema_differences(actual.columns, expected.columns, check_nullable)
        if schema:
            lines += ["schema differs (expected -> actual):", *(f"  {line}" for line in schema)]
    common = [name for name in expected.names if name in actual.names]
    rows = _row_differences(_project(actual, common), _project(expected, common), common, check_order, shown_rows)
    if rows:
        lines += rows
    if not lines:
        return None
    return "\n".join(["DataFrames differ", *lines])


def _schema_differences(actual: Sequence[Column], expected: Sequence[Column], check_nullable: bool) -> list[str]:
    by_name = {column.name: column for column in actual}
    wanted = {column.name for column in expected}
    lines = []
    for column in expected:
        got = by_name.get(column.name)
        if got is None:
            lines.append(f"missing column {column.name}: {column.type}")
        elif got.type != column.type:
            lines.append(f"column {column.name}: type {column.type} -> {got.type}")
        elif check_nullable and got.nullable != column.nullable:
            lines.append(f"column {column.name}: {_nullability(column)} -> {_nullability(got)}")
    lines += [f"unexpected column {c.name}: {c.type}" for c in actual if c.name not in wanted]
    return lines


def _nullability(column: Column) -> str:
    return "nullable" if column.nullable else "not nullable"


def _project(table: Table, names: Sequence[str]) -> list[tuple[Any, ...]]:
    """The rows' values of ``names``, in that order."""
    positions = [table.names.index(name) for name in names]
    return [tuple(row[i] for i in positions) for row in table.rows]


def _row_differences(
    actual: list[tuple[Any, ...]],
    expected: list[tuple[Any, ...]],
    names: Sequence[str],
    check_order: bool,
    shown: int,
) -> list[str]:
    on = f"on columns {', '.join(names)}" if names else "with no column in common"
    if check_order:
        differing = [
            index
            for index in range(max(len(actual), len(expected)))
            if index >= len(actual) or index >= len(expected) or _key(actual[index]) != _key(expected[index])
        ]
        if not differing:
            return []
        lines = [f"rows differ in order-sensitive comparison {on}: {len(expected)} expected, {len(actual)} actual"]
        for index in differing[:shown]:
            want = _show(expected[index], names) if index < len(expected) else "(no row)"
            got = _show(actual[index], names) if index < len(actual) else "(no row)"
            lines += [f"  row {index}:", f"    expected {want}", f"    actual   {got}"]
        return lines + _more(len(differing), shown)
    missing = Counter(_key(row) for row in expected)
    missing.subtract(_key(row) for row in actual)
    shown_by_key = {_key(row): row for row in [*expected, *actual]}
    absent = [key for key, n in missing.items() for _ in range(n) if n > 0]
    extra = [key for key, n in missing.items() for _ in range(-n) if n < 0]
    if not absent and not extra:
        return []
    lines = [
        f"rows differ {on} (order ignored): {len(expected)} expected, {len(actual)} actual, "
        f"{len(absent)} missing, {len(extra)} unexpected"
    ]
    if absent:
        lines.append("  missing rows (expected, not in actual):")
        lines += [f"    {_show(shown_by_key[key], names)}" for key in absent[:shown]]
        lines += [f"  {line}" for line in _more(len(absent), shown)]
    if extra:
        lines.append("  unexpected rows (in actual, not expected):")
        lines += [f"    {_show(shown_by_key[key], names)}" for key in extra[:shown]]
        lines += [f"  {line}" for line in _more(len(extra), shown)]
    return lines


def _more(total: int, shown: int) -> list[str]:
    return [f"  ... and {total - shown} more"] if total > shown else []


def _show(row: tuple[Any, ...], names: Sequence[str]) -> str:
    return "{" + ", ".join(f"{name}={value!r}" for name, value in zip(names, row, strict=True)) + "}"


_NAN = ("NaN",)


def _key(value: Any) -> Any:
    """A hashable stand-in that compares as the value does (nested rows, lists, maps; NaN equal to NaN)."""
    if isinstance(value, float) and math.isnan(value):
        return _NAN
    if isinstance(value, Mapping):
        return ("map", tuple(sorted(((repr(k), _key(v)) for k, v in value.items()), key=lambda kv: kv[0])))
    if isinstance(value, (list, tuple)):
        return tuple(_key(item) for item in value)
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return value
