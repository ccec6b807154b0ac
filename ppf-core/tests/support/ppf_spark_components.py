"""Spark components used by the integration tests."""

from __future__ import annotations

from pyspark_pipeline_framework.core import Transform, TransformConfig

#: An accumulator set by the test; every row passing CountRows adds one.
COUNTER = None


class CountRows(Transform[TransformConfig]):
    """Passes rows through unchanged, counting each computation of each row."""

    def transform(self, df):
        counter = COUNTER

        def count(rows):
            for row in rows:
                counter.add(1)
                yield row

        return df.rdd.mapPartitions(count).toDF(df.schema)
