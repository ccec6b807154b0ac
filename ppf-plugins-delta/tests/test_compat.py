"""``ppf_delta/compat.py`` on the versions it was written for: every function run on a real session."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from ppf_delta import compat


@pytest.mark.parametrize("distribution", sorted(compat.WRITTEN_FOR))
def test_compat_was_checked_against_the_installed_version(distribution):
    installed = version(distribution)
    assert installed == compat.WRITTEN_FOR[distribution], (
        f"{distribution} {installed} is installed, but ppf_delta/compat.py was checked against "
        f"{compat.WRITTEN_FOR[distribution]}: check its plan, checkpoint and snapshot access and its copy of Spark's "
        "partition coalescing rule against the new version (these tests and test_merge_source.py run them), "
        "then update WRITTEN_FOR"
    )


@pytest.mark.spark
def test_a_classic_dataframe_shows_its_plan_and_size_estimate(spark, tmp_path):
    path = str(tmp_path / "rows")
    spark.range(1000).write.parquet(path)
    df = spark.read.parquet(path)
    assert compat.has_plan_access(df)
    on_disk = sum(f.stat().st_size for f in (tmp_path / "rows").glob("*.parquet"))
    assert compat.estimated_bytes(df) == on_disk  # a scan is estimated by its files' sizes


@pytest.mark.spark
def test_a_released_checkpoint_keeps_no_blocks(spark):
    from pyspark import StorageLevel

    def checkpoints() -> set[int]:
        return {
            rdd_id
            for rdd_id, rdd in dict(spark.sparkContext._jsc.getPersistentRDDs()).items()
            if rdd.rdd().isLocallyCheckpointed()
        }

    before = checkpoints()
    checkpointed = compat.local_checkpoint(spark.range(10), StorageLevel.DISK_ONLY)
    assert checkpoints() - before
    compat.release_checkpoint(checkpointed)
    assert checkpoints() == before
