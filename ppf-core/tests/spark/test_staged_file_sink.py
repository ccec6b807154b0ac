"""File sinks commit by rename: every mode's outcome, and a failed write leaves the old data intact."""

from __future__ import annotations

import textwrap

import pytest

from pyspark_pipeline_framework.testing import run_pipeline_text

pytestmark = pytest.mark.spark


def write(spark, tmp_path, source: str, target, mode: str, query: str = "SELECT * FROM src", partition: str = ""):
    return run_pipeline_text(
        textwrap.dedent(f"""
        pipeline {{
          name = "staged"
          steps = [
            {{ name = "src", type = ParquetSource, config {{ path = "{source}" }} }}
            {{ name = "shape", type = SqlTransform, config {{ query = "{query}" }} }}
            {{ name = "out", type = ParquetSink, config {{ path = "{target}", mode = {mode} {partition} }} }}
          ]
        }}
    """),
        spark=spark,
        directory=tmp_path,
    )


@pytest.fixture
def source(spark, tmp_path):
    path = str(tmp_path / "src")
    spark.createDataFrame([(i, "new", i % 2) for i in range(10)], "id INT, tag STRING, part INT").write.parquet(path)
    return path


@pytest.fixture
def target(spark, tmp_path):
    path = tmp_path / "target"
    spark.createDataFrame([(100, "old", 0), (101, "old", 1)], "id INT, tag STRING, part INT").write.parquet(str(path))
    return path


def rows(spark, path):
    return sorted((r["id"], r["tag"]) for r in spark.read.parquet(str(path)).collect())


def leftovers(tmp_path):
    return sorted(p.name for p in tmp_path.iterdir() if ".ppf-" in p.name)


def test_a_write_that_fails_midway_leaves_the_previous_data(spark, tmp_path, source, target):
    before = rows(spark, target)
    failing = "SELECT id, IF(id = 7, raise_error('row 7 is bad'), tag) AS tag, part FROM src"
    result = write(spark, tmp_path, source, target, "overwrite", failing)
    assert result.exit_code == 1 and "row 7 is bad" in result.step("out").error
    assert rows(spark, target) == before
    assert leftovers(tmp_path) == []  # the staging directory is removed


def test_overwrite_replaces_and_cleans_up(spark, tmp_path, source, target):
    assert write(spark, tmp_path, source, target, "overwrite").succeeded
    assert rows(spark, target) == [(i, "new") for i in range(10)]
    assert leftovers(tmp_path) == []


def test_error_and_ignore_modes_leave_an_existing_target(spark, tmp_path, source, target):
    before = rows(spark, target)
    failed = write(spark, tmp_path, source, target, "error")
    assert failed.exit_code == 1 and "already exists" in failed.step("out").error
    assert write(spark, tmp_path, source, target, "ignore").succeeded
    assert rows(spark, target) == before
    fresh = tmp_path / "fresh"
    assert write(spark, tmp_path, source, fresh, "error").succeeded and len(rows(spark, fresh)) == 10


def test_append_adds_files_also_into_existing_partitions(spark, tmp_path, source):
    target = tmp_path / "parted"
    partition = ', partition_by = ["part"]'
    assert write(spark, tmp_path, source, target, "append", partition=partition).succeeded
    assert write(spark, tmp_path, source, target, "append", partition=partition).succeeded
    assert rows(spark, target) == sorted([(i, "new") for i in range(10)] * 2)
    assert sorted(p.name for p in target.iterdir() if p.is_dir()) == ["part=0", "part=1"]
