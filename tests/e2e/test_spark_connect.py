"""The example pipelines over Spark Connect, run with `ppf run` as a user would: same results as local mode.

The pipeline files are not changed: ``--override spark.remote=sc://...`` (or ``SPARK_REMOTE``) is
all it takes.  Their ``master`` is then unused, and the properties a Connect session cannot change
(``spark.ui.enabled``: the server's) are reported in the log, not silently dropped.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import textwrap
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from .conftest import BIN, REPO, log_events, ppf

pytestmark = [pytest.mark.e2e, pytest.mark.spark, pytest.mark.connect]


def _rows(directory: Path, key: str) -> list[dict]:
    """Every row of a Parquet directory (partition columns included), sorted by ``key``."""
    table = pq.read_table(directory)
    rows = [
        {name: (str(value) if value is not None else None) for name, value in row.items()} for row in table.to_pylist()
    ]
    return sorted(rows, key=lambda row: row[key])


def _copy(example: str, target: Path) -> Path:
    shutil.copytree(REPO / "examples" / example, target, ignore=shutil.ignore_patterns("out", "__pycache__"))
    return target


@pytest.fixture(scope="module")
def local_user_etl(tmp_path_factory):
    """examples/user_etl run in local mode: the reference results."""
    project = _copy("user_etl", tmp_path_factory.mktemp("local") / "user_etl")
    done = ppf("run", "--config", "pipelines/user_etl.conf", cwd=project)
    assert done.returncode == 0, done.stderr[-3000:]
    return project


def _with_absolute_paths(project: Path) -> Path:
    """The example with its data paths made absolute: over Connect a relative path is the server's
    (its working directory), as ``docs/connect.md`` says; nothing else of the file changes."""
    config = project / "pipelines" / "user_etl.conf"
    text = config.read_text()
    for relative in ("data/users.csv", "out/users"):
        assert f'path = "{relative}"' in text
        text = text.replace(f'path = "{relative}"', f'path = "{project / relative}"')
    config.write_text(text)
    return project


def test_user_etl_over_connect_equals_local_mode(connect_server, local_user_etl, tmp_path):
    project = _with_absolute_paths(_copy("user_etl", tmp_path / "user_etl"))
    done = ppf(
        "run",
        "--config",
        "pipelines/user_etl.conf",
        "--override",
        f"spark.remote={connect_server.url}",
        "--log-format",
        "json",
        cwd=project,
    )
    assert done.returncode == 0, done.stderr[-4000:] + "\n--- server ---\n" + connect_server.log_tail()
    assert _rows(project / "out" / "users", "user_id") == _rows(local_user_etl / "out" / "users", "user_id")
    events = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    refused = [e for e in events if e.get("event") == "spark_settings_not_applied"]
    assert refused and "spark.ui.enabled" in refused[0]["settings"], events
    # The run's own figures: rows from observations, bytes written unavailable on Connect.
    ended = next(e for e in events if e.get("event") == "step_summary" and e.get("step") == "load-warehouse")
    assert ended["rows_written"] == 200
    assert ended["bytes_written"] is None
    audit = [json.loads(line) for line in (project / "out" / "audit.jsonl").read_text().splitlines()]
    assert audit, "the audit log hook ran over Connect"


def test_spark_remote_from_the_environment(connect_server, local_user_etl, tmp_path):
    project = _with_absolute_paths(_copy("user_etl", tmp_path / "user_etl"))
    done = ppf("run", "--config", "pipelines/user_etl.conf", cwd=project, env={"SPARK_REMOTE": connect_server.url})
    assert done.returncode == 0, done.stderr[-4000:] + "\n--- server ---\n" + connect_server.log_tail()
    assert _rows(project / "out" / "users", "user_id") == _rows(local_user_etl / "out" / "users", "user_id")
    # No local Spark driver ran: its work directory (spark-warehouse, metastore) is not created here.
    assert not (project / "spark-warehouse").exists()


def test_sigterm_interrupts_the_runs_operations_on_the_connect_server(connect_server, tmp_path):
    """The run's operations carry its tag: a SIGTERM interrupts them on the server, the run ends as cancelled."""
    (tmp_path / "in.csv").write_text("id\n" + "\n".join(str(i) for i in range(60)) + "\n", encoding="utf-8")
    (tmp_path / "pipeline.conf").write_text(
        textwrap.dedent(f"""
        pipeline {{
          name = "slow-over-connect"
          spark {{ conf {{ "spark.sql.shuffle.partitions" = "1" }} }}
          steps = [
            {{ name = "src", type = CsvSource, config {{ path = "{tmp_path / "in.csv"}", options {{ header = "true" }}, schema = "id INT" }} }}
            {{ name = "slow", type = SqlTransform, config {{ query =
                "SELECT id, CAST(reflect('java.lang.Thread', 'sleep', CAST(1000 AS BIGINT)) AS STRING) AS slept FROM src" }} }}
            {{ name = "out", type = JsonSink, config {{ path = "{tmp_path / "out"}" }} }}
          ]
        }}
        """),
        encoding="utf-8",
    )
    log = tmp_path / "stderr.log"
    process = subprocess.Popen(
        [str(BIN / "ppf"), "run", "--config", "pipeline.conf", "--log-format", "json"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        env={**os.environ, "SPARK_REMOTE": connect_server.url},
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not any(e.get("event") == "step_started" and e.get("step") == "out" for e in log_events(log)):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        time.sleep(3)  # the write is running on the server (60 rows, 1 s each)
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=45)
    finally:
        if process.poll() is None:
            process.kill()
    assert code == 128 + signal.SIGTERM, log.read_text()[-3000:]
    assert time.monotonic() - signalled < 30  # interrupted, not waited out (the write alone lasts 60 s)
    events = log_events(log)
    assert any(e.get("event") == "step_cancelled" and e.get("step") == "out" for e in events), events[-5:]
    assert not any(e.get("event") == "spark_jobs_not_cancelled" for e in events)


def test_a_streaming_pipeline_over_connect_is_refused_before_any_session(tmp_path):
    """Its micro-batches run the steps in this process (foreachBatch), which a Connect server cannot call back."""
    (tmp_path / "incoming").mkdir()
    (tmp_path / "pipeline.conf").write_text(
        textwrap.dedent("""
        pipeline {
          name = "stream"
          streaming { trigger = "available_now", checkpoint_location = "out/checkpoints" }
          steps = [
            { name = "in", type = JsonStreamSource, config { path = "incoming", schema = "id BIGINT" } }
            { name = "out", type = JsonSink, config { path = "out/data" } }
          ]
        }
        """),
        encoding="utf-8",
    )
    # No server listens there: the run must end before trying to reach it.
    done = ppf("run", "--config", "pipeline.conf", "--override", "spark.remote=sc://127.0.0.1:9", cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-3000:]
    assert "streaming pipeline cannot run over Spark Connect" in done.stderr
    assert not (tmp_path / "out").exists()


def test_an_unreachable_connect_server_ends_the_run_at_once_with_exit_code_2(tmp_path):
    project = _copy("user_etl", tmp_path / "user_etl")
    started = time.monotonic()
    done = ppf("run", "--config", "pipelines/user_etl.conf", "--override", "spark.remote=sc://127.0.0.1:9", cwd=project)
    assert done.returncode == 2, done.stderr[-3000:]
    assert "Spark Connect server at 127.0.0.1:9 cannot be reached" in done.stderr
    assert time.monotonic() - started < 60  # PySpark's own client would retry for minutes
    assert not (project / "out" / "users").exists()
