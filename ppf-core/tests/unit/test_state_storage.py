"""Where run state lives: local directories as before, URL schemes served by plugins, and a clear
error (exit 2, before any JVM) for a scheme nothing serves."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pyspark_pipeline_framework.core.errors import EnvironmentProblem
from pyspark_pipeline_framework.core.state_storage import plugin_storage, scheme_of, unserved_location
from pyspark_pipeline_framework.runner.cli import app
from pyspark_pipeline_framework.runtime.resilience.ledger import RunLedger, RunRecorder
from pyspark_pipeline_framework.runtime.resilience.local_storage import LocalStateStorage, open_state_storage

T = "ppf_test_components"


def test_local_paths_and_file_urls_are_local_and_other_schemes_are_urls():
    assert scheme_of(".ppf/runs") is None and scheme_of("/var/ppf") is None
    assert scheme_of("file:///var/ppf") is None and scheme_of("C:\\ppf") is None
    assert scheme_of("S3A://bucket/x") == "s3a" and scheme_of("hdfs://nn/ppf") == "hdfs"
    assert isinstance(open_state_storage("file:///tmp/x"), LocalStateStorage)
    assert open_state_storage("file:///tmp/x").location("a") == "/tmp/x/a"


def test_a_scheme_nobody_serves_is_named_with_what_is_served():
    problem = unserved_location("gs://bucket/runs")
    assert problem is not None and "no installed plugin serves gs:// URLs" in problem
    assert "no ppf plugin is known to serve gs://" in problem
    assert unserved_location(".ppf/runs") is None
    with pytest.raises(EnvironmentProblem, match="gs://"):
        plugin_storage("gs://bucket/runs")


def test_a_missing_plugin_of_a_known_scheme_is_named(monkeypatch):
    import pyspark_pipeline_framework.core.state_storage as state_storage

    monkeypatch.setattr(state_storage, "served_schemes", lambda: [])
    problem = unserved_location("s3a://bucket/runs")
    assert "ppf-plugins-aws serves s3a:// (pip install ppf-plugins-aws)" in problem


def test_the_local_storage_writes_whole_files_and_lists_removes_and_finds_them(tmp_path):
    storage = LocalStateStorage(tmp_path / "runs")
    assert storage.read_text("a.json") is None and not storage.exists("")
    storage.write_text("a.json", "{}")
    storage.write_text("b.json", "[]")
    storage.write_text("a.lock", "")
    storage.write_text("r/outputs/s/part-0", "rows")
    assert storage.names(".json") == ["a.json", "b.json"]
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["a.json", "a.lock", "b.json", "r"]  # no temp
    assert storage.location("r/outputs/s") == str((tmp_path / "runs" / "r" / "outputs" / "s").resolve())
    assert storage.remove_tree("r/outputs") and not storage.remove_tree("r/outputs")
    assert storage.update("n.json", lambda text: str(int(text or "0") + 1)) == "1"
    assert storage.update("n.json", lambda text: str(int(text or "0") + 1)) == "2"


def test_local_updates_from_processes_lose_nothing(tmp_path):
    script = textwrap.dedent(
        f"""
        from pyspark_pipeline_framework.runtime.resilience.local_storage import LocalStateStorage
        storage = LocalStateStorage({str(tmp_path)!r})
        for _ in range(50):
            storage.update("n.json", lambda text: str(int(text or "0") + 1))
        """
    )
    workers = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(3)]
    assert [w.wait() for w in workers] == [0, 0, 0]
    assert (tmp_path / "n.json").read_text() == "150"


def test_the_ledger_takes_a_path_as_before(tmp_path, monkeypatch):
    """The default, a relative directory, is where the ledger has always been; checkpoints are absolute."""
    from pyspark_pipeline_framework.runner.config.preflight import validate_raw

    monkeypatch.chdir(tmp_path)
    ledger = RunLedger(Path(".ppf/runs"))
    pipeline = validate_raw({"name": "p", "steps": [{"name": "n", "type": f"{T}.Numbers", "config": {"values": [1]}}]})
    RunRecorder(ledger, pipeline, "run-1", datetime.now(UTC)).close()
    assert json.loads((tmp_path / ".ppf" / "runs" / "run-1.json").read_text())["run_id"] == "run-1"
    assert ledger.checkpoint_dir("run-1", "n") == str(tmp_path.resolve() / ".ppf" / "runs" / "run-1" / "outputs" / "n")


BREAKER_PIPELINE = f"""
pipeline {{
  name = "breakers"
  steps = [
    {{ name = "numbers", type = "{T}.Numbers", config {{ values = [1] }}
       circuit_breaker {{ failure_threshold = 2, state_file = "gs://bucket/breakers.json" }} }}
    {{ name = "out", type = "{T}.Collect" }}
  ]
}}
"""


def test_validate_names_the_state_file_setting_its_line_and_the_scheme(write_conf):
    path = write_conf(BREAKER_PIPELINE)
    done = CliRunner().invoke(app, ["validate", str(path)])
    assert done.exit_code == 2
    assert "pipeline.steps[0].circuit_breaker.state_file" in done.output
    assert f"{path}:5: pipeline.steps[0].circuit_breaker.state_file" in done.output
    assert "no installed plugin serves gs:// URLs" in done.output


def test_validate_accepts_a_local_state_file(write_conf):
    path = write_conf(BREAKER_PIPELINE.replace("gs://bucket/breakers.json", "/tmp/breakers.json"))
    assert CliRunner().invoke(app, ["validate", str(path)]).exit_code == 0


@pytest.mark.parametrize("command", [["runs", "list"], ["runs", "show", "last"]])
def test_a_ledger_url_nobody_serves_exits_2_naming_the_option(command):
    done = CliRunner().invoke(app, [*command, "--ledger-dir", "hdfs://nn/ppf/runs"])
    assert done.exit_code == 2
    assert "--ledger-dir: run state cannot be kept at 'hdfs://nn/ppf/runs'" in done.output
    from_env = CliRunner().invoke(app, command, env={"PPF_LEDGER_DIR": "hdfs://nn/ppf/runs"})
    assert from_env.exit_code == 2 and "$PPF_LEDGER_DIR: run state cannot be kept" in from_env.output
