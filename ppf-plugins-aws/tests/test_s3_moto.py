"""S3Source and S3Sink through Spark's S3A against a real S3 API (a moto server on 127.0.0.1).

The shared Spark session reaches the moto server per bucket: each test's bucket gets
``fs.s3a.bucket.<name>.*`` settings, either from the step's own ``endpoint`` options or from
``route_bucket`` — so other tests sharing the session are not redirected.
"""

from __future__ import annotations

import pytest

from ppf_aws.testing import TEST_ACCESS_KEY, TEST_SECRET_KEY, free_port, route_bucket

pytestmark = [pytest.mark.spark, pytest.mark.services]

ROWS = [(1, "ann"), (2, "bob"), (3, "cid")]


@pytest.fixture
def run_steps(spark, tmp_path):
    from pyspark_pipeline_framework.testing import run_pipeline_text

    def run(steps: str):
        return run_pipeline_text(f"pipeline {{ name = s3-test, steps = [ {steps} ] }}", spark=spark, directory=tmp_path)

    return run


def test_step_options_reach_the_store_and_rows_round_trip(spark, run_steps, s3_server, bucket, tmp_path):
    local = str(tmp_path / "in")
    spark.createDataFrame(ROWS, "id INT, name STRING").write.parquet(local)
    connection = (
        f'endpoint = "{s3_server.endpoint}", region = us-east-1, path_style_access = true, '
        f"credentials = keys, access_key_id = {TEST_ACCESS_KEY}, secret_access_key = {TEST_SECRET_KEY}"
    )
    result = run_steps(f"""
        {{ name = read, type = ParquetSource, config {{ path = "{local}" }} }}
        {{ name = write, type = S3Sink, config {{ path = "s3://{bucket}/users", format = csv,
           options {{ header = "true" }}, {connection} }} }}""")
    assert result.succeeded, result
    # Independent check with boto3: the objects are in the bucket.
    assert any(key.startswith("users/part-") and key.endswith(".csv") for key in s3_server.keys(bucket))
    back = spark.read.option("header", "true").schema("id INT, name STRING").csv(f"s3a://{bucket}/users")
    assert sorted(map(tuple, back.collect())) == ROWS


@pytest.mark.parametrize("scheme", ["s3", "s3a", "s3n"])
def test_every_s3_scheme_reads_through_s3a(spark, run_steps, s3_server, bucket, tmp_path, scheme):
    route_bucket(spark, bucket, s3_server.endpoint)
    spark.createDataFrame(ROWS, "id INT, name STRING").write.json(f"s3a://{bucket}/in")
    out = str(tmp_path / "out")
    result = run_steps(f"""
        {{ name = read, type = S3Source, config {{ path = "{scheme}://{bucket}/in/*.json", format = json }} }}
        {{ name = write, type = ParquetSink, config {{ path = "{out}" }} }}""")
    assert result.succeeded, result
    assert sorted(map(tuple, spark.read.parquet(out).select("id", "name").collect())) == ROWS


def test_endpoint_down_fails_with_the_path_named_and_nothing_written(spark, run_steps, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    route_bucket(spark, "ppf-unreachable", dead, fail_fast=True)
    out = tmp_path / "out"
    result = run_steps(f"""
        {{ name = read, type = S3Source, config {{ path = "s3://ppf-unreachable/users/*.parquet" }} }}
        {{ name = write, type = ParquetSink, config {{ path = "{out}" }} }}""")
    assert not result.succeeded
    read = result.steps[0]
    assert "S3AccessError" in read.error
    assert "pipeline.steps[0].config.path" in read.error
    assert "s3://ppf-unreachable/users/*.parquet" in read.error
    assert "endpoint" in read.error
    assert result.steps[1].status.name == "NOT_RUN"
    assert not out.exists()


def test_a_bucket_setting_already_in_the_session_wins_over_the_steps_option(
    spark, run_steps, s3_server, bucket, tmp_path
):
    from structlog.testing import capture_logs

    route_bucket(spark, bucket, s3_server.endpoint)  # as spark.conf would: the user's setting
    local = str(tmp_path / "in")
    spark.createDataFrame(ROWS, "id INT, name STRING").write.parquet(local)
    dead = f"http://127.0.0.1:{free_port()}"
    with capture_logs() as logs:
        result = run_steps(f"""
            {{ name = read, type = ParquetSource, config {{ path = "{local}" }} }}
            {{ name = write, type = S3Sink, config {{ path = "s3://{bucket}/users", endpoint = "{dead}" }} }}""")
    assert result.succeeded, result
    assert any(key.startswith("users/part-") for key in s3_server.keys(bucket))
    kept = [e for e in logs if e["event"] == "s3_option_kept"]
    assert [e["key"] for e in kept] == [f"fs.s3a.bucket.{bucket}.endpoint"]
