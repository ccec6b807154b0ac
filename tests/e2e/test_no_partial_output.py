"""A `ppf run` killed with SIGKILL in the middle of a sink write leaves the previous data intact."""

from __future__ import annotations

import os
import signal
import subprocess
import textwrap
import time

import pytest

from .conftest import BIN, descendants, running

pytestmark = pytest.mark.e2e


def test_sigkill_during_an_overwrite_keeps_exactly_the_previous_data(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = tmp_path / "target"
    target.mkdir()
    previous = pa.table({"id": [100, 101, 102], "slept": ["old", "old", "old"]})
    pq.write_table(previous, target / "part-previous.parquet")
    (tmp_path / "in.csv").write_text("id\n" + "\n".join(str(i) for i in range(400)) + "\n", encoding="utf-8")
    # Each row sleeps 50 ms inside the JVM (reflect calls Thread.sleep): the write lasts ~10 s.
    (tmp_path / "slow.conf").write_text(
        textwrap.dedent(f"""
        pipeline {{
          name = "slow-write"
          spark {{ master = "local[2]", conf {{ "spark.ui.enabled" = "false" }} }}
          steps = [
            {{ name = "src", type = CsvSource, config {{ path = "{tmp_path}/in.csv", options {{ header = "true" }}, schema = "id INT" }} }}
            {{ name = "slow", type = SqlTransform,
               config {{ query = "SELECT id, CAST(reflect('java.lang.Thread', 'sleep', CAST(50 AS BIGINT)) AS STRING) AS slept FROM src" }} }}
            {{ name = "out", type = ParquetSink, config {{ path = "{target}", mode = overwrite }} }}
          ]
        }}
    """),
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [str(BIN / "ppf"), "run", "--config", str(tmp_path / "slow.conf"), "--log-format", "json"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )  # its own process group: the JVM dies with it
    try:
        # Wait until Spark's tasks are writing into the staging directory, then kill for real.
        writing = None
        deadline = time.monotonic() + 300
        while writing is None and process.poll() is None and time.monotonic() < deadline:
            writing = next((p for p in tmp_path.glob(".target.ppf-staging-*/_temporary/*/*") if p.exists()), None)
            time.sleep(0.05)
        assert writing is not None, (
            f"the write never started; ppf said:\n{process.stdout.read() if process.poll() is not None else ''}"
        )
        jvms = descendants(process.pid)  # Spark's driver JVM, in a process group of its own
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        # It never outlives ppf: it exits when its stdin pipe from ppf closes.
        deadline = time.monotonic() + 60
        while any(running(pid) for pid in jvms) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert jvms and not any(running(pid) for pid in jvms), jvms
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert sorted(p.name for p in target.iterdir()) == ["part-previous.parquet"]
    assert pq.read_table(target).to_pylist() == previous.to_pylist()
