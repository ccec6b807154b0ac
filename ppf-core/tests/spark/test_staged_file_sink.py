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


def race(spark, target, mode: str, before_commit=None):
    """Two writers of one new target, each in its own session and thread, both staged before either commits."""
    import threading

    from pyspark_pipeline_framework.spark import write_staged

    both_staged = threading.Barrier(2, timeout=120)
    outcomes: dict[str, BaseException | None] = {}

    def writer(tag: str) -> None:
        session = spark.newSession()
        rows = session.createDataFrame([(i, tag) for i in range(5)], "id INT, tag STRING")

        def write(staging: str) -> None:
            rows.write.mode("overwrite").parquet(staging)
            both_staged.wait()
            if before_commit is not None:
                before_commit(tag)

        try:
            write_staged(session, str(target), mode, write)
            outcomes[tag] = None
        except BaseException as error:
            outcomes[tag] = error

    threads = [threading.Thread(target=writer, args=(tag,)) for tag in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return outcomes


def nothing_nested_or_left(tmp_path, target):
    assert [p.name for p in target.rglob(".*") if not p.name.endswith(".crc")] == []
    assert leftovers(tmp_path) == []


def test_two_concurrent_first_writes_with_mode_error_one_wins_and_the_other_fails(spark, tmp_path):
    from pyspark_pipeline_framework.spark import TargetExists

    target = tmp_path / "target"
    outcomes = race(spark, target, "error")
    failed = {tag: error for tag, error in outcomes.items() if error is not None}
    assert len(outcomes) == 2 and len(failed) == 1, outcomes
    ((loser, error),) = failed.items()
    assert isinstance(error, TargetExists) and "already exists" in str(error)
    winner = "b" if loser == "a" else "a"
    assert rows(spark, target) == [(i, winner) for i in range(5)]
    nothing_nested_or_left(tmp_path, target)


def test_two_concurrent_first_overwrites_leave_one_complete_result(spark, tmp_path):
    target = tmp_path / "target"
    outcomes = race(spark, target, "overwrite")
    assert outcomes == {"a": None, "b": None}
    (winner,) = {tag for _, tag in rows(spark, target)}  # one writer's rows, none of the other's
    assert rows(spark, target) == [(i, winner) for i in range(5)]
    nothing_nested_or_left(tmp_path, target)


def test_mode_error_is_decided_at_commit_time(spark, tmp_path):
    from pyspark_pipeline_framework.spark import TargetExists, write_staged

    target = tmp_path / "target"
    mine = spark.createDataFrame([(1, "mine")], "id INT, tag STRING")
    theirs = spark.createDataFrame([(2, "theirs")], "id INT, tag STRING")

    def write(staging: str) -> None:
        mine.write.parquet(staging)
        theirs.write.parquet(str(target))  # another writer creates the target while this one writes

    with pytest.raises(TargetExists):
        write_staged(spark, str(target), "error", write)
    assert rows(spark, target) == [(2, "theirs")]
    nothing_nested_or_left(tmp_path, target)


def lock_of(tmp_path, pid: int):
    import json
    import socket

    lock = tmp_path / ".target.ppf-commit"
    lock.write_text(json.dumps({"host": socket.gethostname(), "pid": pid, "at": 0}), encoding="utf-8")
    return lock


def test_a_commit_lock_left_by_a_dead_process_is_broken(spark, tmp_path, source):
    import subprocess

    gone = subprocess.Popen(["true"])
    gone.wait()  # reaped: its pid no longer runs
    lock_of(tmp_path, gone.pid)
    assert write(spark, tmp_path, source, tmp_path / "target", "error").succeeded
    assert len(rows(spark, tmp_path / "target")) == 10
    assert leftovers(tmp_path) == []


def test_a_commit_waits_while_a_live_writer_holds_the_lock(spark, tmp_path, source):
    import os
    import threading
    import time

    lock = lock_of(tmp_path, os.getpid())
    threading.Timer(2.0, lock.unlink).start()
    started = time.monotonic()
    assert write(spark, tmp_path, source, tmp_path / "target", "error").succeeded
    assert time.monotonic() - started >= 2.0
    assert len(rows(spark, tmp_path / "target")) == 10 and leftovers(tmp_path) == []
