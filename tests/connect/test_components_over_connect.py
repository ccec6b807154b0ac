"""The built-in components, the step figures and cancellation on a Spark Connect session.

The session is a real Connect client of a real server (``connect_spark``, ``connect_server``):
there is no JVM in this process.  Every run here also checks that ppf never reached for what a
Connect session does not have (``sparkContext``, ``_jsc``, ``_jvm``, ``_jsparkSession``, a
DataFrame's ``_jdf``): PySpark raises for them, and ppf must not even ask, because a caught
error would hide a figure or a cancellation that silently does nothing.
"""

from __future__ import annotations

import json
import textwrap
import threading
import time

import pytest

from pyspark_pipeline_framework.core import Transform, TransformConfig
from pyspark_pipeline_framework.core.results import StepStatus
from pyspark_pipeline_framework.spark import job_group
from pyspark_pipeline_framework.spark.connect import is_connect
from pyspark_pipeline_framework.testing import run_pipeline_text

pytestmark = [pytest.mark.spark, pytest.mark.connect]

JVM_ONLY = {"sparkContext", "_jsc", "_jvm", "_jsparkSession", "_jconf", "_jdf"}


@pytest.fixture
def jvm_reaches(monkeypatch):
    """Names of JVM-only attributes asked of a Connect session or DataFrame during the test."""
    from pyspark.sql.connect.dataframe import DataFrame
    from pyspark.sql.connect.session import SparkSession

    asked: list[str] = []
    for cls in (SparkSession, DataFrame):
        original = cls.__getattr__

        def recording(self, name, _original=original):
            if name in JVM_ONLY:
                asked.append(name)
            return _original(self, name)

        monkeypatch.setattr(cls, "__getattr__", recording)
    return asked


def conf(text: str) -> str:
    return textwrap.dedent(text)


def test_the_session_is_a_connect_session(connect_spark, spark):
    assert is_connect(connect_spark) and is_connect(connect_spark.range(1))
    assert not is_connect(spark) and not is_connect(spark.range(1))


def test_builtin_components_over_connect(connect_spark, jvm_reaches, tmp_path):
    src = tmp_path / "users.csv"
    src.write_text("id,k,n,email\n1,a,3,a@x.org\n1,a,3,a@x.org\n2,b,4,b@x.org\n3,c,5,\n4,d,6,d@x.org\n")
    out = tmp_path / "out"
    result = run_pipeline_text(
        conf(f"""
        pipeline {{
          name = "everyday-over-connect"
          steps = [
            {{ name = "src", type = "CsvSource",
               config {{ path = "{src}", options {{ header = "true" }}, schema = "id INT, k STRING, n STRING, email STRING" }} }}
            {{ name = "dedup", type = "Deduplicate", config {{ columns = ["id"] }} }}
            {{ name = "cast", type = "CastColumns", config {{ columns {{ n = "int" }} }} }}
            {{ name = "rename", type = "RenameColumns", config {{ columns {{ k = "key" }} }} }}
            {{ name = "filter", type = "Filter", config {{ condition = "n > 3" }} }}
            {{ name = "dq", type = "DataQuality",
               config {{ checks = [ {{ type = not_null, columns = [email], action = drop }} ] }} }}
            {{ name = "select", type = "SelectColumns", config {{ columns = ["id", "key", "n * 2 AS doubled"] }} }}
            {{ name = "sql", type = "SqlTransform", config {{ query = "SELECT id, upper(key) AS key, doubled FROM select" }} }}
            {{ name = "parquet", type = "ParquetSink", config {{ path = "{out / "parquet"}", mode = "overwrite" }}, inputs = ["select"] }}
            {{ name = "json", type = "JsonSink", config {{ path = "{out / "json"}" }}, inputs = ["sql"] }}
            {{ name = "csv", type = "CsvSink", config {{ path = "{out / "csv"}", options {{ header = "true" }} }}, inputs = ["select"] }}
            {{ name = "orc", type = "OrcSink", config {{ path = "{out / "orc"}" }}, inputs = ["sql"] }}
          ]
        }}
    """),
        spark=connect_spark,
        directory=tmp_path,
    )
    assert result.succeeded, result.to_dict()
    for fmt, expected in (("parquet", [(2, "b", 8), (4, "d", 12)]), ("json", [(2, "B", 8), (4, "D", 12)])):
        rows = connect_spark.read.format(fmt).load(str(out / fmt)).select("id", "key", "doubled").collect()
        assert sorted((int(r[0]), r[1], int(r[2])) for r in rows) == expected, fmt
    orc_rows = connect_spark.read.orc(str(out / "orc")).collect()
    assert sorted((r["id"], r["key"], r["doubled"]) for r in orc_rows) == [(2, "B", 8), (4, "D", 12)]
    csv_rows = connect_spark.read.csv(str(out / "csv"), header=True, inferSchema=True).collect()
    assert sorted((r["id"], r["key"], r["doubled"]) for r in csv_rows) == [(2, "b", 8), (4, "d", 12)]
    # Step figures over Connect: row counts from observations, bytes written unavailable.  Each
    # sink counts what it wrote with an observation of its own: exact although they write at once.
    for sink in ("parquet", "json", "csv", "orc"):
        assert result.step(sink).metrics["rows_in"] == 2, sink
        assert result.step(sink).metrics["rows_written"] == 2, sink
    # `select` and `sql` are persisted for their several consumers, whose writes may run at once
    # and would be counted together: their rows and their upstream steps' rows are missing.
    for step in ("src", "dedup", "dq", "select", "sql"):
        assert result.step(step).metrics["rows_out"] is None, step
    assert result.step("parquet").metrics["bytes_written"] is None
    assert result.step("dq").metrics["data_quality"]["rows_dropped"] == 1
    assert jvm_reaches == []


def test_an_output_read_by_sinks_writing_at_once_never_reports_an_inflated_count(connect_spark, tmp_path):
    """Two sinks write a shared (persisted) output at once: the server accumulates the observations
    inside its cached plan over both writes.  Each sink's figure is exact; the shared rows are missing."""
    connect_spark.range(0, 8, 1, 4).write.parquet(str(tmp_path / "in"))
    # Every row sleeps on the server (no Python worker), so the two writes overlap.
    slow_id = "id + coalesce(length(reflect('java.lang.Thread', 'sleep', CAST(300 + id * 0 AS BIGINT))), 0) * 0 AS id"
    result = run_pipeline_text(
        conf(f"""
        pipeline {{
          name = "shared-output"
          steps = [
            {{ name = "src", type = "ParquetSource", config {{ path = "{tmp_path / "in"}" }} }}
            {{ name = "slow", type = "SelectColumns", config {{ columns = ["{slow_id}"] }} }}
            {{ name = "a", type = "JsonSink", config {{ path = "{tmp_path / "a"}" }}, inputs = ["slow"] }}
            {{ name = "b", type = "OrcSink", config {{ path = "{tmp_path / "b"}" }}, inputs = ["slow"] }}
            {{ name = "low", type = "Filter", config {{ condition = "id < 3" }}, inputs = ["slow"] }}
            {{ name = "c", type = "ParquetSink", config {{ path = "{tmp_path / "c"}" }}, inputs = ["low"] }}
          ]
        }}
    """),
        spark=connect_spark,
        directory=tmp_path,
    )
    assert result.succeeded, result.to_dict()
    assert sorted(r["id"] for r in connect_spark.read.json(str(tmp_path / "a")).collect()) == list(range(8))
    assert connect_spark.read.orc(str(tmp_path / "b")).count() == 8
    assert result.step("a").metrics["rows_written"] == 8
    assert result.step("b").metrics["rows_written"] == 8
    assert result.step("c").metrics["rows_written"] == 3
    assert result.step("low").metrics["rows_out"] == 3  # observed above the cache: only `c` runs it
    assert result.step("slow").metrics["rows_out"] is None
    assert result.step("src").metrics["rows_out"] is None
    assert result.step("low").metrics["rows_in"] is None


def test_table_sink_and_source_over_connect(connect_spark, jvm_reaches, tmp_path):
    connect_spark.sql("DROP TABLE IF EXISTS ppf_connect_ids")
    connect_spark.range(3).selectExpr("CAST(id AS INT) AS id").write.parquet(str(tmp_path / "in"))
    written = run_pipeline_text(
        conf(f"""
        pipeline {{
          name = "to-table"
          steps = [
            {{ name = "src", type = "ParquetSource", config {{ path = "{tmp_path / "in"}" }} }}
            {{ name = "to-table", type = "TableSink", config {{ table = "ppf_connect_ids", format = "parquet" }} }}
          ]
        }}
    """),
        spark=connect_spark,
        directory=tmp_path,
    )
    assert written.succeeded, written.to_dict()
    read = run_pipeline_text(
        conf(f"""
        pipeline {{
          name = "from-table"
          steps = [
            {{ name = "from-table", type = "TableSource", config {{ table = "ppf_connect_ids" }} }}
            {{ name = "out", type = "JsonSink", config {{ path = "{tmp_path / "out"}" }} }}
          ]
        }}
    """),
        spark=connect_spark,
        directory=tmp_path,
    )
    assert read.succeeded, read.to_dict()
    assert sorted(r["id"] for r in connect_spark.read.json(str(tmp_path / "out")).collect()) == [0, 1, 2]
    assert jvm_reaches == []


def test_a_failing_step_fails_the_run_over_connect(connect_spark, jvm_reaches, tmp_path):
    connect_spark.range(3).write.parquet(str(tmp_path / "in"))
    result = run_pipeline_text(
        conf(f"""
        pipeline {{
          name = "bad-column"
          steps = [
            {{ name = "src", type = "ParquetSource", config {{ path = "{tmp_path / "in"}" }} }}
            {{ name = "pick", type = "SelectColumns", config {{ columns = ["no_such_column"] }} }}
            {{ name = "out", type = "ParquetSink", config {{ path = "{tmp_path / "out"}" }} }}
          ]
        }}
    """),
        spark=connect_spark,
        directory=tmp_path,
    )
    assert not result.succeeded
    assert result.step("pick").status is StepStatus.FAILED and "no_such_column" in result.step("pick").error
    assert not (tmp_path / "out").exists()
    assert jvm_reaches == []


class SlowConfig(TransformConfig):
    seconds: int = 60


class Slow(Transform[SlowConfig]):
    """Rows that take ``seconds`` to compute (a SQL sleep on the server, no Python worker)."""

    def transform(self, df):
        return df.selectExpr(
            f"id + size(sequence(0, reflect('java.lang.Thread', 'sleep', {self.config.seconds * 1000}L) IS NULL)) AS id"
        )


def test_the_runs_operations_carry_its_tag_and_are_interrupted_by_it(connect_spark, tmp_path):
    """What cancellation of a run uses on Connect: its tag, interrupting only its operations."""
    from pyspark_pipeline_framework.spark.connect import cancel_jobs, tag_jobs

    tag = job_group("connect-cancel-test")
    errors: list[BaseException] = []

    def slow_query():
        tag_jobs(connect_spark, tag)
        try:
            connect_spark.range(1).selectExpr("reflect('java.lang.Thread', 'sleep', 60000L)").collect()
        except BaseException as error:  # the interrupted operation fails
            errors.append(error)

    worker = threading.Thread(target=slow_query)
    started = time.monotonic()
    worker.start()
    interrupted: list[str] = []
    while not interrupted and time.monotonic() - started < 30:
        time.sleep(0.5)
        interrupted = cancel_jobs(connect_spark, tag)
    worker.join(timeout=60)
    assert interrupted, "the tagged operation was not found running"
    assert errors and time.monotonic() - started < 45
    assert connect_spark.range(3).count() == 3  # the session is still usable


def test_every_jvm_handle_is_absent_on_a_connect_session(connect_spark, jvm_reaches, tmp_path):
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    from pyspark_pipeline_framework.spark import _jvm

    df = connect_spark.range(3)
    observation = Observation("jvm-handles")
    observed = df.observe(observation, F.count(F.lit(1)).alias("rows"))
    assert _jvm.status_store(connect_spark) is None
    assert _jvm.sql_status_store(connect_spark) is None
    assert _jvm.wait_for_listener_bus(connect_spark, 10) is False
    assert _jvm.hadoop_file_system(connect_spark) is None
    assert _jvm.first_lines(connect_spark, str(tmp_path), "UTF-8", 1) is None
    assert _jvm.only_fatal_spark_logs(connect_spark) is False
    assert _jvm.optimized_plan(df) is None
    assert _jvm.observation_future(observation) is None
    assert jvm_reaches == []
    observed.collect()
    assert observation.get == {"rows": 3}


def test_an_observation_keeps_the_first_actions_values(connect_spark):
    """As on a classic session: a later action reading the observed plan from a cache does not change them."""
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    from pyspark_pipeline_framework.spark.observations import keep_first_observed_values

    observation = Observation("first-values")
    observed = connect_spark.range(4).observe(observation, F.count(F.lit(1)).alias("rows"))
    keep_first_observed_values(observation)
    observed.collect()
    observed.union(observed).collect()  # the same observation again: Connect's client would take its values
    assert observation.get == {"rows": 4}


def test_a_file_sink_writes_straight_to_its_target_over_connect(connect_spark, jvm_reaches, tmp_path):
    """No staging directory and commit lock (they need Hadoop's FileSystem in the driver): Spark's own write."""
    connect_spark.range(3).write.parquet(str(tmp_path / "in"))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.txt").write_text("existing target")
    text = conf(f"""
        pipeline {{
          name = "straight"
          steps = [
            {{ name = "src", type = "ParquetSource", config {{ path = "{tmp_path / "in"}" }} }}
            {{ name = "out", type = "ParquetSink", config {{ path = "{tmp_path / "out"}", mode = "error" }} }}
          ]
        }}
    """)
    refused = run_pipeline_text(text, spark=connect_spark, directory=tmp_path)
    assert refused.step("out").status is StepStatus.FAILED
    assert "already exists" in refused.step("out").error.lower()
    written = run_pipeline_text(
        text.replace('mode = "error"', 'mode = "overwrite"'), spark=connect_spark, directory=tmp_path
    )
    assert written.succeeded, written.to_dict()
    assert sorted(r["id"] for r in connect_spark.read.parquet(str(tmp_path / "out")).collect()) == [0, 1, 2]
    assert not [p for p in tmp_path.iterdir() if ".ppf-" in p.name]  # no staging, old-data or lock entries
    assert jvm_reaches == []


def test_a_csv_header_that_differs_from_the_schema_fails_through_sparks_own_check(connect_spark, jvm_reaches, tmp_path):
    """ppf's driver-side header read needs the driver's JVM; Spark's check (enforceSchema = false) still fails the run."""
    (tmp_path / "in.csv").write_text("name,id\nada,1\n")
    result = run_pipeline_text(
        conf(f"""
        pipeline {{
          name = "header"
          steps = [
            {{ name = "src", type = "CsvSource",
               config {{ path = "{tmp_path / "in.csv"}", options {{ header = "true" }}, schema = "id INT, name STRING" }} }}
            {{ name = "out", type = "JsonSink", config {{ path = "{tmp_path / "out"}" }} }}
          ]
        }}
    """),
        spark=connect_spark,
        directory=tmp_path,
    )
    assert not result.succeeded
    failed = [s for s in result.steps if s.status is StepStatus.FAILED]
    assert failed and "header" in failed[0].error.lower(), result.to_dict()
    assert jvm_reaches == []


def test_a_staged_write_without_an_in_place_write_is_refused_over_connect(connect_spark, tmp_path):
    """``write`` overwrites its staging place; called on the target it would ignore the mode: refused, clearly."""
    from pyspark_pipeline_framework.spark import StagingUnavailable, write_staged

    (tmp_path / "out").mkdir()
    with pytest.raises(StagingUnavailable, match="Spark Connect"):
        write_staged(
            connect_spark, str(tmp_path / "out"), "error", lambda staging: connect_spark.range(1).write.save(staging)
        )
    assert [p.name for p in (tmp_path / "out").iterdir()] == []


def test_rows_read_only_through_a_sql_transform_are_missing_over_connect(connect_spark, tmp_path):
    """A SqlTransform reads its inputs as temporary views: Connect reports their observations to no client."""
    connect_spark.range(5).write.parquet(str(tmp_path / "in"))
    result = run_pipeline_text(
        conf(f"""
        pipeline {{
          name = "through-sql"
          steps = [
            {{ name = "src", type = "ParquetSource", config {{ path = "{tmp_path / "in"}" }} }}
            {{ name = "sql", type = "SqlTransform", config {{ query = "SELECT id FROM src WHERE id < 3" }} }}
            {{ name = "out", type = "JsonSink", config {{ path = "{tmp_path / "out"}" }} }}
          ]
        }}
    """),
        spark=connect_spark,
        directory=tmp_path,
    )
    assert result.succeeded, result.to_dict()
    assert result.step("src").metrics["rows_out"] is None  # missing, never invented
    assert result.step("sql").metrics["rows_out"] == 3
    assert result.step("out").metrics["rows_written"] == 3


@pytest.mark.services
def test_a_kafka_sink_writes_a_batch_over_connect(connect_spark, jvm_reaches, kafka_broker, kafka_topic, tmp_path):
    """The server has Spark's Kafka connector (its operator's part, docs/connect.md); a batch pipeline
    writes through it.  KafkaSource reads a stream: streaming pipelines are refused over Connect."""
    src = tmp_path / "orders.csv"
    src.write_text("id,item,qty\n1,apple,3\n2,pear,5\n")
    result = run_pipeline_text(
        conf(f"""
        pipeline {{
          name = "orders-to-kafka"
          steps = [
            {{ name = "src", type = "CsvSource", config {{ path = "{src}", options {{ header = "true" }}, schema = "id INT, item STRING, qty INT" }} }}
            {{ name = "out", type = "KafkaSink",
               config {{ bootstrap_servers = "{kafka_broker.bootstrap_servers}", topic = "{kafka_topic}", key_column = "id" }} }}
          ]
        }}
    """),
        spark=connect_spark,
        directory=tmp_path,
    )
    assert result.succeeded, result.to_dict()
    messages = sorted((m.key, json.loads(m.value)) for m in kafka_broker.consume_all(kafka_topic))
    assert messages == [(b"1", {"item": "apple", "qty": 3}), (b"2", {"item": "pear", "qty": 5})]
    # What docs/connect.md says: the Kafka writer's rows are not reported over Connect.
    assert result.step("out").metrics["rows_written"] is None
    assert jvm_reaches == []
