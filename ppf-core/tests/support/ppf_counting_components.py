"""Spark components for tests that need to know whether a source was read."""

from __future__ import annotations

from collections import Counter

from pyspark_pipeline_framework.components.files import FileSource

#: Reads per step name.
READS: Counter = Counter()


class CountingSource(FileSource):
    """A FileSource that counts its reads."""

    def read(self):
        READS[self.step_name] += 1
        return super().read()
