"""Observability: the 3-step pipeline with logs, metrics, traces, audit and lineage all on, against all off.

Both sides are the ``ppf run`` of :mod:`benchmarks.cases.pipeline` with the same Spark settings;
they differ only in observability:

* **on**: ``--log-level info`` (every event as a JSON line), ``observe_rows = true`` (each step's
  rows, from Spark's own scan and write metrics where they tell it), the ``metrics`` plugin
  (OpenTelemetry spans and metrics, recorded in-process; plus a push to a local Pushgateway when
  its binary is installed), the audit log, and OpenLineage events through openlineage-python's
  file transport;
* **off**: ``--log-level error``, ``observe_rows = false``, no hook plugins.

Runs are interleaved (on, off, on, off...); Spark jobs are counted from each run's event log.

``PPF_BENCH_OBS=row_counters`` prices the row counters alone: both sides log at ``error`` with no
hook plugin, and only ``observe_rows`` differs (recorded as a variant).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from benchmarks.cases.pipeline import pipeline_config
from benchmarks.harness.dataset import ensure_dataset
from benchmarks.harness.event_log import single_event_log, summarize
from benchmarks.harness.interleave import Run, Side, interleave
from benchmarks.harness.settings import PPF, ROOT, ROWS, WORK
from benchmarks.harness.table import jobs_figure, ratio_figure
from benchmarks.harness.timing import fresh, settle, wall_time

DEFAULT_PAIRS = 10
FIGURES = [
    ratio_figure(
        "[Observability](../benchmarks/cases/observability.py) all on / all off, 3-step pipeline, wall time", 1.03
    ),
    jobs_figure("Observability all on / all off: Spark jobs", "equal", lambda on, off: on == off),
]


def observability_block(run_dir: Path, pushgateway_url: str | None) -> str:
    push = f'pushgateway {{ url = "{pushgateway_url}", job = "benchmark" }}' if pushgateway_url else ""
    return f"""  observe_rows = true
  hooks {{
    enable_metrics = true
    metrics {{ {push} }}
    enable_audit_log = true
    audit_log {{ path = {json.dumps(str(run_dir / "audit.jsonl"))} }}
    enable_lineage = true
    lineage {{ transport {{ type = "file", log_file_path = {json.dumps(str(run_dir / "lineage.jsonl"))}, append = true }} }}
  }}
"""


#: "all" (everything on against everything off) or "row_counters" (only observe_rows differs).
COMPARED = os.environ.get("PPF_BENCH_OBS", "all")


def config_for(side: str, source: Path, run_dir: Path, event_logs: Path, pushgateway_url: str | None) -> str:
    text = pipeline_config(source, run_dir / "out", event_logs)
    if side == "off":
        extra = "  observe_rows = false\n"
    elif COMPARED == "row_counters":
        extra = "  observe_rows = true\n"
    else:
        extra = observability_block(run_dir, pushgateway_url)
    return text.replace("  steps = [", extra + "  steps = [", 1)


def run_side(side: str, source: Path, run_dir: Path, pushgateway_url: str | None) -> Run:
    event_logs = fresh(run_dir / "events")
    for leftover in ("audit.jsonl", "lineage.jsonl"):
        (run_dir / leftover).unlink(missing_ok=True)
    config = run_dir / "pipeline.conf"
    config.write_text(config_for(side, source, run_dir, event_logs, pushgateway_url))
    settle(run_dir / "out")
    everything_on = side == "on" and COMPARED == "all"
    level = "info" if everything_on else "error"
    seconds = wall_time([PPF, "run", "--config", str(config), "--log-format", "json", "--log-level", level], cwd=ROOT)
    if everything_on:  # the observability really happened, with real row counts
        records = [json.loads(line) for line in (run_dir / "audit.jsonl").read_text().splitlines()]
        assert sum(r["event"] == "step" for r in records) == 3
        rows = next(r["rows"] for r in records if r["event"] == "run")
        assert rows["read-users"] == ROWS and 0 < rows["write-users"] < ROWS, rows
        assert '"COMPLETE"' in (run_dir / "lineage.jsonl").read_text()
    return Run(seconds, summarize(single_event_log(event_logs)).jobs)


def start_pushgateway() -> tuple[subprocess.Popen | None, str | None]:
    binary = shutil.which("prometheus-pushgateway") or shutil.which("pushgateway")
    if binary is None:
        print("  no Pushgateway binary: the 'on' side pushes nowhere", file=sys.stderr)
        return None, None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [binary, f"--web.listen-address=127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/-/ready", timeout=1).close()
            return process, url
        except OSError:
            time.sleep(0.1)
    process.terminate()
    return None, None


def measure(pairs: int = DEFAULT_PAIRS) -> dict:
    source = ensure_dataset()
    work = WORK / "observability"
    gateway, gateway_url = start_pushgateway() if COMPARED == "all" else (None, None)
    try:
        runs = interleave(
            pairs,
            {
                side: Side(lambda _, side=side: run_side(side, source, work / side, gateway_url))
                for side in ("on", "off")
            },
        )
    finally:
        if gateway is not None:
            gateway.terminate()
            gateway.wait()
    record = runs.record("on", "off", {"rows": ROWS}, pushgateway=gateway_url is not None)
    if COMPARED != "all":
        record["variant"] = f"PPF_BENCH_OBS={COMPARED}"
    return record
