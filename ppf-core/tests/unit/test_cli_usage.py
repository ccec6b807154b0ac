"""The command line's usage: `-h` everywhere, `ppf run FILE`, the `ppf-run` alias, the `ppf runs list` table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from pyspark_pipeline_framework.runner.cli import app
from pyspark_pipeline_framework.runtime.resilience.ledger import RunLedger

BIN = Path(sys.executable).parent

PIPELINE = """
pipeline {
  name = "usage"
  steps = [
    { name = "extract", type = "CsvSource", config { path = "in.csv" } }
    { name = "load", type = "ParquetSink", inputs = ["extract"], config { path = "out/usage" } }
  ]
}
"""


def _command_paths(command, path=()):
    yield path
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _command_paths(sub, (*path, name))


COMMANDS = list(_command_paths(typer.main.get_command(app)))


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "ppf")
def test_dash_h_is_help_for_every_command(path):
    done = CliRunner().invoke(app, [*path, "-h"], prog_name="ppf")
    assert done.exit_code == 0, done.output
    assert done.output.startswith(f"Usage: {' '.join(('ppf', *path))} "), done.output


def ppf(*args, command="ppf"):
    # In a process of its own: `ppf run` configures logging to the streams it was given.
    return subprocess.run([str(BIN / command), *map(str, args)], capture_output=True, text=True, timeout=60)


def test_run_takes_the_file_as_an_argument_like_validate(write_conf):
    conf = write_conf(PIPELINE)
    for args in (["run", conf], ["run", "--config", conf], ["run", conf, "-c", conf]):
        done = ppf(*args, "--dry-run")
        assert done.returncode == 0, (args, done.stderr)
        assert "dry run: configuration is valid" in done.stdout


def test_run_refuses_two_different_files_and_no_file(write_conf):
    conf = write_conf(PIPELINE)
    other = write_conf(PIPELINE, name="other.conf")
    two = ppf("run", conf, "--config", other, "--dry-run")
    assert two.returncode == 2 and f"two pipeline files given: {conf} and --config {other}" in two.stderr
    none = ppf("run", "--dry-run")
    assert none.returncode == 2 and "give the pipeline file: `ppf run FILE`" in none.stderr


@pytest.mark.parametrize("option", ["--help", "-h"])
def test_ppf_run_help_shows_its_own_name(option):
    done = ppf(option, command="ppf-run")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: ppf-run [OPTIONS] [FILE]"), done.stdout


def test_ppf_run_alias_takes_the_compatible_spelling(write_conf):
    conf = write_conf(PIPELINE)
    done = ppf("--config", conf, "--override", "spark.master=local[1]", "--dry-run", command="ppf-run")
    assert done.returncode == 0 and "dry run: configuration is valid" in done.stdout, done.stderr


def test_runs_list_says_so_when_the_ledger_is_empty(tmp_path):
    done = CliRunner().invoke(app, ["runs", "list", "--ledger-dir", str(tmp_path / "runs")])
    assert done.exit_code == 0 and done.output == f"no runs recorded in {tmp_path / 'runs'}\n"


def test_runs_list_has_a_header_with_start_duration_and_status(tmp_path):
    ledger = RunLedger(tmp_path / "runs")
    ledger.write(
        {
            "run_id": "20261130T101500-aaaa",
            "pipeline": "daily",
            "started_at": "2026-11-30T10:15:00.250000+00:00",
            "finished_at": "2026-11-30T10:16:05.250000+00:00",
            "status": "succeeded",
            "exit_code": 0,
        }
    )
    ledger.write(
        {
            "run_id": "20261130T110000-bbbb",
            "pipeline": "daily",
            "started_at": "2026-11-30T12:00:00+01:00",
            "finished_at": None,
            "status": "running",
            "exit_code": None,
            "resumed_from": "20261130T101500-aaaa",
        }
    )
    done = CliRunner().invoke(app, ["runs", "list", "--ledger-dir", str(tmp_path / "runs")])
    assert done.exit_code == 0, done.output
    header, first, second = done.output.splitlines()
    assert header.split("  ")[0] == "RUN ID"
    for column in ("PIPELINE", "STARTED (UTC)", "DURATION", "STATUS", "EXIT", "RESUMES"):
        assert column in header
    assert first.split() == ["20261130T101500-aaaa", "daily", "2026-11-30", "10:15:00", "1m05s", "succeeded", "0"]
    assert second.split() == [
        "20261130T110000-bbbb",
        "daily",
        "2026-11-30",
        "11:00:00",
        "died",  # "running" in its record, but no process holds the run's lock
        "20261130T101500-aaaa",
    ]
    assert first.index("succeeded") == header.index("STATUS") == second.index("died")
