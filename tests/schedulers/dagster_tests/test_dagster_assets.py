"""ppf_assets under Dagster: one asset per sink, materialized by ``dagster.materialize``, with the rows
and bytes each sink wrote as materialization metadata."""

from __future__ import annotations

import dagster
import pyarrow.parquet as pq
import pytest
from ppf_scheduler_pipelines import ROWS, two_branch_pipeline

from pyspark_pipeline_framework.api import PipelineNotRun
from pyspark_pipeline_framework.integrations.dagster import ppf_assets


def written(folder):
    """The rows and bytes of the Parquet files in an output folder, read without Spark."""
    files = sorted(folder.rglob("*.parquet"))
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files), sum(f.stat().st_size for f in files)


def metadata_of(result, key):
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == dagster.AssetKey(key)]
    return event.materialization.metadata


def test_materializing_runs_the_pipeline_and_reports_each_sinks_rows_and_bytes(tmp_path):
    assets = ppf_assets(two_branch_pipeline(tmp_path), ledger_dir=tmp_path / "ledger", key_prefix=["users"])
    assert {key.path[-1] for key in assets.keys} == {"copy", "report"}
    result = dagster.materialize([assets])
    assert result.success
    for sink in ("copy", "report"):
        metadata = metadata_of(result, ["users", sink])
        rows, size = written(tmp_path / "out" / sink)
        assert rows == ROWS
        assert metadata["rows_written"].value == rows
        assert metadata["bytes_written"].value == size
        run_id = metadata["ppf_run_id"].value
        assert (tmp_path / "ledger" / f"{run_id}.json").exists()


def test_a_failed_step_fails_the_materialization(tmp_path):
    assets = ppf_assets(two_branch_pipeline(tmp_path, flaky=True), ledger_dir=tmp_path / "ledger")
    result = dagster.materialize([assets], raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type == dagster.DagsterEventType.STEP_FAILURE]
    assert "exit code 1" in failure.event_specific_data.error.message


def test_a_partial_success_materializes_the_sinks_that_succeeded(tmp_path):
    pipeline = two_branch_pipeline(tmp_path, flaky=True, shape_settings="on_failure = skip")
    result = dagster.materialize([ppf_assets(pipeline, ledger_dir=tmp_path / "ledger")])
    assert result.success
    materialized = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert materialized == {"copy"}  # report was skipped with the step it reads
    assert metadata_of(result, ["copy"])["rows_written"].value == written(tmp_path / "out" / "copy")[0] == ROWS
    assert not (tmp_path / "out" / "report").exists()


def test_a_partial_success_fails_when_asked_to(tmp_path):
    pipeline = two_branch_pipeline(tmp_path, flaky=True, shape_settings="on_failure = skip")
    assets = ppf_assets(pipeline, ledger_dir=tmp_path / "ledger", partial_success_fails=True)
    result = dagster.materialize([assets], raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type == dagster.DagsterEventType.STEP_FAILURE]
    assert "partial, exit code 3" in failure.event_specific_data.error.message


def test_an_invalid_pipeline_file_fails_when_the_definitions_load(tmp_path):
    path = tmp_path / "broken.conf"
    path.write_text("pipeline { name = broken, steps = [ { name = a, type = NoSuchComponent } ] }", encoding="utf-8")
    with pytest.raises(PipelineNotRun, match="NoSuchComponent") as raised:
        ppf_assets(path)
    assert int(raised.value.exit_code) == 2
