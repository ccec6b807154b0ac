"""The run ledger without a JVM: records, fingerprints, resume plans, `ppf runs`."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pyspark_pipeline_framework.runner.cli import app
from pyspark_pipeline_framework.runner.config.preflight import validate
from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file
from pyspark_pipeline_framework.runtime.resilience.ledger import (
    ResumeRefused,
    RunLedger,
    plan_resume,
    step_fingerprints,
)
from pyspark_pipeline_framework.runtime.run.launch import run_pipeline

T = "ppf_test_components"
NO_SPARK = object()


def pipeline(write_conf, amount=1):
    return validate(
        load_pipeline_file(
            write_conf(f"""
    pipeline {{
      name = "ledgered"
      steps = [
        {{ name = "numbers", type = "{T}.Numbers", config {{ values = [1, 2] }} }}
        {{ name = "plus", type = "{T}.Add", config {{ amount = {amount} }} }}
        {{ name = "boom", type = "{T}.Boom", inputs = ["numbers"] }}
        {{ name = "out", type = "{T}.Collect", inputs = ["plus"] }}
      ]
    }}
    """)
        )
    )


def test_every_step_is_recorded_and_runs_can_be_listed_and_shown(write_conf, tmp_path):
    ledger = RunLedger(tmp_path / "runs")
    result = run_pipeline(pipeline(write_conf), spark=NO_SPARK, ledger=ledger)
    record = ledger.load(result.run_id)
    assert record["status"] == "failed" and record["exit_code"] == 1
    steps = record["steps"]
    assert {n: s["status"] for n, s in steps.items()} == {
        "numbers": "succeeded",
        "plus": "succeeded",
        "boom": "failed",
        "out": "succeeded",
    }
    assert steps["boom"]["error"] == "RuntimeError: boom" and steps["plus"]["attempts"] == 1
    assert all(s["fingerprint"] for s in steps.values())

    runner = CliRunner()
    listed = runner.invoke(app, ["runs", "list", "--ledger-dir", str(tmp_path / "runs"), "--format", "json"])
    assert listed.exit_code == 0 and [r["run_id"] for r in json.loads(listed.stdout)] == [result.run_id]
    shown = runner.invoke(app, ["runs", "show", "last", "--ledger-dir", str(tmp_path / "runs")])
    assert shown.exit_code == 0 and "boom" in shown.stdout and "RuntimeError: boom" in shown.stdout
    missing = runner.invoke(app, ["runs", "show", "nope", "--ledger-dir", str(tmp_path / "runs")])
    assert missing.exit_code == 2


def test_fingerprints_follow_upstream_changes(write_conf):
    base = step_fingerprints(pipeline(write_conf))
    changed = step_fingerprints(pipeline(write_conf, amount=5))
    assert base["numbers"] == changed["numbers"] and base["boom"] == changed["boom"]
    assert base["plus"] != changed["plus"] and base["out"] != changed["out"]  # out reads plus


def test_resume_plan_reruns_failed_steps_and_dependents(write_conf, tmp_path):
    ledger = RunLedger(tmp_path / "runs")
    first = run_pipeline(pipeline(write_conf), spark=NO_SPARK, ledger=ledger)
    record = ledger.load(first.run_id)
    with pytest.raises(ResumeRefused, match=r"step 'numbers' completed .* output was not kept"):
        plan_resume(pipeline(write_conf), record)  # boom reads numbers, which was not checkpointed
    record["steps"]["numbers"]["checkpoint"] = str(tmp_path)  # as if it had been kept
    plan = plan_resume(pipeline(write_conf), record)
    assert plan.rerun == {"boom"} and plan.reuse_outputs == {"numbers": str(tmp_path)}
    assert plan.done == {"plus", "out"}
    with pytest.raises(ResumeRefused, match="'plus'"):
        plan_resume(pipeline(write_conf, amount=7), record)


def continued(write_conf, mode):
    return validate(
        load_pipeline_file(
            write_conf(f"""
    pipeline {{
      name = "continued"
      steps = [
        {{ name = "numbers", type = "{T}.Numbers", config {{ values = [1, 2] }} }}
        {{ name = "plus", type = "{T}.Add", on_failure = continue, config {{ amount = 1 }} }}
        {{ name = "out", type = ParquetSink, config {{ path = "/data/out", mode = {mode} }} }}
      ]
    }}
    """)
        )
    )


@pytest.mark.parametrize("mode", ["append", "overwrite"])
def test_a_resume_never_reruns_a_sink_that_appended_on_a_continued_input(write_conf, tmp_path, mode):
    fingerprints = step_fingerprints(continued(write_conf, mode))
    statuses = {"numbers": "succeeded", "plus": "failed", "out": "succeeded"}  # plus continued: out ran anyway
    record = {
        "run_id": "r1",
        "pipeline": "continued",
        "steps": {name: {"status": s, "fingerprint": fingerprints[name]} for name, s in statuses.items()},
    }
    record["steps"]["numbers"]["checkpoint"] = str(tmp_path)
    if mode == "overwrite":
        assert plan_resume(continued(write_conf, mode), record).rerun == {"plus", "out"}
        return
    with pytest.raises(ResumeRefused, match="step 'out' appended its output to /data/out") as refused:
        plan_resume(continued(write_conf, mode), record)
    assert "_ppf_run_id = 'r1'" in refused.value.hint


def test_cli_refuses_to_resume_an_unknown_run_before_spark_starts(write_conf, tmp_path):
    # A subprocess: `ppf run` configures process-wide logging, which must not leak into other tests.
    import os
    import subprocess
    import sys
    from pathlib import Path

    path = write_conf(
        f"""
    pipeline {{ name = "x", steps = [ {{ name = "n", type = "{T}.Numbers", config {{ values = [1] }} }} ] }}
    """,
        name="x.conf",
    )
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "ppf"),
            "run",
            "-c",
            str(path),
            "--resume",
            "nope",
            "--ledger-dir",
            str(tmp_path / "r"),
            "--log-format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "support")},
    )
    assert done.returncode == 2 and "cannot resume: no run 'nope'" in done.stderr
