"""Run state on shared storage, end to end: the run ledger and the step checkpoints live on S3 (a
moto server), a run fails, and `ppf run --resume last` re-runs only what failed.

The store is reached as a user reaches MinIO or LocalStack: the standard AWS settings
(AWS_ENDPOINT_URL, keys, region) in the environment, read by boto3 for the ledger and by S3A for
the checkpoints Spark writes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime

import pytest

from ppf_aws.testing import TEST_ACCESS_KEY, TEST_REGION, TEST_SECRET_KEY, moto_s3_server

from .conftest import ppf, runs_table_row

pytestmark = [pytest.mark.e2e, pytest.mark.services]

BROKEN = '["id", "doubled", "no_such_column"]'
FIXED = '["id", "doubled", "doubled + 1 AS plus"]'


@pytest.fixture(scope="module")
def s3():
    with moto_s3_server() as server:
        yield server


@pytest.fixture
def project(tmp_path, s3, request):
    """A pipeline, its input, a fresh ledger bucket, and the environment that reaches it."""
    bucket = f"ppf-state-{len(s3.client().list_buckets()['Buckets'])}"
    s3.create_bucket(bucket)
    (tmp_path / "in.csv").write_text("id\n" + "".join(f"{i}\n" for i in range(30)), encoding="utf-8")
    env = {
        "AWS_ENDPOINT_URL": s3.endpoint,
        "AWS_ACCESS_KEY_ID": TEST_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": TEST_SECRET_KEY,
        "AWS_REGION": TEST_REGION,
        "PPF_LEDGER_DIR": f"s3a://{bucket}/ppf/runs",
    }
    return tmp_path, bucket, env


def write_pipeline(directory, columns):
    path = directory / "pipeline.conf"
    path.write_text(
        textwrap.dedent(f"""
        pipeline {{
          name = "orders-on-s3"
          checkpoint = true
          steps = [
            {{ name = extract, type = CsvSource, config {{ path = "{directory / "in.csv"}", options {{ header = "true", inferSchema = "true" }} }} }}
            {{ name = double, type = SqlTransform, config {{ query = "SELECT id, id * 2 AS doubled FROM extract" }} }}
            {{ name = pick, type = SelectColumns, config {{ columns = {columns} }} }}
            {{ name = load, type = ParquetSink, config {{ path = "{directory / "out"}", mode = overwrite }} }}
          ]
        }}
        """),
        encoding="utf-8",
    )
    return path


def record(s3, bucket, run_id):
    body = s3.client().get_object(Bucket=bucket, Key=f"ppf/runs/{run_id}.json")["Body"].read()
    return json.loads(body)


def run_ids(s3, bucket):
    return [k.rsplit("/", 1)[1][: -len(".json")] for k in s3.keys(bucket, "ppf/runs/") if k.endswith(".json")]


def test_a_failed_run_resumes_from_checkpoints_on_s3(s3, project):
    directory, bucket, env = project
    pipeline = write_pipeline(directory, BROKEN)
    first = ppf("run", pipeline, "--log-format", "json", cwd=directory, env=env)
    assert first.returncode == 1, first.stderr[-3000:]
    [first_id] = run_ids(s3, bucket)
    failed = record(s3, bucket, first_id)
    assert failed["status"] == "failed" and failed["steps"]["pick"]["status"] == "failed"
    checkpoint = failed["steps"]["double"]["checkpoint"]
    assert checkpoint == f"s3a://{bucket}/ppf/runs/{first_id}/outputs/double"
    assert any(k.endswith(".parquet") for k in s3.keys(bucket, f"ppf/runs/{first_id}/outputs/double/"))
    assert not (directory / "out").exists()

    # The fix, and the input gone: the resumed run must not read the source again.
    write_pipeline(directory, FIXED)
    (directory / "in.csv").unlink()
    listed = ppf("runs", "list", cwd=directory, env=env)
    assert listed.returncode == 0 and first_id in listed.stdout and "failed" in listed.stdout, listed.stderr

    resumed = ppf("run", pipeline, "--resume", "last", "--log-format", "json", cwd=directory, env=env)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    [resumed_id] = [r for r in run_ids(s3, bucket) if r != first_id]
    done = record(s3, bucket, resumed_id)
    assert done["status"] == "succeeded" and done["resumed_from"] == first_id
    assert {name: step.get("reused_from") for name, step in done["steps"].items()} == {
        "extract": first_id,
        "double": first_id,
        "pick": None,
        "load": None,
    }
    # Nothing is left to resume: the checkpoints on S3 are gone, the records stay.
    assert s3.keys(bucket) == sorted(f"ppf/runs/{r}.json" for r in (first_id, resumed_id))

    import pyarrow.parquet as pq

    rows = sorted(pq.read_table(directory / "out").to_pylist(), key=lambda r: r["id"])
    assert rows == [{"id": i, "doubled": 2 * i, "plus": 2 * i + 1} for i in range(30)]


def running_record(run_id: str) -> dict:
    """A ledger record of a run that is running (as its process writes it first) on another host."""
    return {
        "run_id": run_id,
        "pipeline": "orders-on-s3",
        "status": "running",
        "pid": 4242,
        "host": "worker-7",
        "started_at": datetime.now(UTC).isoformat(),
        "steps": {},
    }


def test_a_run_still_alive_on_the_s3_ledger_is_not_resumed_by_a_second_run(s3, project):
    """Another host's live run holds its lease on S3: a second `ppf run --resume` of it is refused."""
    from ppf_aws.state_storage import S3StateStorage

    directory, _, env = project
    pipeline = write_pipeline(directory, FIXED)
    storage = S3StateStorage(env["PPF_LEDGER_DIR"], client=s3.client())
    lock = storage.run_lock("run-elsewhere.lock")
    lock.acquire()  # as the other host's run does before its first write
    try:
        storage.write_text("run-elsewhere.json", json.dumps(running_record("run-elsewhere")))
        refused = ppf("run", pipeline, "--resume", "run-elsewhere", cwd=directory, env=env)
    finally:
        lock.release()
    assert refused.returncode == 2, refused.stderr
    assert "run run-elsewhere is still running (pid 4242 on worker-7)" in refused.stderr


def test_a_ledger_url_no_plugin_serves_is_refused_before_spark_starts(tmp_path, project):
    directory, _, env = project
    pipeline = write_pipeline(directory, FIXED)
    done = ppf("run", pipeline, "--ledger-dir", "gs://bucket/runs", cwd=directory, env=env)
    assert done.returncode == 2
    assert "--ledger-dir: run state cannot be kept at 'gs://bucket/runs'" in done.stderr
    assert "no ppf plugin is known to serve gs://" in done.stderr and "SparkSession" not in done.stderr


def test_a_run_whose_process_was_killed_reads_as_died_on_the_s3_ledger(s3, project):
    """Its lease is not renewed any more: once it ran out, `ppf runs list` shows the run as died."""
    directory, _, env = project
    script = textwrap.dedent(
        f"""
        import json, time
        from ppf_aws.state_storage import S3StateStorage
        storage = S3StateStorage({env["PPF_LEDGER_DIR"]!r}, lease_s=2.0)
        storage.run_lock("run-killed.lock").acquire()
        storage.write_text("run-killed.json", json.dumps({running_record("run-killed")!r}))
        print("running", flush=True)
        time.sleep(120)
        """
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env={**os.environ, **env}
    )
    try:
        assert holder.stdout.readline() == "running\n"
        time.sleep(2.5)  # renewed past its first lease
        alive = ppf("runs", "list", cwd=directory, env=env)
        assert runs_table_row(alive.stdout, "run-killed")["STATUS"] == "running", alive.stdout + alive.stderr
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    time.sleep(2.5)
    dead = ppf("runs", "show", "run-killed", "--format", "json", cwd=directory, env=env)
    assert dead.returncode == 0, dead.stderr
    shown = json.loads(dead.stdout)
    assert shown["status"] == "died" and "pid 4242 on worker-7" in shown["reason"]
