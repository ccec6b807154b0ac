"""The checked merge source on real Spark: which plans keep adaptive execution, and the check in both."""

from __future__ import annotations

import pytest
from ppf_delta.merge_source import checked_merge_source, has_shuffle
from ppf_delta.unique_keys import is_duplicate_key_failure

pytestmark = pytest.mark.spark


@pytest.fixture
def users(spark, tmp_path):
    path = str(tmp_path / "users")
    spark.createDataFrame([(1, "ann"), (2, "bob"), (2, "bob2"), (3, "cid")], "user_id INT, name STRING").write.parquet(path)
    return spark.read.parquet(path)


@pytest.fixture
def table(spark, tmp_path):
    from delta.tables import DeltaTable

    path = str(tmp_path / "table")
    spark.createDataFrame([(1, "old")], "user_id INT, name STRING").write.format("delta").save(path)
    return DeltaTable.forPath(spark, path)


def checkpoints(spark) -> dict[int, str]:
    """Persisted local checkpoints (Delta's cached snapshot states are persisted too, and not ours)."""
    return {rdd_id: rdd.rdd().toDebugString() for rdd_id, rdd in dict(spark.sparkContext._jsc.getPersistentRDDs()).items()
            if rdd.rdd().isLocallyCheckpointed()}


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
    assert checkpoints(spark) == before


def test_the_checkpoint_uses_deltas_configured_storage_level(spark, users, table):
    key = "spark.databricks.delta.merge.materializeSource.rddStorageLevel"
    spark.conf.set(key, "MEMORY_AND_DISK")
    try:
        with checked_merge_source(users.filter("name != 'bob2'"), ["user_id"], table):
            levels = {rdd.getStorageLevel().description()
                      for rdd in dict(spark.sparkContext._jsc.getPersistentRDDs()).values() if rdd.rdd().isLocallyCheckpointed()}
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
    assert checkpoints(spark) == before, "the checkpoint's blocks were kept"
