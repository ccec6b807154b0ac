"""The checked merge source on real Spark: which plans keep adaptive execution, and the check in both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ppf_delta.compat import has_shuffle, known_table_bytes
from ppf_delta.merge_source import checked_merge_source
from ppf_delta.unique_keys import is_duplicate_key_failure

pytestmark = pytest.mark.spark


@pytest.fixture
def users(spark, tmp_path):
    path = str(tmp_path / "users")
    spark.createDataFrame([(1, "ann"), (2, "bob"), (2, "bob2"), (3, "cid")], "user_id INT, name STRING").write.parquet(
        path
    )
    return spark.read.parquet(path)


@pytest.fixture
def table(spark, tmp_path):
    from delta.tables import DeltaTable

    path = str(tmp_path / "table")
    spark.createDataFrame([(1, "old")], "user_id INT, name STRING").write.format("delta").save(path)
    return DeltaTable.forPath(spark, path)


def checkpoints(spark) -> dict[int, str]:
    """Persisted local checkpoints (Delta's cached snapshot states are persisted too, and not ours).

    The shared session may hold others' too, and may release them at any time (the testing kit
    keeps the frames its captured sinks received as local checkpoints): tests compare ids made
    during their block.
    """
    return {
        rdd_id: rdd.rdd().toDebugString()
        for rdd_id, rdd in dict(spark.sparkContext._jsc.getPersistentRDDs()).items()
        if rdd.rdd().isLocallyCheckpointed()
    }


def test_a_read_with_row_wise_transforms_has_no_shuffle_but_joins_and_aggregates_do(users):
    from pyspark.sql import functions as F

    assert not has_shuffle(users.withColumn("name", F.upper("name")).filter("user_id > 0"))
    assert has_shuffle(users.groupBy("user_id").agg(F.max("name").alias("name")))
    assert has_shuffle(users.join(users.select("user_id").distinct(), "user_id"))


def test_the_materialized_source_is_partitioned_by_the_keys_for_the_join_to_reuse(spark, users, table):
    unique = users.filter("name != 'bob2'")
    before = checkpoints(spark)
    with checked_merge_source(unique, ["user_id"], table) as source:
        plan = source._jdf.queryExecution().executedPlan()
        if plan.nodeName() == "AdaptiveSparkPlan":  # the window makes it adaptive: look at its prepared plan
            plan = plan.initialPlan()
        assert "hashpartitioning(user_id" in plan.outputPartitioning().toString()
        assert "user_id" in plan.outputOrdering().toString()
        assert not has_shuffle(source) and "Sort" not in plan.toString(), "the check re-shuffles or re-sorts"
        assert sorted(tuple(r) for r in source.collect()) == [(1, "ann"), (2, "bob"), (3, "cid")]
        assert spark.conf.get("spark.databricks.delta.merge.materializeSource") == "none"
    assert spark.conf.get("spark.sql.adaptive.enabled") == "true"
    assert spark.conf.get("spark.databricks.delta.merge.materializeSource", None) in (None, "auto")
    assert checkpoints(spark).keys() <= before.keys(), "a checkpoint made for the merge was kept"


def test_the_checkpoint_uses_deltas_configured_storage_level(spark, users, table):
    key = "spark.databricks.delta.merge.materializeSource.rddStorageLevel"
    spark.conf.set(key, "MEMORY_AND_DISK")
    before = checkpoints(spark)  # only the checkpoint made here counts
    try:
        with checked_merge_source(users.filter("name != 'bob2'"), ["user_id"], table):
            levels = {
                rdd.getStorageLevel().description()
                for rdd_id, rdd in dict(spark.sparkContext._jsc.getPersistentRDDs()).items()
                if rdd_id not in before and rdd.rdd().isLocallyCheckpointed()
            }
    finally:
        spark.conf.unset(key)
    assert levels == {"Disk Memory Serialized 1x Replicated"}  # default DISK_ONLY: "Disk Serialized"


@pytest.mark.parametrize("aggregated", [False, True], ids=["plain-read", "aggregated-input"])
def test_a_duplicated_key_fails_the_source_before_the_merge_can_use_it_whichever_plan(spark, users, table, aggregated):
    from pyspark.sql import functions as F

    before = checkpoints(spark)
    # An aggregate by another column keeps both rows of user 2 and gives the plan a shuffle of its own.
    source = users.groupBy("user_id", "name").agg(F.count("*").alias("n")).drop("n") if aggregated else users
    with pytest.raises(Exception) as failure, checked_merge_source(source, ["user_id"], table) as checked:
        checked.collect()
    assert is_duplicate_key_failure(failure.value)
    assert checkpoints(spark).keys() <= before.keys(), "the checkpoint's blocks were kept"


def test_a_checked_merge_computes_its_input_once(spark, table):
    """Both of the merge's passes read the checkpoint: the input is computed once (the point of materializing it)."""
    from pyspark.sql import functions as F

    computed = spark.sparkContext.accumulator(0)

    def tally(user_id):
        computed.add(1)
        return user_id

    # A row-wise Python function: a plan without a shuffle of its own, as in the Quick Start.
    source = spark.range(1, 101).select(
        F.udf(tally, "int", useArrow=False)("id").alias("user_id"), F.lit("new").alias("name")
    )
    assert not has_shuffle(source)
    with checked_merge_source(source, ["user_id"], table) as checked:
        (
            table.alias("target")
            .merge(checked.alias("source"), "target.user_id = source.user_id")
            .whenMatchedUpdateAll()
            .whenNotMatchedInsertAll()
            .execute()
        )
    assert computed.value == 100, "the merge's passes computed the input more than once"
    assert sorted(tuple(r) for r in table.toDF().collect()) == [(i, "new") for i in range(1, 101)]


@pytest.fixture
def job_group(spark):
    """Jobs started by the test's thread carry this group, so they can be counted."""
    from pyspark_pipeline_framework.spark import jobs_so_far

    context = spark.sparkContext
    context.setJobGroup("ppf-size-test", "table size")
    yield lambda: len(jobs_so_far(spark, "ppf-size-test"))
    for key in ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel"):
        context.setLocalProperty(key, None)  # what setJobGroup set: later jobs of this thread are ungrouped


def unloaded(spark, path: str):
    """A DeltaTable whose log this JVM has not read before: nothing of its state computed yet."""
    from delta.tables import DeltaTable

    spark._jvm.org.apache.spark.sql.delta.DeltaLog.clearCache()
    return DeltaTable.forPath(spark, path)


def data_file_bytes(path: Path) -> int:
    """The sizes of the data files the table's commits add (Spark's empty task outputs are not added)."""
    actions = [
        json.loads(line)
        for commit in sorted((path / "_delta_log").glob("*.json"))
        for line in commit.read_text().splitlines()
    ]
    assert not any("remove" in action for action in actions)
    return sum(action["add"]["size"] for action in actions if "add" in action)


def test_the_tables_size_is_read_from_its_checksum_without_a_spark_job(spark, table, tmp_path, job_group):
    size = known_table_bytes(unloaded(spark, str(tmp_path / "table")))
    assert size == data_file_bytes(tmp_path / "table")
    assert job_group() == 0, "the table's state was reconstructed to learn its size"


def test_a_table_without_a_checksum_is_sized_from_its_snapshot(spark, table, tmp_path, job_group):
    for checksum in (tmp_path / "table" / "_delta_log").glob("*.crc"):
        checksum.unlink()
    assert known_table_bytes(unloaded(spark, str(tmp_path / "table"))) == data_file_bytes(tmp_path / "table")
    assert job_group() > 0  # the state reconstruction the merge would otherwise run itself
