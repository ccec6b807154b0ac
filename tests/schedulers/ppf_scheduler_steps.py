"""Steps for the scheduler tests: one fails the first time it runs, as a flaky dependency would; one is slow the first time."""

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


class SlowOnceConfig(TransformConfig):
    #: Created by the first call, whose rows then take ``seconds`` each to compute; later calls are quick.
    marker: str
    seconds: int = 600


class SlowOnce(Transform[SlowOnceConfig]):
    def transform(self, df: DataFrame) -> DataFrame:
        from pyspark.sql.functions import udf

        marker = Path(self.config.marker)
        if marker.exists():
            return df
        marker.touch()
        seconds = self.config.seconds

        @udf("int")
        def slowly(value):  # defined here: shipped to Python workers by value, with no module to import
            import time

            time.sleep(seconds)
            return value

        return df.withColumn("id", slowly("id"))
