"""examples/delta_local over Spark Connect, run with `ppf run` as a user would.

The test suite's Connect server has Delta (delta-spark's jars, extension and catalog) but not
Delta's Connect plugin, whose artifact is not published for this Delta: appends and reads work as
in local mode; a merge needs Delta Connect, and ppf says so on the sink's step (``docs/connect.md``).
Tables are read back with ``deltalake``, not Spark.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import REPO, ppf

pytestmark = [pytest.mark.e2e, pytest.mark.spark, pytest.mark.connect]

MERGE = 'mode = "merge"\n        merge_keys = ["user_id"]'


def _table_rows(path: Path) -> list[dict]:
    from deltalake import DeltaTable

    return sorted(DeltaTable(str(path)).to_pyarrow_table().to_pylist(), key=lambda row: row["user_id"])


def _project(target: Path, *, over_connect: bool, mode: str = "merge") -> Path:
    """A copy of the example; over Connect with its data paths absolute (a relative path is the server's)."""
    shutil.copytree(REPO / "examples" / "delta_local", target, ignore=shutil.ignore_patterns("out", "__pycache__"))
    config = target / "pipeline.conf"
    text = config.read_text()
    if over_connect:
        for relative in ("users.csv", "out/users"):
            assert f'path = "{relative}"' in text
            text = text.replace(f'path = "{relative}"', f'path = "{target / relative}"')
    if mode != "merge":
        assert MERGE in text
        text = text.replace(MERGE, f'mode = "{mode}"')
    config.write_text(text)
    return target


def _run_over_connect(project: Path, server) -> tuple[object, list[dict]]:
    done = ppf(
        "run",
        "--config",
        "pipeline.conf",
        "--override",
        f"spark.remote={server.url}",
        "--log-format",
        "json",
        cwd=project,
    )
    events = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    return done, events


@pytest.fixture(scope="module")
def local_rows(tmp_path_factory) -> list[dict]:
    """The example run in local mode, unchanged: the reference rows."""
    project = _project(tmp_path_factory.mktemp("local") / "delta_local", over_connect=False)
    done = ppf("run", "--config", "pipeline.conf", cwd=project)
    assert done.returncode == 0, done.stderr[-3000:]
    return _table_rows(project / "out" / "users")


def test_delta_local_appending_over_connect_equals_local_mode_and_reads_back(
    connect_server, connect_spark, local_rows, tmp_path
):
    project = _project(tmp_path / "delta_local", over_connect=True, mode="append")
    done, _ = _run_over_connect(project, connect_server)
    assert done.returncode == 0, done.stderr[-4000:] + "\n--- server ---\n" + connect_server.log_tail()
    table = project / "out" / "users"
    assert _table_rows(table) == local_rows

    # A DeltaSource reads the table back over Connect (Spark's data source API: no Delta Connect needed).
    from pyspark_pipeline_framework.testing import run_pipeline_text

    out = tmp_path / "read-back"
    result = run_pipeline_text(
        f"""
        pipeline {{
          name = "delta-read-back"
          steps = [
            {{ name = "table", type = "DeltaSource", config {{ path = "{table}", version = 0, columns = ["user_id", "email"] }} }}
            {{ name = "out", type = "JsonSink", config {{ path = "{out}" }} }}
          ]
        }}
        """,
        spark=connect_spark,
        directory=tmp_path,
    )
    assert result.succeeded, result
    import pyarrow.json as pj

    read = []
    for part in sorted(out.glob("part-*.json")):
        read.extend(pj.read_json(part).to_pylist())
    assert sorted(read, key=lambda row: row["user_id"]) == [
        {"user_id": row["user_id"], "email": row["email"]} for row in local_rows
    ]


def test_a_merge_over_connect_without_delta_connect_fails_on_the_sink_saying_what_the_server_needs(
    connect_server, tmp_path
):
    project = _project(tmp_path / "delta_local", over_connect=True)  # unchanged: mode = "merge"
    done, events = _run_over_connect(project, connect_server)
    assert done.returncode == 1, done.stderr[-4000:]
    ended = {e["step"]: e for e in events if e.get("event") == "step_summary"}
    assert [ended[s]["status"] for s in ("extract-users", "normalize-phone", "mask")] == ["succeeded"] * 3, ended
    failed = [e for e in events if e.get("event") == "step_failed"]
    assert [e["step"] for e in failed] == ["load-warehouse"], failed
    error = failed[0]["error"]
    assert error.startswith("DeltaConnectUnavailable: "), error
    for needed in (
        f"a merge or table_properties on the Delta table {project / 'out' / 'users'} needs Delta Connect",
        "io.delta:delta-connect-server_2.13:",
        "spark.connect.extensions.relation.classes=org.apache.spark.sql.connect.delta.DeltaRelationPlugin",
        "spark.connect.extensions.command.classes=org.apache.spark.sql.connect.delta.DeltaCommandPlugin",
        "docs/connect.md",
        'mode = "append" or "overwrite"',
    ):
        assert needed in error, error
    assert "JVM stacktrace" not in done.stderr
    assert not (project / "out" / "users").exists()  # the sink wrote nothing
