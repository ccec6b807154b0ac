"""The streaming model on Spark without Kafka: per-micro-batch batch steps, on-stream steps, Spark's refusals."""

from __future__ import annotations

import textwrap

import pytest

pytestmark = pytest.mark.spark


def _run(spark, tmp_path, steps: str, trigger: str = "once"):
    from pyspark_pipeline_framework.testing import run_pipeline_text

    text = textwrap.dedent(f"""\
        pipeline {{
          name = model
          streaming {{ trigger = {trigger}, checkpoint_location = "{tmp_path}/checkpoints" }}
          steps = [
        {textwrap.indent(textwrap.dedent(steps), "    ")}
          ]
        }}
        """)
    return run_pipeline_text(text, spark=spark, directory=tmp_path)


def test_per_batch_steps_see_the_micro_batch_and_a_memory_sink_keeps_every_row(spark, tmp_path):
    result = _run(
        spark,
        tmp_path,
        """
        { name = numbers, type = RateSource, config { rows_per_batch = 25 } }
        { name = evens, type = SqlTransform, config { query = "SELECT value FROM numbers WHERE value % 2 = 0" } }
        { name = keep, type = MemorySink, config { name = model_evens } }
    """,
    )
    assert result.succeeded, result.to_dict()
    values = sorted(row.value for row in spark.table("global_temp.model_evens").collect())
    assert values == list(range(0, 25, 2))
    assert result.step("keep").reason == "ran in 1 micro-batch(es)"


def test_an_operation_spark_rejects_on_the_stream_fails_its_step_before_any_batch(spark, tmp_path):
    result = _run(
        spark,
        tmp_path,
        """
        { name = numbers, type = RateSource, config { rows_per_batch = 5 } }
        { name = per-parity, type = SqlTransform, on_stream = true,
          config { query = "SELECT value % 2 AS parity, count(*) AS n FROM numbers GROUP BY value % 2" } }
        { name = keep, type = MemorySink, config { name = model_never } }
    """,
    )
    assert not result.succeeded
    failed = result.step("per-parity")
    assert failed.error.startswith("step 'per-parity': Spark cannot run the stream up to this step")
    assert "watermark" in failed.error.lower() or "append" in failed.error.lower(), failed.error
    assert result.step("keep").attempts == 0  # no micro-batch ran


def test_a_transform_marked_on_stream_runs_on_the_stream_before_the_micro_batches(spark, tmp_path):
    result = _run(
        spark,
        tmp_path,
        """
        { name = numbers, type = RateSource, config { rows_per_batch = 6 } }
        { name = bucketed, type = SqlTransform, on_stream = true, config { query = \"\"\"
            SELECT value % 3 AS bucket, value FROM numbers \"\"\" } }
        { name = keep, type = MemorySink, config { name = model_buckets } }
    """,
    )
    assert result.succeeded, result.to_dict()
    rows = spark.table("global_temp.model_buckets").collect()
    assert sorted((r.bucket, r.value) for r in rows) == sorted((v % 3, v) for v in range(6))
