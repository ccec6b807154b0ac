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


def descendants(pid: int) -> list[int]:
    """The processes ``pid`` started, and those they started (from /proc): Spark's JVM among them."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def running(pid: int) -> bool:
    """Whether ``pid`` runs (a process that ended but was not reaped yet does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def send_signal(process: subprocess.Popen, signum: int, to: str) -> None:
    """``to`` = "process" (Kubernetes, docker stop), "group" (its process group: Airflow, a terminal's
    Ctrl-C) or "service" (every process it started, whatever their group: systemd's default)."""
    if to == "process":
        process.send_signal(signum)
    elif to == "group":
        os.killpg(process.pid, signum)
    else:
        for pid in [process.pid, *descendants(process.pid)]:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass
