"""Row counts and bytes written come from what Spark measured anyway: no extra job, right numbers."""

from __future__ import annotations

import textwrap
from typing import ClassVar

import pytest

from pyspark_pipeline_framework.core import Hook
from pyspark_pipeline_framework.runtime.figures.observed_rows import RowObservations
from pyspark_pipeline_framework.spark import job_group
from pyspark_pipeline_framework.testing import job_count, retries_without_waiting, run_pipeline_text

pytestmark = pytest.mark.spark

ROWS = 40  # user_id 1..40; country 'US' for odd ids: 20 rows pass the filter


@pytest.fixture
def users(spark, tmp_path):
    path = str(tmp_path / "users")
    spark.createDataFrame(
        [(i, "US" if i % 2 else "DE") for i in range(1, ROWS + 1)], "user_id BIGINT, country STRING"
    ).write.parquet(path)
    return path


def linear(
    source,
    target,
    *,
    observe_rows=True,
    hooks="",
    name="observed",
    source_step=None,
    sink_type="ParquetSink",
    sink_extra="",
    mode="overwrite",
):
    """src -> keep (country = 'US') -> out; the source and sink steps can be replaced."""
    source_step = source_step or f'type = "ParquetSource", config {{ path = "{source}" }}'
    return textwrap.dedent(f"""
        pipeline {{
          name = "{name}"
          observe_rows = {str(observe_rows).lower()}
          steps = [
            {{ name = "src", {source_step} }}
            {{ name = "keep", type = "Filter", config {{ condition = "country = 'US'" }} }}
            {{ name = "out", type = "{sink_type}", config {{ path = "{target}", mode = "{mode}" }} {sink_extra} }}
          ]
          hooks {{ {hooks} }}
        }}
    """)


class SeedMetricsHook(Hook):
    """The README's hook example (MetricsHook), with the row count taken from the observed metrics."""

    seen_in_after_step: ClassVar[dict] = {}

    def before_step(self, step_name, context):
        context.metrics.start_timer(f"step.{step_name}")

    def after_step(self, step_name, context, result, step_result):
        context.metrics.stop_timer(f"step.{step_name}")
        context.metrics.record_row_count(f"step.{step_name}", step_result.metrics.get("rows_out"))
        self.seen_in_after_step[step_name] = dict(step_result.metrics)

    def pipeline_end(self, context):
        self.snapshot = context.metrics.snapshot()


def test_observed_rows_cost_no_spark_job_and_are_right(spark, users, tmp_path):
    hook = SeedMetricsHook()
    observed = run_pipeline_text(linear(users, tmp_path / "a"), spark=spark, plugins=[hook], directory=tmp_path)
    plain = run_pipeline_text(linear(users, tmp_path / "b", observe_rows=False), spark=spark, directory=tmp_path)
    assert observed.succeeded and plain.succeeded
    assert job_count(spark, observed) == job_count(spark, plain)

    src, keep, out = (observed.step(n).metrics for n in ("src", "keep", "out"))
    assert src["rows_out"] == ROWS and "rows_in" not in src
    assert keep["rows_in"] == ROWS and keep["rows_out"] == ROWS // 2
    assert out["rows_in"] == out["rows_written"] == out["rows_out"] == ROWS // 2
    written_files = sum(p.stat().st_size for p in (tmp_path / "a").glob("*.parquet"))
    assert out["bytes_written"] == written_files > 0

    # The README's hook: timers for every step, row counts fed from the observed figures.
    assert set(hook.snapshot["durations"]) == {"step.src", "step.keep", "step.out"}
    assert hook.snapshot["row_counts"] == {"step.src": ROWS, "step.keep": ROWS // 2, "step.out": ROWS // 2}
    # A sink's after_step already has its figures; a lazy source's are not known yet then.
    assert hook.seen_in_after_step["out"]["rows_written"] == ROWS // 2
    assert "rows_out" not in hook.seen_in_after_step["src"]


def test_without_observation_the_counts_are_missing_not_invented(spark, users, tmp_path):
    result = run_pipeline_text(linear(users, tmp_path / "c", observe_rows=False), spark=spark, directory=tmp_path)
    assert result.succeeded
    assert result.step("src").metrics["rows_out"] is None
    assert result.step("keep").metrics == {"rows_in": None, "rows_out": None}
    # Spark's own write metrics still give the sink's figures.
    assert result.step("out").metrics["rows_written"] == ROWS // 2


def test_an_output_nobody_computes_is_reported_missing_without_waiting(spark, users, tmp_path):
    result = run_pipeline_text(
        textwrap.dedent(f"""
        pipeline {{
          name = "unused-output"
          steps = [
            {{ name = "src", type = "ParquetSource", config {{ path = "{users}" }} }}
            {{ name = "keep", type = "Filter", config {{ condition = "country = 'US'" }} }}
          ]
        }}
    """),
        spark=spark,
        directory=tmp_path,
    )
    assert result.succeeded
    assert result.step("src").metrics["rows_out"] is None
    assert result.step("keep").metrics == {"rows_in": None, "rows_out": None}


def test_reading_an_observation_whose_plan_never_ran_returns_none(spark):
    observations = RowObservations("never-run", executed_wait_s=0.2)
    observations.observe("lonely", spark.range(5))
    assert observations.rows("lonely", executed=True) is None  # bounded wait, then missing


def test_a_producer_read_by_two_sinks_reports_its_rows_once(spark, users, tmp_path):
    result = run_pipeline_text(
        textwrap.dedent(f"""
        pipeline {{
          name = "fan-out-observed"
          steps = [
            {{ name = "src", type = "ParquetSource", config {{ path = "{users}" }} }}
            {{ name = "one", type = "ParquetSink", inputs = [src], config {{ path = "{tmp_path / "one"}" }} }}
            {{ name = "two", type = "ParquetSink", inputs = [src], config {{ path = "{tmp_path / "two"}" }} }}
          ]
        }}
    """),
        spark=spark,
        directory=tmp_path,
    )
    assert result.succeeded
    assert result.step("src").metrics["rows_out"] == ROWS
    assert result.step("one").metrics["rows_written"] == result.step("two").metrics["rows_written"] == ROWS


def _plan_nodes_of_run(spark, result) -> list[str]:
    """Names of the physical plan nodes of every SQL query the run executed (Spark's SQL status store)."""
    spark.sparkContext._jsc.sc().listenerBus().waitUntilEmpty(5000)
    run_jobs = {int(j) for j in spark.sparkContext.statusTracker().getJobIdsForGroup(job_group(result.run_id))}
    store = spark._jsparkSession.sharedState().statusStore()
    executions = store.executionsList()
    names = []
    for i in range(executions.size()):
        execution = executions.apply(i)
        jobs = {int(j) for j in execution.jobs().keys().mkString(",").split(",") if j}
        if jobs & run_jobs:
            nodes = store.planGraph(execution.executionId()).allNodes()
            names += [nodes.apply(k).name() for k in range(nodes.size())]
    return names


def test_a_plain_file_pipeline_counts_rows_without_adding_anything_to_the_plan(spark, users, tmp_path):
    """Source rows from the scan's metric, sink rows from the write's: no observation node splits
    code generation or stops a filter from reaching the scan."""
    result = run_pipeline_text(linear(users, tmp_path / "plain"), spark=spark, directory=tmp_path)
    assert result.succeeded
    assert result.step("src").metrics["rows_out"] == ROWS
    assert result.step("keep").metrics == {"rows_in": ROWS, "rows_out": ROWS // 2}
    nodes = _plan_nodes_of_run(spark, result)
    assert any(name.startswith("Scan parquet") for name in nodes)
    assert not [name for name in nodes if "CollectMetrics" in name]


def test_counting_a_source_keeps_partition_pruning(spark, tmp_path):
    """A filter on the partition column reaches the scan: only that partition is read, and the
    source's figure is what Spark read."""
    path = str(tmp_path / "by_country")
    spark.createDataFrame(
        [(i, "US" if i % 4 == 0 else "DE") for i in range(1, ROWS + 1)], "user_id BIGINT, country STRING"
    ).write.partitionBy("country").parquet(path)
    result = run_pipeline_text(linear(path, tmp_path / "us"), spark=spark, directory=tmp_path)
    assert result.succeeded
    us_rows = ROWS // 4
    assert result.step("src").metrics["rows_out"] == us_rows  # the DE partition was never read
    assert result.step("out").metrics["rows_written"] == us_rows
    assert spark.read.parquet(str(tmp_path / "us")).count() == us_rows


def test_a_source_that_filters_itself_is_observed_not_taken_from_its_scan(spark, users, tmp_path):
    from ppf_spark_components import FilteringParquetSource

    source_step = (
        f'type = "ppf_spark_components.FilteringParquetSource", '
        f'config {{ path = "{users}", condition = "user_id <= 10" }}'
    )
    result = run_pipeline_text(
        linear(users, tmp_path / "ten", name="self-filtering-source", source_step=source_step),
        spark=spark,
        directory=tmp_path,
    )
    assert FilteringParquetSource.kind == "source"
    assert result.succeeded
    assert result.step("src").metrics["rows_out"] == 10  # the scan read 40; the source put out 10
    assert result.step("keep").metrics == {"rows_in": 10, "rows_out": 5}


def test_a_retried_sink_reports_the_rows_of_its_last_attempt_only(spark, users, tmp_path):
    import ppf_spark_components as components

    components.SinkFailingAfterFirstWrite.attempts = 0
    with retries_without_waiting():
        result = run_pipeline_text(
            linear(
                users,
                tmp_path / "retried",
                name="retried-sink",
                sink_type="ppf_spark_components.SinkFailingAfterFirstWrite",
                sink_extra='retry { max_attempts = 2, backoff = fixed, initial_delay = "1s" }',
            ),
            spark=spark,
            directory=tmp_path,
        )
    assert result.succeeded and result.step("out").attempts == 2
    out = result.step("out").metrics
    assert out["rows_in"] == out["rows_written"] == ROWS // 2  # not the first attempt's rows too
    assert result.step("keep").metrics["rows_out"] == ROWS // 2
    written_files = sum(p.stat().st_size for p in (tmp_path / "retried").glob("*.parquet"))
    assert out["bytes_written"] == written_files


def test_a_source_behind_a_shuffle_and_a_self_join_is_counted_once_per_read(spark, users, tmp_path):
    """Adaptive execution splits the query into stages and a self-join reads the source twice
    (Spark gives the second read fresh column ids): the source's figure is one read's rows."""
    result = run_pipeline_text(
        textwrap.dedent(f"""
        pipeline {{
          name = "source-behind-shuffle"
          steps = [
            {{ name = "src", type = "ParquetSource", config {{ path = "{users}" }} }}
            {{ name = "pairs", type = "SqlTransform", config {{ query = "SELECT a.country, count(*) AS n FROM src a JOIN src b ON a.country = b.country GROUP BY a.country" }} }}
            {{ name = "out", type = "ParquetSink", config {{ path = "{tmp_path / "pairs"}" }} }}
          ]
        }}
    """),
        spark=spark,
        directory=tmp_path,
    )
    assert result.succeeded
    assert result.step("src").metrics["rows_out"] == ROWS
    assert result.step("pairs").metrics == {"rows_in": ROWS, "rows_out": 2}
    assert result.step("out").metrics["rows_written"] == 2
