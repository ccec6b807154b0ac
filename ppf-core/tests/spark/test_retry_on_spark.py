"""Retries on real Spark: an analysis error (a missing column) is never retried."""

from __future__ import annotations

import textwrap

import pytest

from pyspark_pipeline_framework.core import Hook
from pyspark_pipeline_framework.core.results import StepStatus
from pyspark_pipeline_framework.testing import retries_without_waiting, run_pipeline_text

pytestmark = pytest.mark.spark


class Retries(Hook):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_retry(self, step_name, attempt):
        self.seen.append((step_name, attempt))


def test_missing_column_is_tried_exactly_once(spark, tmp_path):
    source = str(tmp_path / "in")
    spark.createDataFrame([(1, "a")], "id INT, name STRING").write.parquet(source)
    retries = Retries()
    with retries_without_waiting():
        result = run_pipeline_text(
            textwrap.dedent(f"""
            pipeline {{
              name = "missing-column"
              retry {{ max_attempts = 4, backoff = fixed, initial_delay = "1s" }}
              steps = [
                {{ name = "src", type = "ParquetSource", config {{ path = "{source}" }} }}
                {{ name = "pick", type = "SelectColumns", config {{ columns = ["id", "no_such_column"] }} }}
                {{ name = "out", type = "ParquetSink", config {{ path = "{tmp_path / "out"}" }} }}
              ]
            }}
        """),
            spark=spark,
            directory=tmp_path,
            plugins=[retries],
        )
    pick = result.step("pick")
    assert pick.status is StepStatus.FAILED and pick.attempts == 1
    assert "AnalysisException" in pick.error and "no_such_column" in pick.error
    assert retries.seen == [] and result.step("out").status is StepStatus.NOT_RUN
    assert not (tmp_path / "out").exists()
