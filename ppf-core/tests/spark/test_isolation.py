"""Isolated steps on real Spark: one more job for a step that asks for it, none for the others, no work twice."""

from __future__ import annotations

import textwrap

import pytest

from pyspark_pipeline_framework.core.results import StepStatus
from pyspark_pipeline_framework.testing import job_count, run_pipeline_text

pytestmark = pytest.mark.spark

ROWS = 200


@pytest.fixture
def numbers(spark, tmp_path):
    path = str(tmp_path / "numbers")
    spark.range(ROWS).coalesce(1).write.parquet(path)
    return path


def pipeline(source: str, out: str, transform_settings: str = "", pipeline_settings: str = "") -> str:
    return textwrap.dedent(f"""
        pipeline {{
          name = "isolation"
          {pipeline_settings}
          steps = [
            {{ name = "numbers", type = "ParquetSource", config {{ path = "{source}" }} }}
            {{ name = "tenfold", type = "SqlTransform", config {{ query = "SELECT id, id * 10 AS tenfold FROM numbers" }}
               {transform_settings} }}
            {{ name = "load", type = "ParquetSink", config {{ path = "{out}", mode = "overwrite" }} }}
          ]
        }}
    """)


def run(spark, tmp_path, name: str, **settings):
    result = run_pipeline_text(
        pipeline(settings.pop("source"), str(tmp_path / name), **settings), spark=spark, directory=tmp_path
    )
    assert result.succeeded, result.to_dict()
    rows = spark.read.parquet(str(tmp_path / name)).collect()
    assert sorted((r["id"], r["tenfold"]) for r in rows) == [(i, i * 10) for i in range(ROWS)]
    return job_count(spark, result), result


def test_steps_without_isolation_settings_stay_lazy_and_a_pipeline_retry_does_not_isolate(spark, numbers, tmp_path):
    lazy, _ = run(spark, tmp_path, "lazy", source=numbers)
    pipeline_retry, _ = run(
        spark, tmp_path, "pipeline-retry", source=numbers, pipeline_settings="retry { max_attempts = 3 }"
    )
    switched_off, _ = run(
        spark,
        tmp_path,
        "switched-off",
        source=numbers,
        transform_settings=", retry { max_attempts = 3 }, isolate = false",
    )
    assert pipeline_retry == lazy and switched_off == lazy


@pytest.mark.parametrize(
    "settings",
    [
        ", retry { max_attempts = 3 }",
        ", on_failure = skip",
        ", circuit_breaker { failure_threshold = 2 }",
        ", isolate = true",
    ],
)
def test_an_isolated_step_costs_one_job_and_its_output_is_computed_once(spark, numbers, tmp_path, settings):
    lazy, _ = run(spark, tmp_path, "lazy", source=numbers)
    persisted_before = spark.sparkContext._jsc.getPersistentRDDs().size()
    isolated, result = run(spark, tmp_path, "isolated", source=numbers, transform_settings=settings)
    assert isolated == lazy + 1
    # Computed within the step: its row count is known by then, and the sink read the persisted rows.
    assert result.step("tenfold").metrics["rows_out"] == ROWS
    assert result.step("load").metrics["rows_written"] == ROWS
    assert spark.sparkContext._jsc.getPersistentRDDs().size() == persisted_before, "the persisted copy was kept"


def test_a_failure_while_computing_an_isolated_output_is_its_steps(spark, numbers, tmp_path):
    result = run_pipeline_text(
        pipeline(
            numbers,
            str(tmp_path / "out"),
            transform_settings=", on_failure = skip",
        ).replace("id * 10 AS tenfold", "id * 10 AS tenfold, 1 / (id - id) AS boom"),  # Spark 4 is ANSI: raises
        spark=spark,
        directory=tmp_path,
    )
    tenfold, load = result.step("tenfold"), result.step("load")
    assert tenfold.status is StepStatus.SKIPPED and "DIVIDE_BY_ZERO" in tenfold.error, result.to_dict()
    assert load.status is StepStatus.SKIPPED
    assert len(tenfold.error) < 500 and "\tat " not in tenfold.error
