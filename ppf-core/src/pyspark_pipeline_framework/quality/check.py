"""What a check is: a typed config plus either a per-row rule or dataset-level aggregates.

Nothing here imports pyspark, so ``ppf validate`` checks every check's config without a JVM.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pyspark_pipeline_framework.core.component import ComponentConfig

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

Action = Literal["fail", "warn", "drop", "quarantine"]


class CheckConfig(ComponentConfig):
    """Keys every check has; a check type adds its own (``columns``, ``pattern``, ...)."""

    #: Shown in logs, metrics and dead-letter envelopes; defaults to ``<type>`` + its columns.
    name: str | None = None
    #: ``fail`` the step, ``warn`` only, ``drop`` the failing rows, or ``quarantine`` them
    #: (removed from the output and written to the dead-letter sink).
    action: Action = "fail"
    #: Largest failing ratio (failed rows / rows checked) that still counts as passed.
    tolerance: float = 0.0

    def check(self) -> Iterable[tuple[str, str]]:
        if not 0.0 <= self.tolerance <= 1.0:
            yield "tolerance", f"must be a ratio between 0 and 1, got {self.tolerance}"


class Check:
    """Base of all checks; ``config_class`` is the check's typed config."""

    config_class: ClassVar[type[CheckConfig]] = CheckConfig
    #: "row": every row passes or fails (``failing``); "dataset": one verdict per run (``problem``).
    level: ClassVar[str] = "row"
    #: Actions that make sense for this check (dataset checks cannot drop rows).
    actions: ClassVar[tuple[str, ...]] = ("fail", "warn", "drop", "quarantine")

    def __init__(self, config: CheckConfig, type_name: str):
        self.config = config
        self.type_name = type_name

    @property
    def name(self) -> str:
        return self.config.name or self.default_name()

    def default_name(self) -> str:
        columns = getattr(self.config, "columns", None) or [getattr(self.config, "column", None)]
        shown = ",".join(str(c) for c in columns if c)
        return f"{self.type_name}({shown})" if shown else self.type_name


class RowCheck(Check):
    """A rule every row passes or fails."""

    level = "row"

    def failing(self, df: DataFrame) -> Column:
        """A boolean column, true where the row fails.  Never NULL: decide what NULL means here."""
        raise NotImplementedError(f"{type(self).__name__} must implement failing(self, df)")


class DatasetCheck(Check):
    """A verdict on the whole data set (row count, freshness, schema), computed with the same pass."""

    level = "dataset"
    actions = ("fail", "warn")

    def aggregates(self, df: DataFrame) -> Mapping[str, Column]:
        """Aggregate columns this check needs, by short name; evaluated in the validator's one pass."""
        return {}

    def problem(self, values: Mapping[str, Any], rows: int, df: DataFrame) -> str | None:
        """A message when the data set fails the check, else ``None``."""
        raise NotImplementedError(f"{type(self).__name__} must implement problem(...)")
