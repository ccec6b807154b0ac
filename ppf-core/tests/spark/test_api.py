"""The public Python API (pyspark_pipeline_framework.api) on Spark: success, partial success, failure,
a configuration error, and a resume, each with its exit code and the figures of the sinks."""

from __future__ import annotations

import json
import textwrap

import pytest

from pyspark_pipeline_framework.api import ExitCode, PipelineNotRun, StepStatus, run_pipeline, validate_pipeline

pytestmark = pytest.mark.spark


def write_pipeline(tmp_path, *, report_query="SELECT id, id * 2 AS doubled FROM extract", report_settings=""):
    """Two branches from one CSV source: ``copy`` writes the rows as read, ``report`` a query of them."""
    source = tmp_path / "in.csv"
    source.write_text("id,name\n" + "".join(f"{i},user{i}\n" for i in range(25)), encoding="utf-8")
    path = tmp_path / "pipeline.conf"
    path.write_text(
        textwrap.dedent(f"""
        pipeline {{
          name = "api_two_branches"
          checkpoint = true
          steps = [
            {{ name = "extract", type = CsvSource, config {{ path = "{source}", options {{ header = "true" }} }} }}
            {{ name = "copy", type = ParquetSink, inputs = [extract],
               config {{ path = "{tmp_path / "copy"}", mode = overwrite }} }}
            {{ name = "query", type = SqlTransform, inputs = [extract], config {{ query = "{report_query}" }}
               {report_settings} }}
            {{ name = "report", type = ParquetSink, inputs = [query],
               config {{ path = "{tmp_path / "report"}", mode = overwrite }} }}
          ]
        }}
        """),
        encoding="utf-8",
    )
    return path


def output_files_bytes(directory):
    return sum(f.stat().st_size for f in directory.rglob("*.parquet"))


def test_a_successful_run_returns_each_sinks_rows_and_bytes(spark, tmp_path):
    result = run_pipeline(write_pipeline(tmp_path), ledger_dir=tmp_path / "ledger", spark=spark)
    assert result.status == "succeeded" and result.exit_code is ExitCode.SUCCESS
    assert result.exit_code.meaning == "every step succeeded"
    assert sorted(sink.name for sink in result.sinks) == ["copy", "report"]
    for sink in result.sinks:
        written = tmp_path / sink.name
        assert sink.metrics["rows_written"] == spark.read.parquet(str(written)).count() == 25
        assert sink.metrics["bytes_written"] == output_files_bytes(written)
    # Recorded in the run ledger, as `ppf run` records it.
    record = json.loads((tmp_path / "ledger" / f"{result.run_id}.json").read_text(encoding="utf-8"))
    assert record["status"] == "succeeded" and record["exit_code"] == 0


def test_a_tolerated_failure_is_a_partial_success(spark, tmp_path):
    config = write_pipeline(
        tmp_path, report_query="SELECT no_such_column FROM extract", report_settings=", on_failure = skip"
    )
    result = run_pipeline(config, ledger_dir=tmp_path / "ledger", spark=spark)
    assert result.status == "partial" and result.exit_code is ExitCode.PARTIAL_SUCCESS
    assert result.step("query").status is StepStatus.SKIPPED and "no_such_column" in result.step("query").error
    assert result.step("copy").status is StepStatus.SUCCEEDED
    assert result.step("copy").metrics["rows_written"] == 25


def test_a_failed_step_fails_the_run_and_a_resume_runs_only_what_did_not_complete(spark, tmp_path):
    ledger = tmp_path / "ledger"
    failed = run_pipeline(
        write_pipeline(tmp_path, report_query="SELECT no_such_column FROM extract"), ledger_dir=ledger, spark=spark
    )
    assert failed.status == "failed" and failed.exit_code is ExitCode.PIPELINE_FAILED
    assert failed.step("query").status is StepStatus.FAILED and failed.step("report").status is StepStatus.NOT_RUN
    assert "running it again may succeed" in failed.exit_code.meaning

    resumed = run_pipeline(write_pipeline(tmp_path), ledger_dir=ledger, resume=failed.run_id, spark=spark)
    assert resumed.succeeded, resumed.to_dict()
    assert resumed.ran == ["query", "report"]
    assert resumed.step("report").metrics["rows_written"] == 25


def test_a_configuration_error_raises_pipeline_not_run_with_the_clis_message(spark, tmp_path, monkeypatch):
    monkeypatch.setenv("API_TEST_SECRET", "hunter2-value")
    path = tmp_path / "broken.conf"
    path.write_text(
        'pipeline { name = broken, steps = [ { name = a, type = NoSuchComponent, config { x = "secret://env/API_TEST_SECRET" } } ] }',
        encoding="utf-8",
    )
    with pytest.raises(PipelineNotRun) as raised:
        run_pipeline(path, ledger_dir=tmp_path / "ledger", spark=spark)
    error = raised.value
    assert error.exit_code is ExitCode.USAGE_OR_CONFIG_ERROR and int(error.exit_code) == 2
    assert error.configuration and "NoSuchComponent" in str(error) and "broken.conf" in str(error)
    assert "hunter2-value" not in str(error)
    assert not (tmp_path / "ledger").exists()  # nothing ran, nothing recorded
    with pytest.raises(PipelineNotRun):
        validate_pipeline(path)


def test_a_missing_input_file_and_an_unknown_resume_are_not_run(spark, tmp_path):
    config = write_pipeline(tmp_path)
    (tmp_path / "in.csv").unlink()
    with pytest.raises(PipelineNotRun) as missing:
        run_pipeline(config, ledger_dir=tmp_path / "ledger", spark=spark)
    assert missing.value.configuration and "in.csv" in str(missing.value)
    with pytest.raises(PipelineNotRun) as refused:
        run_pipeline(config, ledger_dir=tmp_path / "ledger", resume="20990101T000000-00000000", spark=spark)
    assert not refused.value.configuration and "20990101T000000-00000000" in str(refused.value)


def test_a_run_id_of_the_callers_choosing_is_recorded_and_checked(spark, tmp_path):
    result = run_pipeline(write_pipeline(tmp_path), ledger_dir=tmp_path / "ledger", run_id="nightly-42", spark=spark)
    assert result.run_id == "nightly-42" and (tmp_path / "ledger" / "nightly-42.json").exists()
    with pytest.raises(ValueError, match="not a valid run id"):
        run_pipeline(write_pipeline(tmp_path), ledger_dir=tmp_path / "ledger", run_id="../escape", spark=spark)
