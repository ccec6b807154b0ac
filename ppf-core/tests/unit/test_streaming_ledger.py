"""The run ledger of a streaming run: the last committed batch per query, `stopped` runs, `ppf runs show`."""

from __future__ import annotations

from datetime import UTC, datetime

from typer.testing import CliRunner

from pyspark_pipeline_framework.core.results import RunResult, StepResult, StepStatus
from pyspark_pipeline_framework.runner.cli import app
from pyspark_pipeline_framework.runner.config.preflight import validate_raw
from pyspark_pipeline_framework.runtime.resilience.ledger import RunLedger, RunRecorder

PIPELINE = {
    "name": "orders",
    "streaming": {"checkpoint_location": "/chk"},
    "steps": [
        {"name": "read", "type": "KafkaSource", "config": {"bootstrap_servers": "b:9092", "topic": "orders"}},
        {"name": "load", "type": "ParquetSink", "config": {"path": "/out"}},
    ],
}


def _figures(batch_id: int, rows: int) -> dict:
    return {
        "query": "orders.read",
        "batch_id": batch_id,
        "rows_in": rows,
        "rows_written": rows - 1,
        "dead_letter_rows": 1,
        "duration_s": 0.5,
        "offsets_behind_latest": 7,
    }


def test_the_ledger_keeps_the_last_committed_batch_of_each_query_and_a_stopped_run(tmp_path):
    pipeline = validate_raw(PIPELINE)
    ledger = RunLedger(tmp_path / "runs")
    recorder = RunRecorder(ledger, pipeline, "run-1", datetime.now(UTC))
    recorder.micro_batch_committed("orders.read", "/chk/orders/read", _figures(41, 10))
    recorder.micro_batch_committed("orders.read", "/chk/orders/read", _figures(42, 20))
    steps = [StepResult("read", StepStatus.SUCCEEDED), StepResult("load", StepStatus.SUCCEEDED)]
    recorder.finished(RunResult("run-1", "orders", steps, 3.0, stopped=True))

    record = ledger.load("run-1")
    assert record["status"] == "stopped" and record["exit_code"] == 0
    query = record["streaming"]["orders.read"]
    assert (
        query["last_committed_batch"],
        query["batches"],
        query["rows_in"],
        query["rows_written"],
        query["dead_letter_rows"],
        query["offsets_behind_latest"],
    ) == (42, 2, 30, 28, 2, 7)

    shown = CliRunner().invoke(app, ["runs", "show", "last", "--ledger-dir", str(tmp_path / "runs")])
    assert shown.exit_code == 0
    assert "run run-1  pipeline orders  stopped  exit=0" in shown.stdout
    assert "query orders.read: last committed batch 42" in shown.stdout
    assert "2 batches in this run, rows_in=30 rows_written=28 dead_letter_rows=2" in shown.stdout


def test_a_cancelled_run_is_recorded_as_cancelled(tmp_path):
    ledger = RunLedger(tmp_path / "runs")
    recorder = RunRecorder(ledger, validate_raw(PIPELINE), "run-2", datetime.now(UTC))
    recorder.cancelled("a second signal arrived")
    record = ledger.load("run-2")
    assert (record["status"], record["reason"]) == ("cancelled", "a second signal arrived")
