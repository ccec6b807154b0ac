"""A step for the scheduler tests: it fails the first time it runs, as a flaky dependency would."""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import DataFrame

from pyspark_pipeline_framework.core import Transform, TransformConfig


class FailsOnceConfig(TransformConfig):
    #: Created by the first call; each call appends a line to ``<marker>.calls``.
    marker: str


class FailsOnce(Transform[FailsOnceConfig]):
    def transform(self, df: DataFrame) -> DataFrame:
        marker = Path(self.config.marker)
        with Path(f"{marker}.calls").open("a", encoding="utf-8") as calls:
            calls.write("called\n")
        if not marker.exists():
            marker.touch()
            raise RuntimeError("failing on the first call, as a flaky dependency does")
        return df
