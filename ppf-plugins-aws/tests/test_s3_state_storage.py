"""Run state on S3 (a moto server): atomic writes, compare-and-set updates, run locks that refuse a
second holder and read as free once their holder died, the run ledger and breaker state files."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime

import pytest

from ppf_aws.state_storage import S3StateStorage
from ppf_aws.testing import TEST_ACCESS_KEY, TEST_REGION, TEST_SECRET_KEY
from pyspark_pipeline_framework.core.errors import EnvironmentProblem
from pyspark_pipeline_framework.core.spec import CircuitBreakerSettings
from pyspark_pipeline_framework.runner.config.preflight import validate_raw
from pyspark_pipeline_framework.runtime.resilience.circuit_breaker import (
    OPEN,
    BreakerStateFile,
    CircuitBreaker,
    CircuitOpenError,
)
from pyspark_pipeline_framework.runtime.resilience.ledger import ResumeRefused, RunLedger, RunRecorder
from pyspark_pipeline_framework.runtime.resilience.local_storage import open_state_storage

pytestmark = pytest.mark.services

LEDGER_PIPELINE = {
    "name": "orders",
    "steps": [
        {"name": "read", "type": "ParquetSource", "config": {"path": "/in"}},
        {"name": "load", "type": "ParquetSink", "config": {"path": "/out"}},
    ],
}


@pytest.fixture
def aws_env(monkeypatch, s3_server):
    """The standard AWS settings pointing at the moto server, as a user of an S3-compatible store sets them."""
    for name, value in {
        "AWS_ENDPOINT_URL": s3_server.endpoint,
        "AWS_ACCESS_KEY_ID": TEST_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": TEST_SECRET_KEY,
        "AWS_REGION": TEST_REGION,
    }.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def storage(aws_env, bucket):
    return S3StateStorage(f"s3a://{bucket}/ppf/state")


def test_urls_open_the_s3_storage_through_the_entry_point(aws_env, bucket):
    for scheme in ("s3", "s3a", "s3n"):
        opened = open_state_storage(f"{scheme}://{bucket}/runs")
        assert isinstance(opened, S3StateStorage) and opened.bucket == bucket and opened.prefix == "runs"


def test_files_are_written_read_listed_and_removed(storage, s3_server, bucket):
    assert storage.read_text("a.json") is None and not storage.exists("")
    storage.write_text("a.json", '{"n": 1}')
    storage.write_text("b.json", '{"n": 2}')
    storage.write_text("a.lock", "x")
    storage.write_text("r1/outputs/step/part-0", "rows")
    storage.write_text("r1/outputs/step/_SUCCESS", "")
    assert storage.read_text("a.json") == '{"n": 1}'
    assert storage.names(".json") == ["a.json", "b.json"]  # not the lock, not what lies deeper
    assert storage.exists("r1/outputs") and storage.exists("a.json") and not storage.exists("r2/outputs")
    assert storage.location("r1/outputs/step") == f"s3a://{bucket}/ppf/state/r1/outputs/step"
    assert storage.remove_tree("r1/outputs") and not storage.remove_tree("r1/outputs")
    assert s3_server.keys(bucket) == ["ppf/state/a.json", "ppf/state/a.lock", "ppf/state/b.json"]


def test_a_rewrite_replaces_the_whole_file_for_every_reader(storage):
    storage.write_text("record.json", json.dumps({"steps": list(range(2000))}))
    seen = []
    stop = threading.Event()

    def read():
        while not stop.is_set():
            seen.append(json.loads(storage.read_text("record.json")))  # a torn file would not parse

    reader = threading.Thread(target=read)
    reader.start()
    for size in range(3000, 3010):
        storage.write_text("record.json", json.dumps({"steps": list(range(size))}))
    stop.set()
    reader.join()
    assert seen and all(len(r["steps"]) in (2000, *range(3000, 3010)) for r in seen)


def test_concurrent_updates_lose_nothing(aws_env, bucket):
    """Conditional writes: four writers with their own clients, each adding 10; every addition counts."""

    def add_ten():
        mine = S3StateStorage(f"s3://{bucket}/state")  # a client of its own, as another process has
        for _ in range(10):
            mine.update("counter.json", lambda text: json.dumps({"n": (json.loads(text)["n"] if text else 0) + 1}))

    writers = [threading.Thread(target=add_ten) for _ in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert json.loads(S3StateStorage(f"s3://{bucket}/state").read_text("counter.json")) == {"n": 40}


def test_a_run_lock_refuses_a_second_holder_until_released(storage, bucket):
    first = storage.run_lock("run-1.lock")
    first.acquire()
    try:
        assert storage.lock_held("run-1.lock")
        other = S3StateStorage(f"s3a://{bucket}/ppf/state")  # another process's view
        with pytest.raises(BlockingIOError):
            other.run_lock("run-1.lock").acquire()
    finally:
        first.release()
    assert not storage.lock_held("run-1.lock") and not storage.exists("run-1.lock")
    second = storage.run_lock("run-1.lock")
    second.acquire()
    second.release()


def test_a_held_lock_is_renewed_past_its_lease(aws_env, bucket):
    storage = S3StateStorage(f"s3a://{bucket}/ppf", lease_s=1.5)
    lock = storage.run_lock("run.lock")
    lock.acquire()
    try:
        time.sleep(3.5)  # more than two leases: only renewals keep it
        assert storage.lock_held("run.lock")
        with pytest.raises(BlockingIOError):
            storage.run_lock("run.lock").acquire()
    finally:
        lock.release()


def _holder_in_another_process(root: str) -> subprocess.Popen:
    """A process that records a run on the S3 ledger (lease 2 s) and then lives until it is killed
    (it reaches the store through the AWS settings ``aws_env`` put in the environment)."""
    script = textwrap.dedent(
        f"""
        import time
        from datetime import UTC, datetime
        from ppf_aws.state_storage import S3StateStorage
        from pyspark_pipeline_framework.runner.config.preflight import validate_raw
        from pyspark_pipeline_framework.runtime.resilience.ledger import RunLedger, RunRecorder
        ledger = RunLedger(S3StateStorage({root!r}, lease_s=2.0))
        RunRecorder(ledger, validate_raw({LEDGER_PIPELINE!r}), "run-1", datetime.now(UTC))
        print("recorded", flush=True)
        time.sleep(120)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "recorded\n"
    return process


def test_a_live_run_on_s3_reads_as_running_and_a_killed_one_as_died_once_its_lease_ran_out(aws_env, bucket):
    root = f"s3a://{bucket}/ppf/runs"
    process = _holder_in_another_process(root)
    ledger = RunLedger(root)
    try:
        time.sleep(2.5)  # past the first lease: the holder's renewals keep it alive
        record = ledger.load("run-1")
        assert record["status"] == "running" and record["pid"] == process.pid
        with pytest.raises(BlockingIOError):  # the same run id cannot be taken twice
            RunRecorder(ledger, validate_raw(LEDGER_PIPELINE), "run-1", datetime.now(UTC))
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert ledger.load("run-1")["status"] == "running"  # until the lease runs out
    time.sleep(2.5)
    died = ledger.load("run-1")
    assert died["status"] == "died" and "killed" in died["reason"]
    # The stale lock is taken over by the next holder.
    lock = ledger.run_lock("run-1")
    lock.acquire()
    lock.release()


def test_the_ledger_on_s3_records_a_run_and_finds_it(aws_env, bucket, s3_server):
    from pyspark_pipeline_framework.core.results import RunResult, StepResult, StepStatus

    ledger = RunLedger(f"s3a://{bucket}/runs")
    with pytest.raises(ResumeRefused, match=f"no runs recorded in s3a://{bucket}/runs"):
        ledger.load("last")
    recorder = RunRecorder(ledger, validate_raw(LEDGER_PIPELINE), "run-7", datetime.now(UTC))
    assert ledger.alive("run-7") and ledger.load("last")["status"] == "running"
    ledger.storage.write_text("run-7/outputs/read/part-0", "rows")  # a checkpoint Spark wrote
    steps = [StepResult("read", StepStatus.SUCCEEDED), StepResult("load", StepStatus.SUCCEEDED)]
    recorder.finished(RunResult("run-7", "orders", steps))
    record = ledger.load("run-7")
    assert record["status"] == "succeeded" and not ledger.alive("run-7")
    assert record["checkpoints_removed"] == [f"s3a://{bucket}/runs/run-7/outputs"]
    assert s3_server.keys(bucket) == ["runs/run-7.json"]  # no lock, no checkpoint left


def test_a_breaker_state_file_on_s3_is_shared_between_processes(aws_env, bucket, s3_server):
    settings = CircuitBreakerSettings(failure_threshold=2, state_file=f"s3a://{bucket}/state/breakers.json")
    here = CircuitBreaker("api", settings, store=BreakerStateFile(settings.state_file))
    elsewhere = CircuitBreaker("api", settings, store=BreakerStateFile(settings.state_file))  # another process
    here.record_failure()
    elsewhere.record_failure()  # the second failure, counted by another process, opens it for both
    assert elsewhere.state == OPEN
    with pytest.raises(CircuitOpenError):
        here.before_call()  # reads the shared state first
    assert here.state == OPEN
    stored = json.loads(s3_server.client().get_object(Bucket=bucket, Key="state/breakers.json")["Body"].read())
    assert stored["api"]["failures"] == 2 and stored["api"]["opened_at"] is not None


def test_an_unreachable_store_is_a_clear_error(monkeypatch, aws_env):
    from ppf_aws.testing import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(EnvironmentProblem, match=r"cannot reach run state at s3a://nowhere/runs/r\.json") as caught:
        S3StateStorage("s3a://nowhere/runs").write_text("r.json", "{}")
    assert TEST_SECRET_KEY not in str(caught.value) + caught.value.hint
