"""The built-in checks.  pyspark is imported inside the methods: configs stay JVM-free.

NULL handling is explicit everywhere: a rule that evaluates to NULL counts as failed unless the
check says ``allow_null = true`` (``coalesce(rule, <allow_null>)``), so no row ever vanishes from
the counts through three-valued logic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from pyspark_pipeline_framework.core.spec import Seconds
from pyspark_pipeline_framework.quality.check import CheckConfig, DatasetCheck, RowCheck

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame


def _null_safe(rule: Column, allow_null: bool) -> Column:
    """True where the row fails; a NULL rule fails unless ``allow_null``."""
    from pyspark.sql import functions as F

    return ~F.coalesce(rule, F.lit(allow_null))


class ColumnsConfig(CheckConfig):
    columns: list[str]

    def check(self) -> Iterable[tuple[str, str]]:
        yield from super().check()
        if not self.columns:
            yield "columns", "must name at least one column"


class NotNull(RowCheck):
    """Every listed column is non-NULL."""

    config_class = ColumnsConfig
    config: ColumnsConfig

    def failing(self, df: DataFrame) -> Column:
        from pyspark.sql import functions as F

        failing = F.lit(False)
        for column in self.config.columns:
            failing = failing | F.col(column).isNull()
        return failing


class Unique(RowCheck):
    """No two rows share the listed column(s); NULLs compare equal.  Rows of a duplicated key all fail.

    A window over the key: a shuffle inside the same pass, not another job.
    """

    config_class = ColumnsConfig
    config: ColumnsConfig

    def failing(self, df: DataFrame) -> Column:
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        window = Window.partitionBy(*[F.col(c) for c in self.config.columns])
        return F.count(F.lit(1)).over(window) > 1


class ColumnConfig(CheckConfig):
    column: str
    #: Whether a NULL value passes (default: it fails).
    allow_null: bool = False


class AcceptedValuesConfig(ColumnConfig):
    values: list[str]


class AcceptedValues(RowCheck):
    """The column's value (compared as a string) is one of ``values``."""

    config_class = AcceptedValuesConfig
    config: AcceptedValuesConfig

    def failing(self, df: DataFrame) -> Column:
        from pyspark.sql import functions as F

        return _null_safe(
            F.col(self.config.column).cast("string").isin(list(self.config.values)), self.config.allow_null
        )


class RangeConfig(ColumnConfig):
    min: float | None = None
    max: float | None = None
    #: Whether the bounds themselves are allowed.
    inclusive: bool = True

    def check(self) -> Iterable[tuple[str, str]]:
        yield from super().check()
        if self.min is None and self.max is None:
            yield "min", "give min, max or both"
        elif self.min is not None and self.max is not None and self.min > self.max:
            yield "max", f"must not be below min ({self.min})"


class Range(RowCheck):
    """The numeric column lies between ``min`` and ``max``."""

    config_class = RangeConfig
    config: RangeConfig

    def failing(self, df: DataFrame) -> Column:
        from pyspark.sql import functions as F

        value = F.col(self.config.column).cast("double")
        rule = F.lit(True)
        if self.config.min is not None:
            rule = rule & ((value >= self.config.min) if self.config.inclusive else (value > self.config.min))
        if self.config.max is not None:
            rule = rule & ((value <= self.config.max) if self.config.inclusive else (value < self.config.max))
        # A value that is not a number at all (cast gives NULL) fails like a NULL value does.
        return _null_safe(rule, self.config.allow_null)


class RegexConfig(ColumnConfig):
    #: A Java regular expression; it must match somewhere in the value (anchor it with ^...$).
    pattern: str

    def check(self) -> Iterable[tuple[str, str]]:
        yield from super().check()
        import re

        try:
            re.compile(self.pattern)
        except re.error as exc:
            yield "pattern", f"not a valid regular expression: {exc}"


class Regex(RowCheck):
    """The column's value matches ``pattern``."""

    config_class = RegexConfig
    config: RegexConfig

    def failing(self, df: DataFrame) -> Column:
        from pyspark.sql import functions as F

        return _null_safe(F.col(self.config.column).cast("string").rlike(self.config.pattern), self.config.allow_null)


class ExpressionConfig(CheckConfig):
    #: A Spark SQL boolean expression over the row, e.g. "end_date >= start_date".
    expression: str
    allow_null: bool = False

    def check(self) -> Iterable[tuple[str, str]]:
        yield from super().check()
        if not self.expression.strip():
            yield "expression", "must not be empty"


class Expression(RowCheck):
    """A SQL expression that must be true for the row."""

    config_class = ExpressionConfig
    config: ExpressionConfig

    def default_name(self) -> str:
        return f"sql({self.config.expression})"

    def failing(self, df: DataFrame) -> Column:
        from pyspark.sql import functions as F

        return _null_safe(F.expr(self.config.expression).cast("boolean"), self.config.allow_null)


class RowCountConfig(CheckConfig):
    min: int | None = None
    max: int | None = None

    def check(self) -> Iterable[tuple[str, str]]:
        yield from super().check()
        if self.min is None and self.max is None:
            yield "min", "give min, max or both"


class RowCount(DatasetCheck):
    """The number of rows lies between ``min`` and ``max``."""

    config_class = RowCountConfig
    config: RowCountConfig

    def problem(self, values: Mapping[str, Any], rows: int, df: DataFrame) -> str | None:
        if self.config.min is not None and rows < self.config.min:
            return f"{rows} rows, fewer than min {self.config.min}"
        if self.config.max is not None and rows > self.config.max:
            return f"{rows} rows, more than max {self.config.max}"
        return None


class FreshnessConfig(CheckConfig):
    #: A timestamp (or date) column.
    column: str
    #: The newest value must be at most this old, e.g. "1d", "6h".
    max_age: Seconds


class Freshness(DatasetCheck):
    """The newest value of a timestamp column is recent enough."""

    config_class = FreshnessConfig
    config: FreshnessConfig

    def aggregates(self, df: DataFrame) -> Mapping[str, Column]:
        from pyspark.sql import functions as F

        newest = F.max(F.unix_timestamp(F.col(self.config.column).cast("timestamp")))
        return {"age_s": F.unix_timestamp(F.current_timestamp()) - newest}

    def problem(self, values: Mapping[str, Any], rows: int, df: DataFrame) -> str | None:
        age = values.get("age_s")
        if age is None:
            return f"no {self.config.column} value at all"
        if age > self.config.max_age:
            return f"newest {self.config.column} is {age}s old, more than {self.config.max_age:g}s"
        return None


class SchemaConfig(CheckConfig):
    #: Required columns and their Spark SQL types ("int", "string", "decimal(10,2)"); "" accepts any type.
    columns: dict[str, str] = attrs.field(factory=dict)

    def check(self) -> Iterable[tuple[str, str]]:
        yield from super().check()
        if not self.columns:
            yield "columns", "list the required columns, e.g. { id = int, name = string }"


class Schema(DatasetCheck):
    """A schema contract: required columns with their types.  Read from the plan: no data needed."""

    config_class = SchemaConfig
    config: SchemaConfig

    def default_name(self) -> str:
        return "schema"

    def problem(self, values: Mapping[str, Any], rows: int, df: DataFrame) -> str | None:
        from pyspark.sql.types import _parse_datatype_string

        actual = {field.name: field.dataType for field in df.schema.fields}
        problems = []
        for column, wanted in self.config.columns.items():
            if column not in actual:
                problems.append(f"missing column {column!r}")
            elif wanted.strip() and actual[column].simpleString() != _parse_datatype_string(wanted).simpleString():
                problems.append(f"{column!r} is {actual[column].simpleString()}, expected {wanted}")
        return "; ".join(problems) or None


BUILTIN_CHECKS: dict[str, type] = {
    "not_null": NotNull,
    "unique": Unique,
    "accepted_values": AcceptedValues,
    "range": Range,
    "regex": Regex,
    "sql": Expression,
    "row_count": RowCount,
    "freshness": Freshness,
    "schema": Schema,
}
