"""DeltaSink against real delta-spark jars; results read back with the independent `deltalake` reader."""

from __future__ import annotations

from pathlib import Path

import pytest
from deltalake import DeltaTable

pytestmark = pytest.mark.spark

USERS = [(1, "ann", "eu"), (2, "bob", "us"), (3, "cid", "eu")]
SCHEMA = "user_id INT, name STRING, region STRING"


@pytest.fixture
def users_parquet(spark, tmp_path):
    """Writes rows as a parquet input and returns its path."""
    counter = iter(range(100))

    def write(rows, schema=SCHEMA) -> str:
        path = str(tmp_path / f"input-{next(counter)}")
        spark.createDataFrame(rows, schema).coalesce(1).write.parquet(path)
        return path

    return write


def _sink_steps(input_path: str, sink_config: str, sink_type: str = "DeltaSink", retry: str = "") -> str:
    return f"""{{ name = read, type = ParquetSource, config {{ path = "{input_path}" }} }}
{{ name = load, type = "pyspark_pipeline_framework.components.{sink_type}", config {{ {sink_config} }} {retry} }}"""


def _rows(path: str) -> list[tuple]:
    table = DeltaTable(path).to_pyarrow_table()
    return sorted(zip(*[table.column(c).to_pylist() for c in table.column_names], strict=True))


def _version(path: str) -> int:
    return DeltaTable(path).version()


def test_append_twice_in_two_runs_adds_both(run_steps, users_parquet, table_path):
    source = users_parquet(USERS)
    for _ in range(2):
        assert run_steps(_sink_steps(source, f'path = "{table_path}", mode = append')).succeeded
    assert len(_rows(table_path)) == 6
    assert _version(table_path) == 1


def test_overwrite_replaces_the_table(run_steps, users_parquet, table_path):
    run_steps(_sink_steps(users_parquet(USERS), f'path = "{table_path}", mode = append'))
    result = run_steps(_sink_steps(users_parquet([(9, "zed", "us")]), f'path = "{table_path}", mode = overwrite'))
    assert result.succeeded
    assert _rows(table_path) == [(9, "zed", "us")]


def test_overwrite_with_replace_where_replaces_only_matching_rows(run_steps, users_parquet, table_path):
    run_steps(_sink_steps(users_parquet(USERS), f'path = "{table_path}", mode = append, partition_by = [region]'))
    result = run_steps(
        _sink_steps(
            users_parquet([(7, "eve", "eu")]),
            f'path = "{table_path}", mode = overwrite, replace_where = "region = \'eu\'"',
        )
    )
    assert result.succeeded, result
    assert _rows(table_path) == [(2, "bob", "us"), (7, "eve", "eu")]
    assert DeltaTable(table_path).metadata().partition_columns == ["region"]


def test_merge_creates_then_updates_matched_and_inserts_new_in_one_commit(run_steps, users_parquet, table_path):
    sink = f'path = "{table_path}", mode = merge, merge_keys = [user_id]'
    assert run_steps(_sink_steps(users_parquet(USERS), sink)).succeeded
    first = _version(table_path)
    assert run_steps(_sink_steps(users_parquet([(2, "bobby", "us"), (4, "dan", "us")]), sink)).succeeded
    assert _rows(table_path) == [(1, "ann", "eu"), (2, "bobby", "us"), (3, "cid", "eu"), (4, "dan", "us")]
    assert _version(table_path) == first + 1
    assert DeltaTable(table_path).history(1)[0]["operation"] == "MERGE"


def test_a_merge_reports_the_bytes_delta_committed_from_sparks_own_task_metrics(run_steps, users_parquet, table_path):
    """Delta writes a MERGE's files in jobs described under the step's description: their output metrics count."""
    assert run_steps(_sink_steps(users_parquet(USERS), f'path = "{table_path}", mode = append')).succeeded
    batch = users_parquet([(2, "bobby", "us"), (4, "dan", "us")])
    result = run_steps(_sink_steps(batch, f'path = "{table_path}", mode = merge, merge_keys = [user_id]'))
    assert result.succeeded, result
    commit = DeltaTable(table_path).history(1)[0]  # the independent reader's view
    assert commit["operation"] == "MERGE"
    written = result.step("load").metrics["bytes_written"]
    assert written == int(commit["operationMetrics"]["numTargetBytesAdded"]) > 0, (written, commit)


def test_merge_can_delete_unmatched_target_rows(run_steps, users_parquet, table_path):
    run_steps(_sink_steps(users_parquet(USERS), f'path = "{table_path}", mode = append'))
    sink = f'path = "{table_path}", mode = merge, merge_keys = [user_id], delete_unmatched = true'
    assert run_steps(_sink_steps(users_parquet([(1, "ann2", "eu")]), sink)).succeeded
    assert _rows(table_path) == [(1, "ann2", "eu")]


def test_merge_condition_restricts_what_counts_as_a_match(run_steps, users_parquet, table_path):
    run_steps(_sink_steps(users_parquet(USERS), f'path = "{table_path}", mode = append'))
    # Only EU rows may be updated: user 2 (us) does not match, so its new row is inserted beside the old.
    sink = f'path = "{table_path}", mode = merge, merge_keys = [user_id], merge_condition = "target.region = \'eu\'"'
    assert run_steps(_sink_steps(users_parquet([(1, "ann2", "eu"), (2, "bob2", "us")]), sink)).succeeded
    assert _rows(table_path) == [(1, "ann2", "eu"), (2, "bob", "us"), (2, "bob2", "us"), (3, "cid", "eu")]


def test_duplicate_merge_keys_fail_with_the_keys_named_and_the_table_unchanged(run_steps, users_parquet, table_path):
    sink = f'path = "{table_path}", mode = merge, merge_keys = [user_id]'
    run_steps(_sink_steps(users_parquet(USERS), sink))
    before = (_version(table_path), _rows(table_path))
    duplicated = users_parquet([(2, "b1", "us"), (2, "b2", "us"), (5, "x", "eu"), (8, "y", "eu"), (8, "z", "eu")])
    result = run_steps(_sink_steps(duplicated, sink))
    assert not result.succeeded
    error = result.steps[-1].error
    assert "DuplicateMergeKeyError" in error
    assert "pipeline.steps[1].config.merge_keys" in error
    assert "user_id=2 (2 rows)" in error and "user_id=8 (2 rows)" in error
    assert "user_id=5" not in error
    assert (_version(table_path), _rows(table_path)) == before


def test_duplicate_merge_keys_into_a_new_table_create_nothing(run_steps, users_parquet, table_path):
    duplicated = users_parquet([(2, "b1", "us"), (2, "b2", "us")])
    result = run_steps(_sink_steps(duplicated, f'path = "{table_path}", mode = merge, merge_keys = [user_id]'))
    assert "user_id=2 (2 rows)" in result.steps[-1].error
    assert not (Path(table_path) / "_delta_log").exists() or not list((Path(table_path) / "_delta_log").glob("*.json"))


def test_unique_key_check_can_be_turned_off_when_the_input_is_known_unique(run_steps, users_parquet, table_path):
    duplicated = users_parquet([(1, "ann", "eu"), (2, "bob", "us"), (2, "bob2", "us")])
    sink = f'path = "{table_path}", mode = merge, merge_keys = [user_id], check_unique_keys = false'
    result = run_steps(_sink_steps(duplicated, sink))
    # What the check is for: without it Delta inserts a duplicated new key twice.
    assert result.succeeded and [r[0] for r in _rows(table_path)] == [1, 2, 2]


@pytest.mark.parametrize("broadcast", [True, False], ids=["broadcast-join", "sort-merge-join"])
def test_the_duplicate_key_check_adds_no_spark_job_to_a_merge(spark, run_steps, users_parquet, tmp_path, broadcast):
    """The check's shuffle by the keys is the one the merge's join needs: reused, not added."""
    from pyspark_pipeline_framework.testing import job_count

    batch = users_parquet([(i, f"name{i}", "eu") for i in range(50, 250)])
    jobs = {}
    before = spark.conf.get("spark.sql.autoBroadcastJoinThreshold")
    spark.conf.set("spark.sql.autoBroadcastJoinThreshold", "10MB" if broadcast else "-1")
    try:
        for checked in (True, False):
            table = str(tmp_path / f"table-{checked}")
            run_steps(
                _sink_steps(
                    users_parquet([(i, f"user{i}", "us") for i in range(200)]), f'path = "{table}", mode = append'
                )
            )
            sink = f'path = "{table}", mode = merge, merge_keys = [user_id], check_unique_keys = {str(checked).lower()}'
            result = run_steps(_sink_steps(batch, sink))
            assert result.succeeded, result
            assert len(_rows(table)) == 250
            jobs[checked] = job_count(spark, result)
    finally:
        spark.conf.set("spark.sql.autoBroadcastJoinThreshold", before)
    # The checkpoint (one job, its shuffle a stage of it) replaces Delta's own materialization.
    assert jobs[True] <= jobs[False], jobs
    if not broadcast:  # and the sort-merge joins read it as it lies instead of shuffling the source again
        assert jobs[True] < jobs[False], jobs


def test_step_failing_after_its_commit_and_retried_writes_rows_once(run_steps, users_parquet, table_path, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parent / "support"))
    retry = 'retry { max_attempts = 3, initial_delay = "0s" }'
    steps = _sink_steps(users_parquet(USERS), f'path = "{table_path}", mode = append', retry=retry)
    steps = steps.replace(
        "pyspark_pipeline_framework.components.DeltaSink", "ppf_delta_test_support.DeltaSinkFailingAfterCommit"
    )
    result = run_steps(steps)
    assert result.succeeded
    assert result.steps[-1].attempts == 2
    assert _rows(table_path) == sorted(USERS)
    assert _version(table_path) == 0


def test_merge_step_failing_after_its_commit_and_retried_commits_once(
    run_steps, users_parquet, table_path, monkeypatch
):
    monkeypatch.syspath_prepend(str(Path(__file__).parent / "support"))
    assert run_steps(_sink_steps(users_parquet(USERS), f'path = "{table_path}", mode = append')).succeeded
    retry = 'retry { max_attempts = 3, initial_delay = "0s" }'
    steps = _sink_steps(
        users_parquet([(2, "bobby", "us"), (4, "dan", "us")]),
        f'path = "{table_path}", mode = merge, merge_keys = [user_id]',
        retry=retry,
    )
    steps = steps.replace(
        "pyspark_pipeline_framework.components.DeltaSink", "ppf_delta_test_support.DeltaSinkFailingAfterCommit"
    )
    result = run_steps(steps)
    assert result.succeeded and result.steps[-1].attempts == 2
    assert _rows(table_path) == [(1, "ann", "eu"), (2, "bobby", "us"), (3, "cid", "eu"), (4, "dan", "us")]
    assert _version(table_path) == 1  # the append, then one MERGE: the retried merge was skipped
    assert [h["operation"] for h in DeltaTable(table_path).history()] == ["MERGE", "WRITE"]
    # The attempt whose merge Delta skipped wrote nothing; the failed first attempt's jobs do not count.
    assert result.steps[-1].metrics.get("bytes_written") == 0


def test_merge_schema_is_opt_in(run_steps, users_parquet, table_path):
    run_steps(_sink_steps(users_parquet(USERS), f'path = "{table_path}", mode = append'))
    wider = users_parquet([(4, "dan", "us", 40)], SCHEMA + ", age INT")
    refused = run_steps(_sink_steps(wider, f'path = "{table_path}", mode = append'))
    assert not refused.succeeded and "schema" in refused.steps[-1].error.lower()
    evolved = run_steps(
        _sink_steps(wider, f'path = "{table_path}", mode = merge, merge_keys = [user_id], merge_schema = true')
    )
    assert evolved.succeeded, evolved
    assert "age" in DeltaTable(table_path).schema().to_arrow().names


def test_table_properties_are_set_on_creation_and_when_changed(run_steps, users_parquet, table_path):
    sink = f'path = "{table_path}", mode = append, table_properties {{ "delta.appendOnly" = "true" }}'
    assert run_steps(_sink_steps(users_parquet(USERS), sink)).succeeded
    assert DeltaTable(table_path).metadata().configuration == {"delta.appendOnly": "true"}
    assert _version(table_path) == 0  # set by the creating commit itself
    sink = f'path = "{table_path}", mode = append, table_properties {{ "delta.enableChangeDataFeed" = "true" }}'
    assert run_steps(_sink_steps(users_parquet([(4, "dan", "us")]), sink)).succeeded
    assert DeltaTable(table_path).metadata().configuration["delta.enableChangeDataFeed"] == "true"


def test_sink_writes_a_catalog_table_by_name(spark, run_steps, users_parquet, tmp_path):
    name = "ppf_delta_sink_by_name"
    location = str(tmp_path / "named")
    spark.sql(f"CREATE TABLE {name} (user_id INT, name STRING, region STRING) USING delta LOCATION '{location}'")
    try:
        assert run_steps(
            _sink_steps(users_parquet(USERS), f"table = {name}, mode = merge, merge_keys = [user_id]")
        ).succeeded
        assert _rows(location) == sorted(USERS)
    finally:
        spark.sql(f"DROP TABLE IF EXISTS {name}")


def _count_lookups(monkeypatch) -> list[str]:
    """Every DeltaTable lookup from now on, by name (each lists the table's log: an S3 LIST on S3)."""
    from delta import tables

    lookups: list[str] = []
    for name in ("forPath", "forName", "isDeltaTable"):
        original = getattr(tables.DeltaTable, name)
        monkeypatch.setattr(
            tables.DeltaTable,
            name,
            classmethod(
                lambda cls, *args, _name=name, _original=original, **kwargs: (
                    lookups.append(_name) or _original.__func__(cls, *args, **kwargs)
                )
            ),
        )
    return lookups


def test_a_merge_looks_its_table_up_once(run_steps, users_parquet, table_path, monkeypatch):
    """The sink reuses one lookup (made ahead, by prepare()) for the whole write."""
    run_steps(_sink_steps(users_parquet(USERS), f'path = "{table_path}", mode = append'))
    lookups = _count_lookups(monkeypatch)
    sink = (
        f'path = "{table_path}", mode = merge, merge_keys = [user_id], '
        'table_properties { "delta.appendOnly" = "false" }'
    )
    result = run_steps(_sink_steps(users_parquet([(1, "ann2", "eu"), (4, "dan", "us")]), sink))
    assert result.succeeded, result
    assert [r[:2] for r in _rows(table_path)] == [(1, "ann2"), (2, "bob"), (3, "cid"), (4, "dan")]
    assert lookups == ["forPath"], lookups


def test_a_table_created_earlier_in_the_same_run_is_merged_into(spark, users_parquet, table_path, tmp_path):
    """The merge's table is looked up ahead, before the earlier step creates it: the sink looks again."""
    from pyspark_pipeline_framework.testing import run_pipeline_text

    text = f"""
    pipeline {{
      name = delta-test
      max_parallel_steps = 1
      steps = [
        {{ name = first, type = ParquetSource, config {{ path = "{users_parquet(USERS)}" }} }}
        {{ name = create, type = "pyspark_pipeline_framework.components.DeltaSink",
           config {{ path = "{table_path}", mode = append }} }}
        {{ name = changes, type = ParquetSource, config {{ path = "{users_parquet([(2, "bobby", "us"), (4, "dan", "us")])}" }} }}
        {{ name = upsert, type = "pyspark_pipeline_framework.components.DeltaSink",
           config {{ path = "{table_path}", mode = merge, merge_keys = [user_id] }} }}
      ]
    }}
    """
    result = run_pipeline_text(text, spark=spark, directory=tmp_path)
    assert result.succeeded, result
    assert _rows(table_path) == [(1, "ann", "eu"), (2, "bobby", "us"), (3, "cid", "eu"), (4, "dan", "us")]
    assert [h["operation"] for h in DeltaTable(table_path).history()] == ["MERGE", "WRITE"]


def test_a_retried_merge_looks_its_table_up_again(run_steps, users_parquet, table_path, monkeypatch):
    """Only the first attempt uses the table found ahead; after a failure the table may have changed."""
    monkeypatch.syspath_prepend(str(Path(__file__).parent / "support"))
    assert run_steps(_sink_steps(users_parquet(USERS), f'path = "{table_path}", mode = append')).succeeded
    lookups = _count_lookups(monkeypatch)
    retry = 'retry { max_attempts = 3, initial_delay = "0s" }'
    steps = _sink_steps(
        users_parquet([(2, "bobby", "us")]), f'path = "{table_path}", mode = merge, merge_keys = [user_id]', retry=retry
    ).replace("pyspark_pipeline_framework.components.DeltaSink", "ppf_delta_test_support.DeltaSinkFailingAfterCommit")
    result = run_steps(steps)
    assert result.succeeded and result.steps[-1].attempts == 2
    assert lookups == ["forPath", "forPath"], lookups  # prepare(), then the retry's own


def test_a_plain_append_or_overwrite_does_not_look_its_table_up(run_steps, users_parquet, table_path, monkeypatch):
    """Without a merge or table properties the existing table is not needed: no listing of its log per write."""
    lookups = _count_lookups(monkeypatch)
    assert run_steps(_sink_steps(users_parquet(USERS), f'path = "{table_path}", mode = append')).succeeded
    assert run_steps(_sink_steps(users_parquet(USERS[:1]), f'path = "{table_path}", mode = append')).succeeded
    assert run_steps(_sink_steps(users_parquet(USERS[:2]), f'path = "{table_path}", mode = overwrite')).succeeded
    assert lookups == [], lookups
    assert [r[:2] for r in _rows(table_path)] == [(1, "ann"), (2, "bob")]
    assert [h["operation"] for h in DeltaTable(table_path).history()] == ["WRITE", "WRITE", "WRITE"]
