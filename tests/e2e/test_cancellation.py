"""Cancelling a batch `ppf run`: SIGTERM (Kubernetes, systemd, Airflow) and Ctrl-C during a write, a
killed run seen as dead, a live run that cannot be resumed.

The write is slow by construction: every row sleeps 1 s inside the JVM (``reflect`` calls
``Thread.sleep``) in one task, so an uncancelled write of its 60 rows lasts a minute and a retried
one three; the signal is sent once the log says the sink started and its staging directory exists.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from .conftest import BIN, log_events, ppf, runs_table_row, send_signal

pytestmark = [pytest.mark.e2e, pytest.mark.spark]

ROWS = 60


def _project(tmp_path: Path, checkpoint: bool = False) -> Path:
    """A pipeline overwriting a target that holds earlier data, with a retry policy and the audit log.

    With ``checkpoint``, the source's and the slow transform's outputs are kept for ``--resume``:
    then the slow part is the transform's checkpoint write.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = tmp_path / "target"
    target.mkdir()
    pq.write_table(pa.table({"id": [100, 101], "slept": ["old", "old"]}), target / "part-previous.parquet")
    (tmp_path / "in.csv").write_text("id\n" + "\n".join(str(i) for i in range(ROWS)) + "\n", encoding="utf-8")
    (tmp_path / "pipeline.conf").write_text(
        textwrap.dedent("""
        pipeline {
          name = "slow-write"
          checkpoint = %s
          spark { master = "local[1]", conf { "spark.ui.enabled" = "false", "spark.sql.shuffle.partitions" = "1" } }
          retry { max_attempts = 3, initial_delay = "0s" }
          hooks { enable_audit_log = true, audit_log { path = "audit.jsonl" } }
          steps = [
            { name = "src", type = CsvSource, config { path = "in.csv", options { header = "true" }, schema = "id INT" } }
            { name = "slow", type = SqlTransform, config { query =
                "SELECT id, CAST(reflect('java.lang.Thread', 'sleep', CAST(1000 AS BIGINT)) AS STRING) AS slept FROM src" } }
            { name = "out", type = ParquetSink, config { path = "target", mode = overwrite } }
          ]
        }
        """)
        % ("true" if checkpoint else "false"),
        encoding="utf-8",
    )
    return target


def _start(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / "stderr.log"
    process = subprocess.Popen(
        [str(BIN / "ppf"), "run", "--config", "pipeline.conf", "--log-format", "json", "--ledger-dir", "ledger"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        start_new_session=True,  # its own process group, as a terminal's foreground job (Ctrl-C goes to the group)
    )
    return process, log


def _staging(tmp_path: Path) -> list[Path]:
    return list(tmp_path.glob(".target.ppf-staging-*"))


def _tasks_writing(tmp_path: Path) -> bool:
    """Spark's tasks write into the staging directory (the write job runs, not just its planning)."""
    return any(tmp_path.glob(".target.ppf-staging-*/_temporary/*/*"))


def _wait_until_writing(process: subprocess.Popen, log: Path, tmp_path: Path, step: str = "out") -> None:
    """Until ``step`` started and, for the sink, Spark writes into its staging directory."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        started = any(e.get("event") == "step_started" and e.get("step") == step for e in log_events(log))
        if started and (step != "out" or _tasks_writing(tmp_path)):
            return
        time.sleep(0.1)
    raise AssertionError(f"step {step} did not start:\n{log.read_text(errors='replace')[-3000:]}")


def _ledger_record(tmp_path: Path) -> dict:
    (record,) = [json.loads(p.read_text()) for p in (tmp_path / "ledger").glob("*.json")]
    return record


@pytest.mark.parametrize(
    ("signum", "to", "exit_code"),
    [
        (signal.SIGTERM, "process", 143),
        (signal.SIGINT, "group", 130),
        (signal.SIGTERM, "group", 143),
        (signal.SIGTERM, "service", 143),
    ],
    ids=[
        "SIGTERM to the process (Kubernetes)",
        "Ctrl-C (SIGINT to the process group)",
        "SIGTERM to the process group (Airflow)",
        "SIGTERM to every process of the service, the JVM too (systemd)",
    ],
)
def test_a_signal_during_a_write_cancels_the_run_and_keeps_the_target(tmp_path, signum, to, exit_code):
    import pyarrow.parquet as pq

    target = _project(tmp_path)
    process, log = _start(tmp_path)
    try:
        _wait_until_writing(process, log, tmp_path)
        signalled = time.monotonic()
        send_signal(process, signum, to)
        code = process.wait(timeout=120)
        took = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    stderr = log.read_text(errors="replace")
    assert code == exit_code, stderr[-3000:]
    # Cancelled, not waited for: an uncancelled write lasts ROWS seconds (and a retried one three times that).
    assert took < ROWS / 2, f"the run took {took:.0f}s to end after the signal"

    events = log_events(log)
    names = [e.get("event") for e in events]
    assert "run_cancelling" in names and "step_cancelled" in names
    assert "step_retry" not in names  # retry = 3 attempts, and the cancelled attempt was not retried
    finished = next(e for e in events if e.get("event") == "pipeline_finished")
    assert (finished["status"], finished["exit_code"]) == ("cancelled", exit_code)

    # The target holds exactly the earlier data, and nothing of the cancelled write is left.
    assert [p.name for p in target.iterdir()] == ["part-previous.parquet"]
    assert pq.read_table(target).to_pydict() == {"id": [100, 101], "slept": ["old", "old"]}
    assert _staging(tmp_path) == []

    record = _ledger_record(tmp_path)
    assert (record["status"], record["exit_code"]) == ("cancelled", exit_code)
    assert record["reason"] == f"cancelled by {signal.Signals(signum).name}"
    steps = record["steps"]
    assert {name: step["status"] for name, step in steps.items()} == {
        "src": "succeeded",
        "slow": "succeeded",
        "out": "cancelled",
    }
    assert steps["out"]["attempts"] == 1

    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    (run,) = [r for r in audit if r["event"] == "run"]
    assert run["status"] == "cancelled" and run["steps"]["out"] == "cancelled"
    assert run["reason"] == f"cancelled by {signal.Signals(signum).name}"

    # A quiet shutdown: from the signal on, only ppf's own log lines; no Java stack of a job
    # aborted or of a JVM torn down mid-job (RejectedExecutionException), no Python traceback.
    lines = stderr.splitlines()
    cancelling = next(i for i, line in enumerate(lines) if '"run_cancelling"' in line)
    assert [line for line in lines[cancelling:] if not line.startswith("{")] == []
    assert "RejectedExecutionException" not in stderr and "Traceback" not in stderr

    listed = ppf("runs", "list", "--ledger-dir", "ledger", cwd=tmp_path)
    row = runs_table_row(listed.stdout, record["run_id"])
    assert (row["PIPELINE"], row["STATUS"], row["EXIT"]) == ("slow-write", "cancelled", str(exit_code)), listed.stdout


def test_a_killed_run_is_shown_as_died(tmp_path):
    _project(tmp_path)
    process, log = _start(tmp_path)
    try:
        _wait_until_writing(process, log, tmp_path)
        assert _ledger_record(tmp_path)["status"] == "running"
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # SIGKILL, as the OOM killer or `kill -9` ends it
        process.wait(timeout=60)
    run_id = _ledger_record(tmp_path)["run_id"]

    listed = ppf("runs", "list", "--ledger-dir", "ledger", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    row = runs_table_row(listed.stdout, run_id)
    assert (row["PIPELINE"], row["STATUS"]) == ("slow-write", "died"), listed.stdout
    shown = ppf("runs", "show", run_id, "--ledger-dir", "ledger", cwd=tmp_path)
    assert "died" in shown.stdout and f"pid {process.pid}" in shown.stdout


def test_resuming_a_run_that_is_still_running_is_refused(tmp_path):
    # Resumable otherwise: the source completed and was kept, the slow transform is writing its checkpoint.
    _project(tmp_path, checkpoint=True)
    process, log = _start(tmp_path)
    try:
        _wait_until_writing(process, log, tmp_path, step="slow")
        run_id = _ledger_record(tmp_path)["run_id"]
        for asked in (run_id, "last"):
            resumed = ppf(
                "run",
                "--config",
                "pipeline.conf",
                "--ledger-dir",
                "ledger",
                "--resume",
                asked,
                cwd=tmp_path,
                timeout=120,
            )
            assert resumed.returncode == 2, resumed.stderr
            assert f"cannot resume: run {run_id} is still running (pid {process.pid}" in resumed.stderr
            assert "Traceback" not in resumed.stderr
        assert process.poll() is None  # the live run went on undisturbed
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
    assert len(list((tmp_path / "ledger").glob("*.json"))) == 1  # the refused resumes recorded no run
