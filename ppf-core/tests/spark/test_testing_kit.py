"""The testing kit on real Spark: pipelines with given sources and captured sinks, one component, DataFrame diffs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pyspark_pipeline_framework.core import ConfigError, StepStatus
from pyspark_pipeline_framework.testing import (
    assert_dataframe_equal,
    build_component,
    job_count,
    run_pipeline,
)

pytestmark = pytest.mark.spark

EXAMPLE = Path(__file__).parents[3] / "examples" / "user_etl" / "pipelines" / "user_etl.conf"
USERS = "user_id BIGINT, name STRING, email STRING, phone STRING, ssn STRING, country STRING, signup_date DATE"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def users(spark):
    import datetime

    day = datetime.date(2025, 1, 2)
    rows = [
        (1, "Ann", "ann@example.org", "+1-555-0001", "100-00-0001", "US", day),
        (2, "Bo", "bo@example.com", "+1-555-0002", "100-00-0002", "DE", day),
    ]
    return spark.createDataFrame(rows, USERS)


def test_the_example_pipeline_runs_on_given_users_and_its_sink_is_captured_not_written(spark, users, tmp_path):
    out = tmp_path / "out"
    run = run_pipeline(
        EXAMPLE,
        spark=spark,
        sources={"extract-users": users},
        overrides=["pipeline.hooks.enable_audit_log=false", f"pipeline.steps[3].config.path={out}"],
    )
    assert run.succeeded and run.status == "succeeded", run.result.to_dict()
    assert run.captured == ("load-warehouse",)
    assert not out.exists()  # captured, not written
    expected = spark.createDataFrame(
        [
            (
                1,
                "Ann",
                sha("ann@example.org"),
                sha("+1-555-0001"),
                sha("100-00-0001"),
                "US",
                users.first()[6],
                "example.org",
            ),
            (
                2,
                "Bo",
                sha("bo@example.com"),
                sha("+1-555-0002"),
                sha("100-00-0002"),
                "DE",
                users.first()[6],
                "example.com",
            ),
        ],
        USERS + ", email_domain STRING",
    )
    assert_dataframe_equal(run.sink("load-warehouse"), expected)
    assert [step.status for step in run.steps] == [StepStatus.SUCCEEDED] * 4
    # The hooks saw the run (the deferred UDF step was resolved, then replaced nothing: it is a transform).
    assert run.hook_calls.names(step="load-warehouse") == ["before_step", "after_step"]
    assert [call["step_name"] for call in run.hook_calls.of("after_step")] == [
        "extract-users",
        "email-domain",
        "anonymize-pii",
        "load-warehouse",
    ]


def test_a_pipeline_given_as_text_with_its_sinks_run_as_written_when_asked(spark, tmp_path):
    numbers = spark.range(5)
    out = tmp_path / "evens"
    text = f"""
    pipeline {{
      name = "evens"
      steps = [
        {{ name = "numbers", type = "ParquetSource", config {{ path = "/nowhere/numbers" }} }}
        {{ name = "evens", type = "Filter", config {{ condition = "id % 2 = 0" }} }}
        {{ name = "save", type = "ParquetSink", config {{ path = "{out}" }} }}
      ]
    }}
    """
    run = run_pipeline(text, spark=spark, sources={"numbers": numbers}, capture_sinks=())
    assert run.succeeded, run.result.to_dict()
    assert run.captured == () and run.sinks == {}
    assert sorted(r.id for r in spark.read.parquet(str(out)).collect()) == [0, 2, 4]
    with pytest.raises(LookupError, match=r"sink step 'save' was not captured; captured: none"):
        run.sink("save")


def test_a_captured_sink_computes_its_rows_within_the_run_in_one_job(spark):
    text = """
    pipeline {
      name = "one-job"
      steps = [
        { name = "numbers", type = "ParquetSource", config { path = "/nowhere" } }
        { name = "out", type = "ParquetSink", config { path = "/nowhere/out" } }
      ]
    }
    """
    run = run_pipeline(text, spark=spark, sources={"numbers": spark.range(3)})
    assert job_count(spark, run.result) == 1
    assert sorted(r.id for r in run.sink("out").collect()) == [0, 1, 2]
    assert run.sinks.keys() == {"out"}


def test_a_failing_step_fails_the_run_and_its_sink_says_it_received_nothing(spark):
    text = """
    pipeline {
      name = "broken"
      steps = [
        { name = "numbers", type = "ParquetSource", config { path = "/nowhere" } }
        { name = "bad", type = "SqlTransform", config { query = "SELECT no_such_column FROM numbers" } }
        { name = "out", type = "ParquetSink", config { path = "/nowhere/out" } }
      ]
    }
    """
    run = run_pipeline(text, spark=spark, sources={"numbers": spark.range(3)})
    assert not run.succeeded and run.status == "failed"
    assert run.step("bad").status is StepStatus.FAILED
    with pytest.raises(LookupError, match=r"sink step 'out' received nothing: it ended as not_run"):
        run.sink("out")


def test_unknown_source_and_sink_names_are_errors_naming_the_steps_there_are(spark):
    with pytest.raises(
        ValueError,
        match=r"no source step named 'user' in pipeline 'user-etl-local'; "
        r"its source steps: extract-users",
    ):
        run_pipeline(EXAMPLE, spark=spark, sources={"user": spark.range(1)})
    with pytest.raises(ValueError, match=r"no sink step named 'anonymize-pii'.*its sink steps: load-warehouse"):
        run_pipeline(EXAMPLE, spark=spark, sources={"extract-users": spark.range(1)}, capture_sinks=["anonymize-pii"])


def test_the_pipeline_is_validated_as_written(spark):
    with pytest.raises(ConfigError, match=r"pipeline.steps\[2\].config.pii_fields"):
        run_pipeline(EXAMPLE, spark=spark, overrides=["pipeline.steps[2].config.pii_fields=7"])


def test_log_events_and_hook_calls_of_a_run_are_captured_by_the_fixtures(spark, ppf_log_events, ppf_hook_calls):
    text = """
    pipeline {
      name = "logged"
      steps = [
        { name = "numbers", type = "ParquetSource", config { path = "/nowhere" } }
        { name = "out", type = "ParquetSink", config { path = "/nowhere/out" } }
      ]
    }
    """
    run = run_pipeline(text, spark=spark, sources={"numbers": spark.range(2)}, plugins=[ppf_hook_calls])
    assert run.succeeded
    assert ppf_hook_calls.names() == [
        "ppf_secret_resolvers",  # the session is given: ppf_spark_session_settings is not asked
        "pipeline_start",
        "before_step",
        "after_step",
        "before_step",
        "after_step",
        "pipeline_end",
    ]
    assert ppf_hook_calls.of("pipeline_end")[0]["result"].succeeded
    succeeded = ppf_log_events.named("step_succeeded")
    assert sorted(event["step"] for event in succeeded) == ["numbers", "out"]
    assert ppf_log_events.named("pipeline_finished")[0]["status"] == "succeeded"


def test_build_component_checks_the_config_and_gives_a_component_ready_to_call(spark, users):
    anonymize = build_component(
        "my_pipelines.transforms.UserAnonymizer", {"pii_fields": ["email"]}, spark=spark, step_name="anon"
    )
    assert anonymize.step_name == "anon" and anonymize.context.spark is spark
    out = anonymize.transform(users.select("user_id", "email"))
    expected = spark.createDataFrame(
        [(1, sha("ann@example.org")), (2, sha("bo@example.com"))], "user_id BIGINT, email STRING"
    )
    assert_dataframe_equal(out, expected)

    select = build_component("SelectColumns", {"columns": ["name"]}, spark=spark)
    assert_dataframe_equal(select.run_step({"in": users}), users.select("name"))

    with pytest.raises(ConfigError) as caught:
        build_component("my_pipelines.transforms.UserAnonymizer", {"pii_field": ["email"]}, spark=spark)
    assert [issue.path for issue in caught.value.issues] == ["config.pii_fields", "config.pii_field"]


def test_assert_dataframe_equal_says_what_differs_in_schema_and_rows(spark):
    expected = spark.createDataFrame([(1, "ann"), (2, "bo"), (3, "cy")], "id INT, name STRING")
    actual = spark.createDataFrame(
        [(1, "ann", True), (2, "Bo", False), (3, "cy", True)], "id BIGINT, name STRING, ok BOOLEAN"
    )
    with pytest.raises(AssertionError) as caught:
        assert_dataframe_equal(actual, expected)
    assert str(caught.value).splitlines() == [
        "DataFrames differ",
        "schema differs (expected -> actual):",
        "  column id: type int -> bigint",
        "  unexpected column ok: boolean",
        "rows differ on columns id, name (order ignored): 3 expected, 3 actual, 1 missing, 1 unexpected",
        "  missing rows (expected, not in actual):",
        "    {id=2, name='bo'}",
        "  unexpected rows (in actual, not expected):",
        "    {id=2, name='Bo'}",
    ]
    # Rows in another order, columns in another order: equal unless the order is checked.
    shuffled = spark.createDataFrame([("cy", 3), ("ann", 1), ("bo", 2)], "name STRING, id INT")
    assert_dataframe_equal(shuffled, expected)
    with pytest.raises(
        AssertionError, match=r"row 0:\n    expected \{id=1, name='ann'\}\n    actual   \{id=3, name='cy'\}"
    ):
        assert_dataframe_equal(shuffled, expected, check_order=True)


def test_a_captured_sink_of_a_streaming_pipeline_receives_every_micro_batch(spark, tmp_path):
    for batch, ids in enumerate([(1, 2), (3,)]):
        spark.createDataFrame([(i,) for i in ids], "id INT").write.parquet(str(tmp_path / "in" / f"batch={batch}"))
    text = f"""
    pipeline {{
      name = "stream"
      streaming {{ trigger = "available_now", checkpoint_location = "{tmp_path / "checkpoints"}" }}
      steps = [
        {{ name = "events", type = "ParquetStreamSource",
           config {{ path = "{tmp_path / "in"}/*", schema = "id INT", max_files_per_trigger = 1 }} }}
        {{ name = "out", type = "ParquetSink", config {{ path = "{tmp_path / "out"}", mode = "append" }} }}
      ]
    }}
    """
    run = run_pipeline(text, spark=spark)
    assert run.succeeded, run.result.to_dict()
    assert not (tmp_path / "out").exists()
    assert len(run.hook_calls.of("after_micro_batch")) > 1  # so the rows below come from several batches
    assert_dataframe_equal(run.sink("out"), spark.createDataFrame([(1,), (2,), (3,)], "id INT"))
