"""The diff of ``assert_dataframe_equal``, on collected tables (no JVM)."""

from __future__ import annotations

import math

from pyspark_pipeline_framework.testing.frames import Column, Table, table_difference

PEOPLE = (Column("id", "bigint"), Column("name", "string"))


def table(rows, columns=PEOPLE):
    return Table(tuple(columns), tuple(tuple(r) for r in rows))


def test_equal_tables_have_no_difference_whatever_the_row_and_column_order():
    expected = table([(1, "ann"), (2, "bo"), (2, "bo")])
    actual = table([("bo", 2), ("ann", 1), ("bo", 2)], columns=reversed(PEOPLE))
    assert table_difference(actual, expected) is None


def test_schema_differences_are_listed_by_column_before_the_rows():
    expected = table([(1, "ann")], columns=(*PEOPLE, Column("age", "int")))
    actual = table([(1, "ann", "x")], columns=(Column("id", "int"), Column("name", "string"), Column("nick", "string")))
    assert table_difference(actual, expected).splitlines() == [
        "DataFrames differ",
        "schema differs (expected -> actual):",
        "  column id: type bigint -> int",
        "  missing column age: int",
        "  unexpected column nick: string",
    ]
    # Without the schema check the rows are compared on the columns both have: they are equal.
    assert table_difference(actual, expected, check_schema=False) is None


def test_nullability_is_compared_only_when_asked():
    expected = table([(1, "ann")])
    actual = table([(1, "ann")], columns=(Column("id", "bigint", nullable=False), PEOPLE[1]))
    assert table_difference(actual, expected) is None
    assert table_difference(actual, expected, check_nullable=True).splitlines()[2] == (
        "  column id: nullable -> not nullable"
    )


def test_duplicates_count_and_only_a_few_rows_are_shown():
    expected = table([(i, f"n{i}") for i in range(8)] + [(0, "n0")])
    actual = table([(0, "n0")] + [(i, f"m{i}") for i in range(1, 9)])
    lines = table_difference(actual, expected, shown_rows=3).splitlines()
    assert lines[1] == "rows differ on columns id, name (order ignored): 9 expected, 9 actual, 8 missing, 8 unexpected"
    assert lines[2:7] == [
        "  missing rows (expected, not in actual):",
        "    {id=0, name='n0'}",  # the second (0, 'n0'): a duplicate counts
        "    {id=1, name='n1'}",
        "    {id=2, name='n2'}",
        "    ... and 5 more",
    ]
    assert lines[7:] == [
        "  unexpected rows (in actual, not expected):",
        "    {id=1, name='m1'}",
        "    {id=2, name='m2'}",
        "    {id=3, name='m3'}",
        "    ... and 5 more",
    ]


def test_an_ordered_comparison_shows_the_rows_that_differ_by_position():
    expected = table([(1, "ann"), (2, "bo"), (3, "cy")])
    actual = table([(1, "ann"), (3, "cy")])
    assert table_difference(actual, expected, check_order=True).splitlines() == [
        "DataFrames differ",
        "rows differ in order-sensitive comparison on columns id, name: 3 expected, 2 actual",
        "  row 1:",
        "    expected {id=2, name='bo'}",
        "    actual   {id=3, name='cy'}",
        "  row 2:",
        "    expected {id=3, name='cy'}",
        "    actual   (no row)",
    ]
    assert table_difference(actual, expected).splitlines()[-1] == "    {id=2, name='bo'}"


def test_nested_values_and_nan_compare_by_value():
    columns = (Column("tags", "array<string>"), Column("attrs", "map<string,int>"), Column("score", "double"))
    expected = table([(["a", "b"], {"x": 1, "y": 2}, math.nan)], columns)
    assert table_difference(table([(["a", "b"], {"y": 2, "x": 1}, math.nan)], columns), expected) is None
    assert "missing rows" in table_difference(table([(["b", "a"], {"x": 1, "y": 2}, math.nan)], columns), expected)
