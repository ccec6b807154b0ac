"""Run state on S3 (a moto server): atomic writes, compare-and-set updates, run locks that refuse a
second holder and read as free once their holder died, and circuit-breaker state files shared by runs.

The run ledger on S3 is tested end to end with the `ppf` command (tests/e2e/test_resume_on_s3.py)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from ppf_aws.state_storage import S3StateStorage
from ppf_aws.testing import TEST_ACCESS_KEY, TEST_REGION, TEST_SECRET_KEY
from pyspark_pipeline_framework.core import Sink, SinkConfig, Source, SourceConfig
from pyspark_pipeline_framework.core.errors import EnvironmentProblem
from pyspark_pipeline_framework.core.state_storage import plugin_storage
from pyspark_pipeline_framework.testing import InlineRegistry, run_without_spark, validate_pipeline

pytestmark = pytest.mark.services


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
        opened = plugin_storage(f"{scheme}://{bucket}/runs")
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
    """A process that takes a run lock (lease 2 s) and lives until it is killed (it reaches the store
    through the AWS settings ``aws_env`` put in the environment)."""
    script = textwrap.dedent(
        f"""
        import time
        from ppf_aws.state_storage import S3StateStorage
        S3StateStorage({root!r}, lease_s=2.0).run_lock("run-1.lock").acquire()
        print("held", flush=True)
        time.sleep(120)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "held\n"
    return process


def test_the_lock_of_a_killed_holder_reads_as_free_once_its_lease_ran_out_and_is_taken_over(aws_env, bucket):
    root = f"s3a://{bucket}/ppf/runs"
    storage = S3StateStorage(root)
    process = _holder_in_another_process(root)
    try:
        time.sleep(2.5)  # past the first lease: the holder's renewals keep it
        assert storage.lock_held("run-1.lock")
        with pytest.raises(BlockingIOError):
            storage.run_lock("run-1.lock").acquire()
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert storage.lock_held("run-1.lock")  # until the lease runs out
    time.sleep(2.5)
    assert not storage.lock_held("run-1.lock")
    taken = storage.run_lock("run-1.lock")
    taken.acquire()  # the stale lock is taken over
    try:
        assert storage.lock_held("run-1.lock")
        assert json.loads(storage.read_text("run-1.lock"))["expires_at"] > time.time() + 30
    finally:
        taken.release()


class Flaky(Source[SourceConfig]):
    """A source whose system is down: every call fails."""

    calls = 0

    def read(self):
        Flaky.calls += 1
        raise ConnectionError("the API is down")


class Discard(Sink[SinkConfig]):
    def write(self, df) -> None:
        return None


def test_a_breaker_state_file_on_s3_keeps_a_breaker_open_across_runs(aws_env, bucket, s3_server):
    """Each run has breakers of its own; the state file on S3 carries the failures from run to run."""
    pipeline = validate_pipeline(
        {
            "name": "calls-an-api",
            "steps": [
                {
                    "name": "fetch",
                    "type": "Flaky",
                    "circuit_breaker": {
                        "failure_threshold": 2,
                        "timeout": "1h",
                        "state_file": f"s3a://{bucket}/state/breakers.json",
                    },
                },
                {"name": "store", "type": "Discard"},
            ],
        },
        InlineRegistry({"Flaky": Flaky, "Discard": Discard}),
    )
    Flaky.calls = 0
    errors = [run_without_spark(pipeline).step("fetch").error for _ in range(3)]
    assert Flaky.calls == 2  # the third run was refused without calling the API
    assert "ConnectionError" in errors[0] and "ConnectionError" in errors[1]
    assert "CircuitOpenError" in errors[2] and "circuit breaker 'fetch' is open" in errors[2]
    stored = json.loads(s3_server.client().get_object(Bucket=bucket, Key="state/breakers.json")["Body"].read())
    assert stored["fetch"]["failures"] == 2 and stored["fetch"]["opened_at"] is not None


def test_an_unreachable_store_is_a_clear_error(monkeypatch, aws_env):
    from ppf_aws.testing import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(EnvironmentProblem, match=r"cannot reach run state at s3a://nowhere/runs/r\.json") as caught:
        S3StateStorage("s3a://nowhere/runs").write_text("r.json", "{}")
    assert TEST_SECRET_KEY not in str(caught.value) + caught.value.hint
