"""Evaluating all checks of one validator in a single pass over the data.

Every row-level check becomes a boolean "fails" column; all counts (rows, failed rows per check,
dataset aggregates) are aggregate expressions over the same marked rows, so:

* a validator whose checks only observe (``warn``, ``drop``, ``quarantine``) attaches them with
  ``DataFrame.observe``: Spark fills the counts in while the rows flow into the next write, and
  the validator adds **no** Spark job;
* a validator with a ``fail`` check must decide before anything downstream writes, so it runs
  the same aggregates as **one** Spark job, and raises :class:`DataQualityError` when a ``fail``
  check fails beyond its tolerance.  That pass persists the marked rows on the way: the next
  step reads them back instead of computing them (and reading the source) a second time.
  Likewise, quarantined rows and the rows passed on are two writes of the same marked rows,
  which are persisted so that the source is read once.

Either way: rows in = rows passed on + rows dropped + rows quarantined, and every row-level rule
is NULL-safe (see :mod:`.builtin_checks`), so no row escapes the counts.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from pyspark_pipeline_framework.core.errors import DataQualityError
from pyspark_pipeline_framework.quality.check import Check, DatasetCheck, RowCheck
from pyspark_pipeline_framework.spark import adaptive_execution_off
from pyspark_pipeline_framework.spark.observations import keep_first_observed_values

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

FAILED_RULES_COLUMN = "_ppf_failed_rules"


class CheckedData:
    """The outcome of one validator's pass: rows passed on, rows quarantined, and the report."""

    def __init__(
        self,
        checks: Sequence[Check],
        passed: DataFrame,
        quarantined: DataFrame | None,
        values: dict[str, Any] | None,
        observation: Any = None,
        schema_problems: dict[str, str | None] | None = None,
        df: DataFrame | None = None,
        persisted: DataFrame | None = None,
    ):
        self.checks = list(checks)
        self._persisted = persisted
        self.passed = passed
        self.quarantined = quarantined
        self._values = values
        self._observation = observation
        self._schema_problems = schema_problems or {}
        self._df = df
        self._lock = threading.Lock()

    def release(self) -> None:
        """Drop the rows persisted by the deciding pass, once every consumer of the output is done."""
        if self._persisted is not None:
            self._persisted.unpersist()
            self._persisted = None

    def values(self, wait_s: float = 0.0) -> dict[str, Any] | None:
        """The aggregate values, or ``None`` while Spark has not computed the observed pass."""
        with self._lock:
            if self._values is None and self._observation is not None:
                self._values = _read_observation(self._observation, wait_s)
            return self._values

    def report(self, wait_s: float = 0.0) -> dict[str, Any]:
        """Per check: rows checked, failed, passed, failing ratio and verdict; ``{"pending": True}`` if not known."""
        values = self.values(wait_s)
        if values is None:
            return {
                "pending": True,
                "checks": {c.name: {"type": c.type_name, "action": c.config.action} for c in self.checks},
            }
        rows = int(values.get("rows") or 0)
        quarantined, dropped = int(values.get("quarantined") or 0), int(values.get("dropped") or 0)
        results = {}
        for index, check in enumerate(self.checks):
            entry: dict[str, Any] = {"type": check.type_name, "action": check.config.action, "rows_checked": rows}
            if isinstance(check, RowCheck):
                failed = int(values.get(f"failed_{index}") or 0)
                ratio = failed / rows if rows else 0.0
                entry.update(
                    rows_failed=failed,
                    rows_passed=rows - failed,
                    failing_ratio=round(ratio, 6),
                    passed=ratio <= check.config.tolerance,
                )
            else:  # a check that is not a row check is a data set check
                assert self._df is not None  # evaluate() passes the checked rows
                problem = (
                    self._schema_problems[check.name]
                    if check.name in self._schema_problems
                    else cast(DatasetCheck, check).problem(
                        {k.split(":", 1)[1]: v for k, v in values.items() if k.startswith(f"d{index}:")}, rows, self._df
                    )
                )
                entry.update(passed=problem is None, message=problem)
            results[check.name] = entry
        return {
            "rows_checked": rows,
            "rows_passed_on": rows - quarantined - dropped,
            "rows_dropped": dropped,
            "rows_quarantined": quarantined,
            "checks": results,
        }


def evaluate(df: DataFrame, checks: Sequence[Check], *, decide_now: bool = False) -> CheckedData:
    """Mark, count and split ``df`` by ``checks``; raise :class:`DataQualityError` for a failed ``fail`` check.

    ``decide_now`` computes the counts before returning even without a ``fail`` check (e.g. for a
    dead-letter ``max_ratio``).
    """
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    # Schema contracts are read from the plan: decided at once, before any job.
    schema_problems = {c.name: cast(DatasetCheck, c).problem({}, 0, df) for c in checks if type(c).__name__ == "Schema"}
    for check in checks:
        if schema_problems.get(check.name) and check.config.action == "fail":
            entry = {"type": check.type_name, "action": "fail", "passed": False, "message": schema_problems[check.name]}
            raise DataQualityError(
                f"check {check.name!r} failed: {schema_problems[check.name]}",
                {"data_quality": {"checks": {check.name: entry}}},
            )

    fail_columns = {
        index: f"_ppf_fail_{index}_{uuid.uuid4().hex[:6]}" for index, c in enumerate(checks) if isinstance(c, RowCheck)
    }
    marked = (
        df.withColumns({column: cast(RowCheck, checks[index]).failing(df) for index, column in fail_columns.items()})
        if fail_columns
        else df
    )
    aggregates = [F.count(F.lit(1)).alias("rows")]
    for index, column in fail_columns.items():
        # sum over a never-NULL boolean: every row counts as exactly 0 or 1
        aggregates.append(F.sum(F.col(column).cast("long")).alias(f"failed_{index}"))
    for index, check in enumerate(checks):
        if isinstance(check, DatasetCheck):
            aggregates.extend(column.alias(f"d{index}:{name}") for name, column in check.aggregates(df).items())

    def rows_failing(actions: tuple[str, ...]) -> Any:
        condition = F.lit(False)
        for index, column in fail_columns.items():
            if checks[index].config.action in actions:
                condition = condition | F.col(column)
        return condition

    # A quarantined row goes to the dead letters even when it also fails a drop check: one place each.
    aggregates.append(F.sum(rows_failing(("quarantine",)).cast("long")).alias("quarantined"))
    aggregates.append(F.sum((rows_failing(("drop",)) & ~rows_failing(("quarantine",))).cast("long")).alias("dropped"))
    decide_now = decide_now or any(c.config.action == "fail" and c.name not in schema_problems for c in checks)
    observation = Observation(f"ppf-checks-{uuid.uuid4().hex[:8]}")
    from pyspark import StorageLevel

    quarantines = any(checks[i].config.action == "quarantine" for i in fail_columns)
    values = None
    persisted = None
    if decide_now:
        # The decision comes before the write: one pass through Spark's "noop" sink computes the
        # observed aggregates (a plain .agg() would add a shuffle) and fills the cache that the
        # outputs below are read from.
        with adaptive_execution_off(df.sparkSession):  # the pass stays one job
            persisted = marked = marked.persist(StorageLevel.MEMORY_AND_DISK)
            try:
                observed = marked.observe(observation, *aggregates)
                keep_first_observed_values(observation)
                observed.write.format("noop").mode("overwrite").save()
            except BaseException:
                marked.unpersist()
                raise
        values = dict(observation.get)
    else:
        marked = marked.observe(observation, *aggregates)
        keep_first_observed_values(observation)
        if quarantines:
            # Two writes read the marked rows (the dead letters, then the next step): computed once,
            # and observed once, by the first.
            persisted = marked = marked.persist(StorageLevel.MEMORY_AND_DISK)

    removed = rows_failing(("drop", "quarantine"))
    passed = marked.filter(~removed).drop(*fail_columns.values())
    quarantined = None
    if quarantines:
        names = [F.when(F.col(column), F.lit(checks[index].name)) for index, column in fail_columns.items()]
        quarantined = (
            marked.filter(rows_failing(("quarantine",)))
            .withColumn(FAILED_RULES_COLUMN, F.filter(F.array(*names), lambda name: name.isNotNull()))
            .drop(*fail_columns.values())
        )
    pending = None if decide_now else observation  # read above when decided now
    checked = CheckedData(checks, passed, quarantined, values, pending, schema_problems, df, persisted)
    if decide_now:
        report = checked.report()
        failed = [name for name, entry in report["checks"].items() if entry["action"] == "fail" and not entry["passed"]]
        if failed:
            checked.release()
            details = "; ".join(_describe(name, report["checks"][name]) for name in failed)
            raise DataQualityError(f"{len(failed)} check(s) failed: {details}", {"data_quality": report})
    return checked


def _describe(name: str, entry: dict[str, Any]) -> str:
    if "rows_failed" in entry:
        return f"{name}: {entry['rows_failed']} of {entry['rows_checked']} rows failed"
    return f"{name}: {entry.get('message')}"


def _read_observation(observation: Any, wait_s: float) -> dict[str, Any] | None:
    """Observed values without risking a wait forever for a plan that never ran."""
    from pyspark_pipeline_framework.spark import read_observed_values

    return read_observed_values(observation, wait_s)
