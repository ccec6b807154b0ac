"""Results files: one JSON-lines file per case under ``benchmarks/results/``, one record per run.

A record (one line) holds:

* ``case``; ``started`` and ``ended`` (UTC, ISO 8601; a date alone for runs recorded by day);
* ``commit`` (short hash of the code measured) and ``dirty`` (uncommitted changes in the
  measured code); ``commit_inferred`` when a record copied from a document that did not name the
  commit took it from ``git log`` and the time of the run; ``batch`` and
  ``batches``/``commits`` when a record is one batch of a series, or pools several;
* ``variant``: absent for the case as documented; otherwise what differed (an override, a
  smaller input, a change that was tried and reverted);
* ``pairs`` (interleaved cases) or ``runs``; ``params`` (input sizes);
* ``figures``: what the summary table shows (medians, ratio of medians, median pair ratio,
  their 90 % intervals, Spark jobs per side, ...);
* ``raw``: every run's seconds in order, the CPUs' busy fraction before each, per-run details;
* ``machine``: CPUs, memory, Python, PySpark, Java, load average;
* ``source``: ``"measured"`` for records written by the harness; for figures recorded before the
  results files existed, the document they were copied from;
* ``note``: optional, what the run showed beyond its figures.

``diagnostics.jsonl`` holds findings that explain a figure (event logs job by job, profiles),
with ``diagnostic`` naming the analysis and ``findings`` instead of ``figures``.

Records are only appended.  The summary table uses the latest record of each case without a
``variant``.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.harness.settings import RESULTS, ROOT

#: The code whose speed the benchmarks measure: uncommitted changes there make a record "dirty".
MEASURED_CODE = (
    "ppf-core",
    "ppf-plugins-delta",
    "ppf-plugins-aws",
    "ppf-plugins-vault",
    "ppf-plugins-metrics",
    "benchmarks/cases",
    "benchmarks/baselines",
    "benchmarks/harness",
)


def results_file(case: str, directory: Path = RESULTS) -> Path:
    return directory / f"{case}.jsonl"


def records(case: str, directory: Path = RESULTS) -> Iterator[dict]:
    path = results_file(case, directory)
    if not path.is_file():
        return
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not a JSON record: {exc}") from None


def latest(case: str, directory: Path = RESULTS) -> dict | None:
    """The latest record of the case as documented (no ``variant``), or ``None``."""
    found = None
    for record in records(case, directory):
        if not record.get("variant"):
            found = record
    return found


def append(record: dict, directory: Path = RESULTS) -> Path:
    path = results_file(record["case"], directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as lines:
        lines.write(json.dumps(record, separators=(", ", ": ")) + "\n")
    return path


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def code_version() -> dict:
    """The measured commit, and whether the measured code has uncommitted changes."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()

    try:
        return {
            "commit": git("rev-parse", "--short=7", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--", *MEASURED_CODE)),
        }
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}
