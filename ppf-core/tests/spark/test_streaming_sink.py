"""A sink that returns a streaming query: the step lasts until the query ends, and fails with it."""

from __future__ import annotations

import textwrap

import ppf_spark_components as sc
import pytest

from pyspark_pipeline_framework.core.results import StepStatus
from pyspark_pipeline_framework.testing import run_pipeline_text

pytestmark = pytest.mark.spark


def streaming_pipeline(tmp_path, fail: bool) -> str:
    return textwrap.dedent(f"""
        pipeline {{
          name = "streaming"
          steps = [
            {{ name = "events", type = "ppf_spark_components.StreamingParquetSource",
               config {{ path = "{tmp_path / "in"}", schema = "id INT" }} }}
            {{ name = "deliver", type = "ppf_spark_components.ForeachBatchSink",
               config {{ checkpoint = "{tmp_path / "checkpoint"}", fail = {str(fail).lower()} }} }}
          ]
        }}
    """)


def test_the_step_waits_for_its_streaming_query(spark, tmp_path):
    spark.createDataFrame([(1,), (2,), (3,)], "id INT").write.parquet(str(tmp_path / "in"))
    sc.STREAMED.clear()
    result = run_pipeline_text(streaming_pipeline(tmp_path, fail=False), spark=spark, directory=tmp_path)
    assert result.succeeded, result.step("deliver").error
    assert sorted(sc.STREAMED["deliver"]) == [1, 2, 3]
    assert spark.streams.active == []  # the query had ended when the step did


def test_a_failed_streaming_query_fails_its_step(spark, tmp_path):
    spark.createDataFrame([(1,)], "id INT").write.parquet(str(tmp_path / "in"))
    result = run_pipeline_text(streaming_pipeline(tmp_path, fail=True), spark=spark, directory=tmp_path)
    deliver = result.step("deliver")
    assert deliver.status is StepStatus.FAILED and "the batch was refused" in deliver.error
    assert spark.streams.active == []
