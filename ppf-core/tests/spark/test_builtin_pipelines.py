"""Pipelines on real Spark with the built-in components and the Quick Start's UserAnonymizer."""

from __future__ import annotations

import hashlib
import textwrap

import pytest

from pyspark_pipeline_framework.testing import assert_dataframe_equal, job_count, run_pipeline, run_pipeline_text

pytestmark = pytest.mark.spark


@pytest.fixture
def users(spark, tmp_path):
    rows = [
        (i, f"user{i}@example.com", f"+1-555-{1000 + i}", f"{100 + i}-00-{1000 + i}", "US" if i % 2 else "DE")
        for i in range(1, 51)
    ]
    path = str(tmp_path / "users")
    spark.createDataFrame(rows, "user_id BIGINT, email STRING, phone STRING, ssn STRING, country STRING").write.parquet(
        path
    )
    return path, rows


def conf(text):
    return textwrap.dedent(text)


def test_quick_start_user_anonymizer_between_builtin_parquet_components(spark, users, tmp_path):
    source, rows = users
    out = tmp_path / "out"
    result = run_pipeline_text(
        conf(f"""
        pipeline {{
          name = "user-etl"
          steps = [
            {{ name = "extract-users", type = "ParquetSource", config {{ path = "{source}" }} }}
            {{ name = "anonymize-pii", type = "my_pipelines.transforms.UserAnonymizer",
               config {{ pii_fields = ["email", "phone", "ssn"], hash_algorithm = "sha256" }} }}
            {{ name = "load", type = "ParquetSink", config {{ path = "{out}", mode = "overwrite" }} }}
          ]
        }}
    """),
        spark=spark,
        directory=tmp_path,
    )
    assert result.succeeded, result.to_dict()
    written = {r["user_id"]: r for r in spark.read.parquet(str(out)).collect()}
    assert len(written) == len(rows)
    for user_id, email, phone, ssn, _ in rows:
        for column, plain in (("email", email), ("phone", phone), ("ssn", ssn)):
            assert written[user_id][column] == hashlib.sha256(plain.encode()).hexdigest()


def test_no_spark_job_beyond_the_hand_written_equivalent(spark, users, tmp_path):
    source, _ = users
    result = run_pipeline_text(
        conf(f"""
        pipeline {{
          name = "jobs"
          steps = [
            {{ name = "src", type = "ParquetSource", config {{ path = "{source}" }} }}
            {{ name = "keep", type = "Filter", config {{ condition = "country = 'US'" }} }}
            {{ name = "out", type = "ParquetSink", config {{ path = "{tmp_path / "ppf"}" }} }}
          ]
        }}
    """),
        spark=spark,
        directory=tmp_path,
    )
    assert result.succeeded

    sc = spark.sparkContext
    sc.setJobGroup("hand-written", "the same job by hand")
    spark.read.parquet(source).where("country = 'US'").write.parquet(str(tmp_path / "hand"))
    hand = len(sc.statusTracker().getJobIdsForGroup("hand-written"))
    sc.setJobGroup("", "")
    assert job_count(spark, result) == hand


def test_a_producer_read_by_two_sinks_is_computed_once(spark, users, tmp_path):
    source, rows = users
    acc = spark.sparkContext.accumulator(0)

    import ppf_spark_components as components

    components.COUNTER = acc
    result = run_pipeline_text(
        conf(f"""
        pipeline {{
          name = "fan-out"
          steps = [
            {{ name = "src", type = "ParquetSource", config {{ path = "{source}" }} }}
            {{ name = "counted", type = "ppf_spark_components.CountRows" }}
            {{ name = "out-a", type = "ParquetSink", config {{ path = "{tmp_path / "a"}" }} }}
            {{ name = "out-b", type = "JsonSink", config {{ path = "{tmp_path / "b"}" }} }}
          ]
        }}
    """),
        spark=spark,
        directory=tmp_path,
    )
    assert result.succeeded
    assert spark.read.parquet(str(tmp_path / "a")).count() == len(rows)
    assert spark.read.json(str(tmp_path / "b")).count() == len(rows)
    assert acc.value == len(rows)  # computed once, not once per sink


def test_sql_transform_joins_named_inputs(spark, tmp_path):
    spark.createDataFrame([(1, "ada"), (2, "alan")], "id INT, name STRING").write.json(str(tmp_path / "people"))
    spark.createDataFrame([(1, 10.0), (1, 5.0), (2, 1.0)], "id INT, amount DOUBLE").write.csv(
        str(tmp_path / "orders"), header=True
    )
    out = tmp_path / "out"
    result = run_pipeline_text(
        conf(f"""
        pipeline {{
          name = "join"
          steps = [
            {{ name = "people", type = "JsonSource", config {{ path = "{tmp_path / "people"}" }} }}
            {{ name = "raw-orders", type = "CsvSource",
               config {{ path = "{tmp_path / "orders"}", options {{ header = "true" }}, schema = "id INT, amount DOUBLE" }} }}
            {{ name = "totals", type = "SqlTransform", inputs = ["people", "raw-orders"], config {{
                 query = "SELECT p.name, SUM(o.amount) AS total FROM people p JOIN raw_orders o ON p.id = o.id GROUP BY p.name"
            }} }}
            {{ name = "out", type = "OrcSink", config {{ path = "{out}" }} }}
          ]
        }}
    """),
        spark=spark,
        directory=tmp_path,
    )
    assert result.succeeded, result.to_dict()
    expected = spark.createDataFrame([("ada", 15.0), ("alan", 1.0)], "name STRING, total DOUBLE")
    assert_dataframe_equal(spark.read.orc(str(out)), expected)


def test_everyday_transforms(spark):
    given = spark.createDataFrame([(1, "a", "3"), (1, "a", "3"), (2, "b", "4")], "id INT, k STRING, n STRING")
    run = run_pipeline(
        conf("""
        pipeline {
          name = "everyday"
          steps = [
            { name = "src", type = "ParquetSource", config { path = "in" } }
            { name = "dedup", type = "Deduplicate", config { columns = ["id"] } }
            { name = "cast", type = "CastColumns", config { columns { n = "int" } } }
            { name = "rename", type = "RenameColumns", config { columns { k = "key" } } }
            { name = "filter", type = "Filter", config { condition = "n > 3" } }
            { name = "select", type = "SelectColumns", config { columns = ["key", "n * 2 AS doubled"] } }
            { name = "out", type = "ParquetSink", config { path = "out", mode = "overwrite" } }
          ]
        }
    """),
        spark=spark,
        sources={"src": given},
    )
    assert run.succeeded, run.result.to_dict()
    out = run.sink("out")
    assert out.columns == ["key", "doubled"]
    assert_dataframe_equal(out, spark.createDataFrame([("b", 8)], "key STRING, doubled INT"))


def test_table_sink_and_source(spark, tmp_path):
    spark.createDataFrame([(1,), (2,)], "id INT").write.parquet(str(tmp_path / "in"))
    spark.sql("DROP TABLE IF EXISTS ppf_test_ids")
    written = run_pipeline_text(
        conf(f"""
        pipeline {{
          name = "to-table"
          steps = [
            {{ name = "src", type = "ParquetSource", config {{ path = "{tmp_path / "in"}" }} }}
            {{ name = "to-table", type = "TableSink", config {{ table = "ppf_test_ids", format = "parquet" }} }}
          ]
        }}
    """),
        spark=spark,
        directory=tmp_path,
    )
    read = run_pipeline_text(
        conf(f"""
        pipeline {{
          name = "from-table"
          steps = [
            {{ name = "from-table", type = "TableSource", config {{ table = "ppf_test_ids" }} }}
            {{ name = "out", type = "JsonSink", config {{ path = "{tmp_path / "out"}" }} }}
          ]
        }}
    """),
        spark=spark,
        directory=tmp_path,
    )
    assert written.succeeded and read.succeeded
    assert sorted(r.id for r in spark.read.json(str(tmp_path / "out")).collect()) == [1, 2]
    spark.sql("DROP TABLE IF EXISTS ppf_test_ids")
