"""The 3-step pipeline's transform: hash string columns with SHA-256, keep matching rows.

A user-written component named by dotted path (``benchmarks.cases.hash_and_filter.HashAndFilter``),
as the Quick Start's ``UserAnonymizer`` is; ``baselines/handwritten_pipeline.py`` does the same
with plain PySpark.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark_pipeline_framework.core import Transform, TransformConfig

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class HashAndFilterConfig(TransformConfig):
    #: String columns replaced by their SHA-256 hex digest.
    columns: list[str]
    #: SQL condition; rows where it is true are kept.
    condition: str


class HashAndFilter(Transform[HashAndFilterConfig]):
    """Replaces each listed column by ``sha2(column, 256)`` and keeps rows matching a condition."""

    def transform(self, df: DataFrame) -> DataFrame:
        from pyspark.sql import functions as F

        hashed = df.withColumns({name: F.sha2(F.col(name), 256) for name in self.config.columns})
        return hashed.where(self.config.condition)
