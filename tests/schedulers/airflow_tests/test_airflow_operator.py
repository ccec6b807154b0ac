"""PpfRunOperator run by ``dag.test()`` against SQLite: templated fields, exit codes as task states, a
retry that resumes the previous try (only its failed step and what depends on it run again), and a
running task stopped by Airflow (a timeout, a kill), whose run is cancelled in order."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

from airflow.utils.state import DagRunState, TaskInstanceState
from ppf_scheduler_pipelines import ROWS, two_branch_pipeline


def task_instance(dag_run):
    [ti] = dag_run.get_task_instances()
    return ti


def ledger_records(ledger):
    return sorted((json.loads(p.read_text(encoding="utf-8")) for p in ledger.glob("*.json")), key=lambda r: r["run_id"])


def test_a_run_succeeds_with_templated_config_path_and_overrides(tmp_path, write_dag):
    two_branch_pipeline(tmp_path)
    dag = write_dag(
        "ppf_success",
        config_path="{{ params.folder }}/pipeline.conf",
        overrides=["name=users_{{ params.day }}"],
        ledger_dir=str(tmp_path / "ledger"),
        params={"folder": str(tmp_path), "day": "20260102"},
    )
    dag_run = dag.test()
    assert dag_run.state == DagRunState.SUCCESS
    ti = task_instance(dag_run)
    assert ti.state == TaskInstanceState.SUCCESS and ti.try_number == 1
    [record] = ledger_records(tmp_path / "ledger")
    assert record["pipeline"] == "users_20260102" and record["status"] == "succeeded"
    summary = ti.xcom_pull(task_ids="pipeline")
    assert summary["exit_code"] == 0 and summary["run_id"] == record["run_id"]
    assert summary["sinks"]["copy"]["rows_written"] == summary["sinks"]["report"]["rows_written"] == ROWS


def test_a_configuration_error_fails_the_task_without_retry(tmp_path, write_dag):
    broken = tmp_path / "broken.conf"
    broken.write_text("pipeline { name = broken, steps = [ { name = a, type = NoSuchComponent } ] }", encoding="utf-8")
    dag = write_dag(
        "ppf_config_error",
        config_path=str(broken),
        ledger_dir=str(tmp_path / "ledger"),
        retries=3,
        retry_delay_s=0,
    )
    dag_run = dag.test()
    ti = task_instance(dag_run)
    assert dag_run.state == DagRunState.FAILED
    assert ti.state == TaskInstanceState.FAILED and ti.try_number == 1  # three retries allowed, none taken
    assert not (tmp_path / "ledger").exists()  # nothing ran


def test_a_failed_step_is_retried_and_the_retry_resumes_only_what_did_not_complete(tmp_path, write_dag):
    two_branch_pipeline(tmp_path, flaky=True)
    dag = write_dag(
        "ppf_retry",
        config_path=str(tmp_path / "pipeline.conf"),
        ledger_dir=str(tmp_path / "ledger"),
        retries=1,
        retry_delay_s=0,
    )
    dag_run = dag.test()
    ti = task_instance(dag_run)
    assert dag_run.state == DagRunState.SUCCESS and ti.try_number == 2
    first, second = ledger_records(tmp_path / "ledger")
    assert first["status"] == "failed" and first["run_id"].endswith("-try1")
    assert first["steps"]["shape"]["status"] == "failed" and first["steps"]["copy"]["status"] == "succeeded"
    assert second["status"] == "succeeded" and second["resumed_from"] == first["run_id"]
    assert second["run_id"].endswith("-try2")
    # The retry ran the failed step and its sink; the branch that had succeeded did not run again.
    assert second["steps"]["shape"]["attempts"] == 1 and second["steps"]["report"]["attempts"] == 1
    assert second["steps"]["copy"]["attempts"] == 0
    assert (tmp_path / "failed_once.calls").read_text(encoding="utf-8").count("called") == 2
    assert second["steps"]["report"]["metrics"]["rows_written"] == ROWS


def test_a_partial_success_that_should_fail_is_retried_and_the_retry_resumes_the_skipped_steps(tmp_path, write_dag):
    two_branch_pipeline(tmp_path, flaky=True, shape_settings="on_failure = skip")
    dag = write_dag(
        "ppf_partial",
        config_path=str(tmp_path / "pipeline.conf"),
        ledger_dir=str(tmp_path / "ledger"),
        partial_success_fails=True,
        retries=1,
        retry_delay_s=0,
    )
    dag_run = dag.test()
    ti = task_instance(dag_run)
    assert dag_run.state == DagRunState.SUCCESS and ti.try_number == 2
    first, second = ledger_records(tmp_path / "ledger")
    assert first["status"] == "partial" and first["exit_code"] == 3
    assert second["resumed_from"] == first["run_id"] and second["status"] == "succeeded"
    assert second["steps"]["copy"]["attempts"] == 0 and second["steps"]["shape"]["attempts"] == 1


def test_an_execution_timeout_cancels_the_run_in_order_and_the_retry_resumes_it(tmp_path, write_dag):
    # The first try's "shape" would take ten minutes a row (computed within the step: checkpoint = true);
    # the timeout, a minute, cancels its Spark job.
    two_branch_pipeline(tmp_path, slow=True)
    dag = write_dag(
        "ppf_timeout",
        config_path=str(tmp_path / "pipeline.conf"),
        ledger_dir=str(tmp_path / "ledger"),
        execution_timeout_s=60,
        retries=1,
        retry_delay_s=0,
    )
    dag_run = dag.test()
    ti = task_instance(dag_run)
    assert dag_run.state == DagRunState.SUCCESS and ti.try_number == 2
    first, second = ledger_records(tmp_path / "ledger")
    assert (first["status"], first["reason"]) == ("cancelled", "cancelled by AirflowTaskTimeout")
    statuses = {name: step["status"] for name, step in first["steps"].items()}
    assert statuses == {"extract": "succeeded", "copy": "succeeded", "shape": "cancelled", "report": "not_run"}
    assert second["resumed_from"] == first["run_id"] and second["status"] == "succeeded"
    assert second["steps"]["copy"]["attempts"] == 0  # completed by the cancelled try
    assert second["steps"]["report"]["metrics"]["rows_written"] == ROWS


def test_a_task_airflow_kills_cancels_its_run_in_order_and_fails_without_retry(tmp_path, write_dag):
    two_branch_pipeline(tmp_path, slow=True)
    dag = write_dag(
        "ppf_killed",
        config_path=str(tmp_path / "pipeline.conf"),
        ledger_dir=str(tmp_path / "ledger"),
        retries=1,
        retry_delay_s=0,
    )

    def kill_once_slow_step_runs():
        # What Airflow's supervisor does to a task marked failed: SIGTERM to the task's process.
        while not (tmp_path / "slow_once").exists():
            time.sleep(0.2)
        time.sleep(3)  # its Spark job is running
        os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=kill_once_slow_step_runs, daemon=True)
    killer.start()
    dag_run = dag.test()
    killer.join()
    ti = task_instance(dag_run)
    assert dag_run.state == DagRunState.FAILED
    assert ti.state == TaskInstanceState.FAILED and ti.try_number == 1  # a retry allowed, none taken
    [record] = ledger_records(tmp_path / "ledger")
    assert (record["status"], record["exit_code"]) == ("cancelled", 143)
    statuses = {name: step["status"] for name, step in record["steps"].items()}
    assert statuses == {"extract": "succeeded", "copy": "succeeded", "shape": "cancelled", "report": "not_run"}
    assert not (tmp_path / "out" / "report").exists()  # nothing half-written
