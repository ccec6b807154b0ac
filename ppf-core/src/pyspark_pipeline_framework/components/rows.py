"""Everyday row transforms: filter and deduplicate."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from pyspark_pipeline_framework.core import Transform, TransformConfig

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class FilterConfig(TransformConfig):
    #: A SQL boolean expression; rows where it is true are kept.
    condition: str


class Filter(Transform[FilterConfig]):
    """Keeps the rows matching a SQL condition."""

    def transform(self, df: DataFrame) -> DataFrame:
        return df.where(self.config.condition)


class DeduplicateConfig(TransformConfig):
    #: Columns that identify a duplicate; all columns when empty.
    columns: list[str] = attrs.field(factory=list)


class Deduplicate(Transform[DeduplicateConfig]):
    """Drops duplicate rows (by the given columns, or whole rows)."""

    def transform(self, df: DataFrame) -> DataFrame:
        return df.dropDuplicates(self.config.columns or None)
