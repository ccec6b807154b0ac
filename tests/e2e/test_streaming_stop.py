"""Stopping a streaming `ppf run`: SIGTERM finishes the batch in progress and exits 0; a second signal cancels."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import log_events, send_signal

pytestmark = [pytest.mark.e2e, pytest.mark.spark]

# Each micro-batch takes about 4 s (two rows, each sleeping 2 s in one task), so a signal sent
# right after a batch started finds it in progress.
PIPELINE = """
pipeline {
  name = slow-stream
  spark { master = "local[1]", conf { "spark.ui.enabled" = "false", "spark.sql.shuffle.partitions" = "1" } }
  streaming { trigger = "1s", checkpoint_location = "out/checkpoints", stop_timeout = "%(timeout)s" }
  steps = [
    { name = numbers, type = RateSource, config { rows_per_batch = 2, num_partitions = 1 } }
    { name = slow, type = SqlTransform, config { query =
        "SELECT value, reflect('java.lang.Thread', 'sleep', CAST(2000 AS BIGINT)) AS slept FROM numbers" } }
    { name = out, type = JsonSink, config { path = out/rows } }
  ]
}
"""


def _start(tmp_path: Path, timeout: str, own_group: bool = False) -> tuple[subprocess.Popen, Path]:
    (tmp_path / "pipeline.conf").write_text(PIPELINE % {"timeout": timeout})
    log = tmp_path / "run.log"
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "ppf"),
            "run",
            "--config",
            "pipeline.conf",
            "--log-format",
            "json",
            "--ledger-dir",
            "ledger",
        ],
        cwd=tmp_path,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=own_group,  # a group of its own: the JVM is in it
    )
    return process, log


def _wait_for_batch_start(process: subprocess.Popen, log: Path, batch_id: int, timeout: float = 400) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        if any(
            e.get("event") == "step_started" and e.get("step") == "slow" and e.get("batch_id") == batch_id
            for e in log_events(log)
        ):
            return
        time.sleep(0.2)
    raise AssertionError(f"batch {batch_id} did not start:\n{log.read_text()[-3000:]}")


def _ledger_record(tmp_path: Path) -> dict:
    (record,) = [json.loads(p.read_text()) for p in (tmp_path / "ledger").glob("*.json")]
    return record


def test_sigterm_finishes_the_batch_in_progress_commits_it_and_exits_0(tmp_path):
    process, log = _start(tmp_path, "120s")
    _wait_for_batch_start(process, log, batch_id=1)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=120) == 0, log.read_text()[-3000:]

    events = log_events(log)
    names = [e.get("event") for e in events]
    assert "stop_requested" in names and "streaming_stopped" in names
    committed = [e["batch_id"] for e in events if e.get("event") == "micro_batch_committed"]
    assert 1 in committed  # the batch in progress when the signal came was finished and committed
    assert (tmp_path / "out" / "rows" / "batch_id=1").is_dir()
    record = _ledger_record(tmp_path)
    assert record["status"] == "stopped" and record["exit_code"] == 0
    assert record["streaming"]["slow-stream.numbers"]["last_committed_batch"] == max(committed)


def test_a_second_signal_cancels_the_batch_in_progress_and_ends_the_process_by_the_signal(tmp_path):
    process, log = _start(tmp_path, "120s")
    _wait_for_batch_start(process, log, batch_id=1)
    process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=120) == -signal.SIGTERM, log.read_text()[-3000:]
    record = _ledger_record(tmp_path)
    assert (record["status"], record["reason"]) == ("cancelled", "a second signal arrived")
    assert not any(e.get("event") == "micro_batch_committed" and e.get("batch_id") == 1 for e in log_events(log))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM (Airflow)", "Ctrl-C"])
def test_a_signal_to_the_process_group_still_finishes_the_batch_in_progress(tmp_path, signum):
    """Airflow stops a task by signalling its process group, as Ctrl-C does: Spark's JVM has a
    group of its own, so only ppf hears it and stops as on a signal to itself."""
    process, log = _start(tmp_path, "120s", own_group=True)
    _wait_for_batch_start(process, log, batch_id=1)
    send_signal(process, signum, "group")
    assert process.wait(timeout=120) == 0, log.read_text()[-3000:]
    committed = [e["batch_id"] for e in log_events(log) if e.get("event") == "micro_batch_committed"]
    assert 1 in committed
    assert _ledger_record(tmp_path)["status"] == "stopped"


def test_sigterm_to_every_process_stops_the_jvm_too_and_the_run_ends_cancelled(tmp_path):
    """systemd's default (KillMode=control-group) signals every process of the service, Spark's JVM
    too, which shuts down at once: the batch in progress cannot finish, so the run is recorded as
    cancelled and ends by the signal, without a traceback of its own; the batch was not committed,
    so a restart runs it again."""
    process, log = _start(tmp_path, "120s", own_group=True)
    _wait_for_batch_start(process, log, batch_id=1)
    send_signal(process, signal.SIGTERM, "service")
    try:
        code = process.wait(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    text = log.read_text()
    assert code == -signal.SIGTERM, text[-3000:]
    assert "runner/cli.py" not in text, text[-3000:]  # no traceback of ppf's main thread
    assert any(e.get("event") == "streaming_cancelled" for e in log_events(log)), text[-3000:]
    record = _ledger_record(tmp_path)
    assert record["status"] == "cancelled", record
    assert "runs again on restart" in record["reason"] and "KillMode=mixed" in record["reason"], record
    assert not any(e.get("event") == "micro_batch_committed" and e.get("batch_id") == 1 for e in log_events(log))
