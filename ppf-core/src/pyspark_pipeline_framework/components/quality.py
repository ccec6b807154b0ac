"""``DataQuality``: the built-in validator step with declarative checks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from pyspark_pipeline_framework.core import Validator, ValidatorConfig
from pyspark_pipeline_framework.core.component import CHECK_LIST
from pyspark_pipeline_framework.quality.registry import build_checks

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from pyspark_pipeline_framework.quality.evaluation import CheckedData

#: How long the end-of-run report waits for Spark to publish observed counts of a pass that ran.
_REPORT_WAIT_S = 2.0


class DataQualityConfig(ValidatorConfig):
    #: The checks, each { type = <check>, <its keys>, action = fail|warn|drop|quarantine, tolerance = 0.0 }.
    checks: list[dict[str, Any]] = attrs.field(metadata={CHECK_LIST: True})

    def check(self) -> Iterable[tuple[str, str]]:
        if not self.checks:
            yield "checks", "list at least one check"
        _, problems = build_checks(self.checks)
        yield from problems

    def sends_dead_letters(self) -> bool:
        """Quarantined rows need the step's dead-letter sink (pre-flight checks there is one)."""
        return any(isinstance(c, dict) and c.get("action") == "quarantine" for c in self.checks)


class DataQuality(Validator[DataQualityConfig]):
    """Checks rows and the data set (not_null, unique, accepted_values, range, regex, sql, row_count, freshness, schema).

    All checks are evaluated in one pass: no extra Spark job when they only warn, drop or
    quarantine; one job when a ``fail`` check must decide before the next step writes (its rows
    are persisted by that job and read back by the next step, until :meth:`release`).
    """

    produces_dead_letters = True
    _checked: CheckedData | None = None

    @classmethod
    def produces_dead_letters_with(cls, config: Any) -> bool:
        """Only a ``quarantine`` check sends rows to the dead letters."""
        return config.sends_dead_letters()

    _dead: Mapping[str, Any] = {}

    def validate(self, df: DataFrame) -> DataFrame:
        from pyspark.sql import functions as F

        from pyspark_pipeline_framework.quality.evaluation import FAILED_RULES_COLUMN, evaluate

        checks, _ = build_checks(self.config.checks)  # validated before the run
        dead_letters = self.context.dead_letters
        max_ratio = dead_letters.max_ratio(self.step_name) if dead_letters is not None else None
        self._checked = evaluate(df, checks, decide_now=max_ratio is not None)
        report = self._checked.report()
        if dead_letters is not None and max_ratio is not None:
            dead_letters.check_ratio(self.step_name, report["rows_quarantined"], report["rows_checked"])
        if self._checked.quarantined is not None:
            assert dead_letters is not None  # a run's context always has its dead-letter queue
            self._dead = dead_letters.send(
                self.step_name,
                self._checked.quarantined,
                error="failed data-quality checks",
                failed_rules=F.col(FAILED_RULES_COLUMN),
            )
            # The dead-letter write computed the observed pass; Spark publishes the counts right after.
            report = self._checked.report(_REPORT_WAIT_S)
        if not report.get("pending"):
            self._log_report(report)
        return self._checked.passed

    def release(self) -> None:
        """Called by the executor once every consumer of this step's output is done."""
        if self._checked is not None:
            self._checked.release()

    def step_metrics(self, final: bool = False) -> dict[str, Any]:
        """The check results for :attr:`StepResult.metrics`; observed counts are final after the next write."""
        if self._checked is None:
            return {}
        report = self._checked.report(_REPORT_WAIT_S if final else 0.0)
        if final and not report.get("pending") and self._checked.values() is not None and not self._logged:
            self._log_report(report)
        return {"data_quality": report, **self._dead}

    _logged = False

    def _log_report(self, report: dict[str, Any]) -> None:
        self._logged = True
        for name, entry in report["checks"].items():
            level = "info" if entry.get("passed", True) else "warning"
            getattr(self.logger, level)("check_result", check=name, **entry)
