"""ppf's staged file writes (ParquetSink, `write_staged`) on S3A against a real S3 API (moto): the
commit lock, `mode = error` decided at commit time, and two concurrent first writes."""

from __future__ import annotations

import threading

import pytest

from ppf_aws.testing import route_bucket
from pyspark_pipeline_framework.spark import TargetExists, write_staged

pytestmark = [pytest.mark.spark, pytest.mark.services]


def rows_of(spark, path: str) -> list[tuple]:
    return sorted(map(tuple, spark.read.parquet(path).collect()))


def hidden_keys(s3_server, bucket: str) -> list[str]:
    """Keys of ppf's staging, old-data and lock objects (none may be left) and anything nested in the target."""
    return [key for key in s3_server.keys(bucket) if ".ppf-" in key]


def test_a_second_write_with_mode_error_fails_and_leaves_the_first(spark, s3_server, bucket):
    route_bucket(spark, bucket, s3_server.endpoint)
    target = f"s3a://{bucket}/out"
    first = spark.createDataFrame([(1, "first")], "id INT, tag STRING")
    second = spark.createDataFrame([(2, "second")], "id INT, tag STRING")
    write_staged(spark, target, "error", lambda staging: first.write.mode("overwrite").parquet(staging))
    with pytest.raises(TargetExists):
        write_staged(spark, target, "error", lambda staging: second.write.mode("overwrite").parquet(staging))
    write_staged(spark, target, "overwrite", lambda staging: second.write.mode("overwrite").parquet(staging))
    assert rows_of(spark, target) == [(2, "second")]
    assert hidden_keys(s3_server, bucket) == []


def test_a_target_created_during_the_write_is_found_at_commit_time(spark, s3_server, bucket):
    route_bucket(spark, bucket, s3_server.endpoint)
    target = f"s3a://{bucket}/out"
    mine = spark.createDataFrame([(1, "mine")], "id INT, tag STRING")
    theirs = spark.createDataFrame([(2, "theirs")], "id INT, tag STRING")

    def write(staging: str) -> None:
        mine.write.mode("overwrite").parquet(staging)
        theirs.write.parquet(target)

    with pytest.raises(TargetExists):
        write_staged(spark, target, "error", write)
    assert rows_of(spark, target) == [(2, "theirs")]
    assert hidden_keys(s3_server, bucket) == []


def test_two_concurrent_first_writes_give_one_result_and_nothing_nested(spark, s3_server, bucket):
    route_bucket(spark, bucket, s3_server.endpoint)
    target = f"s3a://{bucket}/out"
    both_staged = threading.Barrier(2, timeout=120)
    outcomes: dict[str, BaseException | None] = {}

    def writer(tag: str) -> None:
        session = spark.newSession()
        route_bucket(session, bucket, s3_server.endpoint)  # a new session starts from the context's settings
        rows = session.createDataFrame([(i, tag) for i in range(3)], "id INT, tag STRING")

        def write(staging: str) -> None:
            rows.write.mode("overwrite").parquet(staging)
            both_staged.wait()

        try:
            write_staged(session, target, "error", write)
            outcomes[tag] = None
        except BaseException as error:
            outcomes[tag] = error

    threads = [threading.Thread(target=writer, args=(tag,)) for tag in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    failed = [error for error in outcomes.values() if error is not None]
    assert len(outcomes) == 2 and len(failed) == 1, outcomes
    assert isinstance(failed[0], TargetExists)
    winner = next(tag for tag, error in outcomes.items() if error is None)
    assert rows_of(spark, target) == [(i, winner) for i in range(3)]
    assert hidden_keys(s3_server, bucket) == []
