from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PROBE = Path(__file__).with_name("cli_probe.py")


@pytest.fixture
def example_project(tmp_path):
    """A copy of examples/user_etl, so runs never write into the repository."""
    target = tmp_path / "user_etl"
    shutil.copytree(REPO / "examples" / "user_etl", target, ignore=shutil.ignore_patterns("out", "__pycache__"))
    return target


def ppf(*args, cwd, env=None, command="ppf", timeout=600):
    """Run an installed console script as a user would."""
    return subprocess.run(
        [str(BIN / command), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def log_events(log: Path) -> list[dict]:
    """The JSON log events a ``ppf ... --log-format json`` run wrote to ``log`` so far (other lines skipped)."""
    events = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events


def runs_table_row(stdout: str, run_id: str) -> dict[str, str]:
    """The columns of ``run_id``'s line in the table ``ppf runs list`` prints, by header name."""
    header, *lines = stdout.splitlines()
    line = next(line for line in lines if line.startswith(f"{run_id} "))
    columns = list(re.finditer(r"\S+(?: \S+)*", header))  # names such as "RUN ID" hold one space
    ends = [column.start() for column in columns[1:]] + [None]
    return {column.group(): line[column.start() : end].strip() for column, end in zip(columns, ends, strict=True)}


def probe(*args, cwd, env=None):
    """Run the CLI in-process via cli_probe.py; returns (completed, facts about pyspark/JVM)."""
    done = subprocess.run(
        [sys.executable, str(PROBE), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    facts = json.loads(done.stderr.strip().splitlines()[-1])
    return done, facts
