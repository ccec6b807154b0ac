"""What schedulers make of a run: exit codes as success / retry / fail, the result summary, and finding
a task's previous try in the run ledger (no scheduler and no JVM needed)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pyspark_pipeline_framework.api import ExitCode, RunResult, StepResult, StepStatus
from pyspark_pipeline_framework.integrations.attempts import attempt_run_id, previous_attempt, task_key
from pyspark_pipeline_framework.integrations.outcomes import SchedulerOutcome, result_summary, scheduler_outcome
from pyspark_pipeline_framework.runtime.resilience.ledger import RunLedger


@pytest.mark.parametrize(
    ("code", "partial_success_fails", "outcome"),
    [
        (ExitCode.SUCCESS, False, SchedulerOutcome.SUCCESS),
        (ExitCode.SUCCESS, True, SchedulerOutcome.SUCCESS),
        (ExitCode.PARTIAL_SUCCESS, False, SchedulerOutcome.SUCCESS),
        (ExitCode.PARTIAL_SUCCESS, True, SchedulerOutcome.RETRY),
        (ExitCode.PIPELINE_FAILED, False, SchedulerOutcome.RETRY),
        (ExitCode.USAGE_OR_CONFIG_ERROR, False, SchedulerOutcome.FAIL),
        (ExitCode.INTERRUPTED, False, SchedulerOutcome.FAIL),
        (ExitCode.TERMINATED, False, SchedulerOutcome.FAIL),
    ],
)
def test_exit_codes_as_scheduler_outcomes(code, partial_success_fails, outcome):
    assert scheduler_outcome(code, partial_success_fails=partial_success_fails) is outcome


def test_every_exit_code_has_a_meaning():
    assert {code: bool(code.meaning) for code in ExitCode} == dict.fromkeys(ExitCode, True)
    assert "nothing ran" in ExitCode.USAGE_OR_CONFIG_ERROR.meaning


def step(name, status, **metrics):
    return StepResult(name, status, attempts=1, metrics=metrics)


def test_the_result_summary_has_the_exit_codes_meaning_and_each_sinks_figures():
    result = RunResult(
        "r1",
        "p",
        [
            step("extract", StepStatus.SUCCEEDED, rows_in=None),
            step("load", StepStatus.SUCCEEDED, rows_written=7, rows_out=7, bytes_written=900),
            StepResult("side", StepStatus.SKIPPED, attempts=1, error="boom", metrics={"rows_written": None}),
        ],
    )
    summary = result_summary(result)
    assert summary["exit_code"] == 3 and summary["status"] == "partial"
    assert summary["meaning"] == ExitCode.PARTIAL_SUCCESS.meaning
    assert summary["sinks"] == {
        "load": {"rows_written": 7, "bytes_written": 900},
        "side": {"rows_written": None, "bytes_written": None},
    }
    assert summary["steps"]["side"] == {"status": "skipped", "attempts": 1, "error": "boom", "rows_written": None}


def record(run_id, status):
    return {"run_id": run_id, "pipeline": "p", "status": status, "steps": {}}


def test_a_retry_finds_its_tasks_previous_try_among_other_runs(tmp_path):
    ledger = RunLedger(tmp_path)
    mine, other = task_key("dag", "task", "manual__1", -1), task_key("dag", "task", "manual__2", -1)
    assert mine != other and mine == task_key("dag", "task", "manual__1", -1)
    first = attempt_run_id(mine, 1)
    assert first.endswith(f"-{mine}-try1")
    ledger.write(record(first, "failed"))
    ledger.write(record(attempt_run_id(other, 1).replace("2026", "2999", 1), "failed"))  # newer, another task's
    assert previous_attempt(mine, tmp_path) == first
    assert previous_attempt(task_key("dag", "task", "manual__3", -1), tmp_path) is None


def test_a_succeeded_previous_try_is_not_resumed_and_the_newest_try_wins(tmp_path):
    ledger = RunLedger(tmp_path)
    key = task_key("dag", "task", "run", 0)
    ledger.write(record("20260101T000000-aaaaaaaa-" + key + "-try1", "failed"))
    ledger.write(record("20260101T000100-bbbbbbbb-" + key + "-try2", "partial"))
    assert previous_attempt(key, tmp_path) == "20260101T000100-bbbbbbbb-" + key + "-try2"
    ledger.write(record("20260101T000200-cccccccc-" + key + "-try3", "succeeded"))
    assert previous_attempt(key, tmp_path) is None
    assert previous_attempt(key, tmp_path / "no_ledger_yet") is None


def test_importing_the_api_imports_no_pyspark_and_no_scheduler():
    code = (
        "import sys, pyspark_pipeline_framework.api, pyspark_pipeline_framework.integrations.outcomes; "
        "print(sorted(m for m in ('pyspark', 'airflow', 'dagster', 'py4j') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
