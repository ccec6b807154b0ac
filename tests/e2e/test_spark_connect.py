"""The example pipelines over Spark Connect, run with `ppf run` as a user would: same results as local mode.

The pipeline files are not changed: ``--override spark.remote=sc://...`` (or ``SPARK_REMOTE``) is
all it takes.  Their ``master`` is then unused, and the properties a Connect session cannot change
(``spark.ui.enabled``: the server's) are reported in the log, not silently dropped.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from .conftest import REPO, ppf

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
