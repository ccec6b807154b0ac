"""Cancelling a batch run without a JVM: the signal handling, the scheduling, the retries, the ledger.

The end-to-end tests (tests/e2e/test_cancellation.py) send the signals to ``ppf run`` writing with
Spark; these check each rule on its own, with components that pass Python lists.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime

import ppf_test_components as tc
import pytest
from typer.testing import CliRunner

from pyspark_pipeline_framework.core import Hook, RunCancelled
from pyspark_pipeline_framework.core.results import ExitCode, RunResult, StepResult, StepStatus
from pyspark_pipeline_framework.core.spec import RetryPolicy
from pyspark_pipeline_framework.runner.cli import app
from pyspark_pipeline_framework.runner.config.preflight import validate, validate_raw
from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file
from pyspark_pipeline_framework.runtime.resilience.ledger import ResumeRefused, RunLedger, RunRecorder
from pyspark_pipeline_framework.runtime.resilience.liveness import RunLock
from pyspark_pipeline_framework.runtime.resilience.retry import call_with_retries
from pyspark_pipeline_framework.runtime.run.launch import run_pipeline
from pyspark_pipeline_framework.runtime.run.signals import StopSignals

T = "ppf_test_components"

PIPELINE = f"""
pipeline {{
  name = "cancelled"
  retry {{ max_attempts = 3, initial_delay = "0s" }}
  max_parallel_steps = 1
  steps = [
    {{ name = "numbers", type = "{T}.Numbers", config {{ values = [1, 2] }} }}
    {{ name = "write", type = "{T}.SlowWrite", inputs = ["numbers"] }}
    {{ name = "after", type = "{T}.Collect", inputs = ["numbers"] }}
  ]
}}
"""


class CancellableSpark:
    """Stands in for the session: the executor tags and cancels job groups; cancelling ends SlowWrite's "job"."""

    def __init__(self):
        self.sparkContext = self
        self.cancelled_groups: list[str] = []

    def setJobGroup(self, group, description):
        pass

    def statusTracker(self):
        return self

    def getJobIdsForGroup(self, group):
        return [7]

    def getActiveJobsIds(self):
        """SlowWrite's "job" runs from its start until it is cancelled."""
        running = tc.SIGNALS["write_started"].is_set() and not tc.SIGNALS["jobs_cancelled"].is_set()
        return [7] if running else []

    def cancelJobGroup(self, group):
        self.cancelled_groups.append(group)
        tc.SIGNALS["jobs_cancelled"].set()


class Calls(Hook):
    def __init__(self):
        super().__init__()
        self.errors: dict[str, BaseException] = {}
        self.end: RunResult | None = None

    def on_step_error(self, step_name, error):
        self.errors[step_name] = error

    def pipeline_end(self, result):
        self.end = result


def _signal_when_the_write_starts(signum: int) -> threading.Thread:
    def send():
        assert tc.SIGNALS["write_started"].wait(10)
        os.kill(os.getpid(), signum)  # handled on the main thread, where the run is

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_during_a_write_cancels_its_jobs_and_the_run_without_retry_or_further_steps(
    write_conf, tmp_path, signum, code
):
    spark, hook, ledger = CancellableSpark(), Calls(), RunLedger(tmp_path / "runs")
    handlers = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    sender = _signal_when_the_write_starts(signum)
    result = run_pipeline(
        validate(load_pipeline_file(write_conf(PIPELINE))),
        spark=spark,
        extra_plugins=[hook],
        ledger=ledger,
        handle_signals=True,
    )
    sender.join()

    assert result.cancelled and result.cancelled_by == signum and int(result.exit_code) == code
    assert not result.succeeded and not result.partial and result.status == "cancelled"
    statuses = {s.name: s.status for s in result.steps}
    assert statuses == {"numbers": StepStatus.SUCCEEDED, "write": StepStatus.CANCELLED, "after": StepStatus.NOT_RUN}
    assert tc.ATTEMPTS["write"] == 1  # max_attempts = 3, and the cancelled attempt was not retried
    assert "write" not in tc.WRITTEN
    assert spark.cancelled_groups == [f"ppf-{result.run_id}"]  # once: then no job of the run was active
    assert hook.end is result  # hooks see the end of the run
    assert isinstance(hook.errors["write"], RunCancelled)
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == handlers  # put back

    record = ledger.load(result.run_id)
    assert (record["status"], record["exit_code"]) == ("cancelled", code)
    assert record["reason"] == f"cancelled by {signal.Signals(signum).name}"
    assert {name: step["status"] for name, step in record["steps"].items()} == {
        "numbers": "succeeded",
        "write": "cancelled",
        "after": "not_run",
    }
    assert not ledger.storage.exists(f"{result.run_id}.lock")


class SparkWhoseJvmIsGone(CancellableSpark):
    """The signal went to the process group: the JVM died with it, and every call to it fails."""

    def statusTracker(self):
        if not tc.SIGNALS["write_started"].is_set():
            return self
        tc.SIGNALS["jobs_cancelled"].set()  # the write's job died with the JVM
        raise tc.UnreadableJavaError("An error occurred while calling o12.statusTracker")


def test_a_signal_that_killed_the_jvm_too_still_ends_the_run_as_cancelled(write_conf, tmp_path):
    spark, hook = SparkWhoseJvmIsGone(), Calls()
    sender = _signal_when_the_write_starts(signal.SIGTERM)
    # The source's output is persisted for its two consumers, and unpersisting it fails too.
    text = PIPELINE.replace("values = [1, 2] }", "values = [1, 2], cached_in_a_gone_jvm = true }")
    result = run_pipeline(
        validate(load_pipeline_file(write_conf(text))),
        spark=spark,
        extra_plugins=[hook],
        ledger=RunLedger(tmp_path / "runs"),
        handle_signals=True,
    )
    sender.join()
    assert result.cancelled and int(result.exit_code) == 143
    assert {s.name: s.status for s in result.steps}["write"] is StepStatus.CANCELLED
    assert tc.ATTEMPTS["write"] == 1 and "write" not in tc.WRITTEN
    assert tc.ATTEMPTS["unpersist"] == 1  # tried once, at the end of the run


def test_a_signal_once_every_step_completed_cancels_nothing(write_conf, tmp_path):
    class SignalAfterTheLastStep(Hook):
        def after_step(self, step_name):
            if step_name == "after":
                os.kill(os.getpid(), signal.SIGTERM)

    # A write that completes at once.
    text = PIPELINE.replace(
        f'type = "{T}.SlowWrite"', f'type = "{T}.SlowWrite", config {{ cancel = "never", timeout = 0 }}'
    )
    result = run_pipeline(
        validate(load_pipeline_file(write_conf(text))),
        spark=CancellableSpark(),
        extra_plugins=[SignalAfterTheLastStep()],
        handle_signals=True,
    )
    assert result.succeeded and not result.cancelled and result.exit_code == 0


def test_setting_the_stop_event_cancels_the_run_as_sigterm_does(write_conf, tmp_path):
    """What a scheduler's kill callback does (PpfRunOperator.on_kill): no signal handler of ppf's involved."""
    spark, ledger, stop = CancellableSpark(), RunLedger(tmp_path / "runs"), threading.Event()
    handlers = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    setter = threading.Thread(target=lambda: tc.SIGNALS["write_started"].wait(10) and stop.set(), daemon=True)
    setter.start()
    result = run_pipeline(validate(load_pipeline_file(write_conf(PIPELINE))), spark=spark, ledger=ledger, stop=stop)
    setter.join()

    assert result.cancelled and int(result.exit_code) == 143
    assert {s.name: s.status for s in result.steps}["write"] is StepStatus.CANCELLED
    assert tc.ATTEMPTS["write"] == 1 and "write" not in tc.WRITTEN
    assert spark.cancelled_groups == [f"ppf-{result.run_id}"]
    record = ledger.load(result.run_id)
    assert (record["status"], record["reason"]) == ("cancelled", "cancelled by a stop request")
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == handlers  # never touched


class SchedulerTimeout(Exception):
    """What Airflow's ``execution_timeout`` raises in the task's main thread (from a SIGALRM handler)."""


@pytest.mark.parametrize(("error", "code"), [(SchedulerTimeout, 143), (KeyboardInterrupt, 130)])
def test_an_exception_raised_into_the_run_cancels_it_in_order_then_propagates(write_conf, tmp_path, error, code):
    spark, hook, ledger = CancellableSpark(), Calls(), RunLedger(tmp_path / "runs")

    def raise_into_the_run(_signum, _frame):
        raise error()

    previous = signal.signal(signal.SIGALRM, raise_into_the_run)
    sender = _signal_when_the_write_starts(signal.SIGALRM)
    try:
        with pytest.raises(error):
            run_pipeline(
                validate(load_pipeline_file(write_conf(PIPELINE))), spark=spark, extra_plugins=[hook], ledger=ledger
            )
    finally:
        signal.signal(signal.SIGALRM, previous)
    sender.join()

    # The write's jobs were cancelled (it did not run on to its end), nothing ran after it.
    assert tc.SIGNALS["jobs_cancelled"].is_set() and "write" not in tc.WRITTEN and tc.ATTEMPTS["write"] == 1
    assert hook.end is not None and hook.end.cancelled and int(hook.end.exit_code) == code
    record = ledger.load("last")
    assert (record["status"], record["exit_code"]) == ("cancelled", code)
    assert record["reason"] == f"cancelled by {error.__name__}"
    assert {name: step["status"] for name, step in record["steps"].items()} == {
        "numbers": "succeeded",
        "write": "cancelled",
        "after": "not_run",
    }
    assert not ledger.storage.exists(f"{record['run_id']}.lock")  # a retry may resume it


def test_a_second_signal_ends_the_process_at_once():
    script = textwrap.dedent(
        """
        import os, signal, time
        from pyspark_pipeline_framework.runtime.run.signals import StopSignals
        signals = StopSignals()
        signals.install()
        os.kill(os.getpid(), signal.SIGINT)
        assert signals.requested.is_set() and signals.signal_name == "SIGINT"
        print("first noted", flush=True)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
        print("still alive")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout == "first noted\n"
    assert done.returncode == -signal.SIGINT  # ended by the first signal, as without a handler


def test_a_second_signal_while_the_run_is_stopping_is_left_to_the_run():
    signals = StopSignals()
    signals.request(signal.SIGTERM)
    signals.stopping = True
    signals.request(signal.SIGTERM)
    assert signals.cancel  # noted for the run; the process was not ended (or this test would not go on)
    assert signals.signal_number == signal.SIGTERM


def test_a_stop_request_gives_up_retrying_and_ends_a_wait_between_attempts():
    stop = threading.Event()
    attempts = []

    def failing():
        attempts.append(time.monotonic())
        if len(attempts) == 1:
            threading.Timer(0.2, stop.set).start()  # the request comes during the 30 s wait
        raise ConnectionError("down")

    started = time.monotonic()
    with pytest.raises(ConnectionError):
        call_with_retries(failing, RetryPolicy(max_attempts=5, initial_delay=30, backoff="fixed"), stop=stop)
    assert len(attempts) == 1
    assert time.monotonic() - started < 5

    attempts.clear()
    with pytest.raises(ConnectionError):  # already requested: a failed attempt is not retried
        call_with_retries(failing, RetryPolicy(max_attempts=5, initial_delay=0), stop=stop)
    assert len(attempts) == 1


def test_without_a_stop_request_the_wait_is_slept_and_the_retry_made():
    attempts = []

    def flaky():
        attempts.append(time.monotonic())
        if len(attempts) < 2:
            raise ConnectionError("down")
        return "ok"

    policy = RetryPolicy(max_attempts=3, initial_delay=0.3, backoff="fixed")
    assert call_with_retries(flaky, policy, stop=threading.Event()) == "ok"
    assert attempts[1] - attempts[0] >= 0.3


def test_exit_codes_and_statuses_of_a_cancelled_run():
    steps = [StepResult("a", StepStatus.SUCCEEDED), StepResult("b", StepStatus.CANCELLED)]
    assert RunResult("r", "p", steps, cancelled_by=signal.SIGTERM).exit_code is ExitCode.TERMINATED
    assert RunResult("r", "p", steps, cancelled_by=signal.SIGINT).exit_code is ExitCode.INTERRUPTED
    # A cancelled step is no tolerated failure: never a partial success.
    assert not RunResult("r", "p", steps).partial
    assert RunResult("r", "p", steps, cancelled_by=signal.SIGINT).to_dict()["cancelled"] is True


# -- a run whose process died ------------------------------------------------------------------
LEDGER_PIPELINE = {
    "name": "orders",
    "steps": [
        {"name": "read", "type": "ParquetSource", "config": {"path": "/in"}},
        {"name": "load", "type": "ParquetSink", "config": {"path": "/out"}},
    ],
}


def _live_run_in_another_process(ledger_dir) -> subprocess.Popen:
    script = textwrap.dedent(
        f"""
        import time
        from datetime import UTC, datetime
        from pyspark_pipeline_framework.runner.config.preflight import validate_raw
        from pyspark_pipeline_framework.runtime.resilience.ledger import RunLedger, RunRecorder
        RunRecorder(RunLedger({str(ledger_dir)!r}), validate_raw({LEDGER_PIPELINE!r}), "run-1", datetime.now(UTC))
        print("recorded", flush=True)
        time.sleep(120)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "recorded\n"
    return process


def _listed_status(ledger_dir, run_id: str) -> str:
    """The STATUS column of ``run_id``'s line in ``ppf runs list``."""
    listed = CliRunner().invoke(app, ["runs", "list", "--ledger-dir", str(ledger_dir)])
    header, *lines = listed.stdout.splitlines()
    line = next(line for line in lines if line.startswith(f"{run_id} "))
    return line[header.index("STATUS") :].split()[0]


def test_a_killed_run_reads_as_died_and_a_live_one_as_running(tmp_path):
    ledger_dir = tmp_path / "runs"
    process = _live_run_in_another_process(ledger_dir)
    try:
        record = RunLedger(ledger_dir).load("run-1")
        assert record["status"] == "running" and record["pid"] == process.pid
        assert _listed_status(ledger_dir, "run-1") == "running"
    finally:
        process.kill()
        process.wait()
    record = RunLedger(ledger_dir).load("run-1")
    assert record["status"] == "died"
    assert f"pid {process.pid}" in record["reason"] and "SIGKILL" in record["reason"]
    assert _listed_status(ledger_dir, "run-1") == "died"
    shown = CliRunner().invoke(app, ["runs", "show", "run-1", "--ledger-dir", str(ledger_dir)])
    assert "died" in shown.stdout and "ended without finishing the run" in shown.stdout


def test_a_live_run_cannot_be_resumed(tmp_path):
    ledger_dir = tmp_path / "runs"
    process = _live_run_in_another_process(ledger_dir)
    try:
        with pytest.raises(ResumeRefused, match="run run-1 is still running") as refused:
            run_pipeline(validate_raw(LEDGER_PIPELINE), spark=object(), ledger=RunLedger(ledger_dir), resume="run-1")
        assert f"pid {process.pid}" in str(refused.value)
    finally:
        process.kill()
        process.wait()


def test_a_run_that_ended_in_this_process_without_finishing_reads_as_died(tmp_path):
    ledger = RunLedger(tmp_path / "runs")
    recorder = RunRecorder(ledger, validate_raw(LEDGER_PIPELINE), "run-3", datetime.now(UTC))
    assert ledger.load("run-3")["status"] == "running"
    recorder.close()
    assert ledger.load("run-3")["status"] == "died"
    assert [r["status"] for r in ledger.runs()] == ["died"]


def test_a_finished_run_gives_its_lock_up(tmp_path):
    ledger = RunLedger(tmp_path / "runs")
    recorder = RunRecorder(ledger, validate_raw(LEDGER_PIPELINE), "run-4", datetime.now(UTC))
    steps = [StepResult("read", StepStatus.SUCCEEDED), StepResult("load", StepStatus.SUCCEEDED)]
    recorder.finished(RunResult("run-4", "orders", steps))
    assert ledger.load("run-4")["status"] == "succeeded"
    assert not ledger.storage.exists("run-4.lock")


def test_a_run_lock_is_exclusive(tmp_path):
    first = RunLock(tmp_path / "x.lock")
    first.acquire()
    with pytest.raises(BlockingIOError):
        RunLock(tmp_path / "x.lock").acquire()
    first.release()
    RunLock(tmp_path / "x.lock").acquire()
