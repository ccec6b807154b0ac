"""The benchmark pipeline with logging, metrics, traces, audit and lineage all on, against all off.

Both sides are the 3-step ``ppf run`` of :mod:`benchmarks.pipeline_vs_handwritten` with the same
Spark settings; they differ only in observability:

* **on**: ``--log-level info`` (every event as a JSON line), ``observe_rows = true`` (row counts
  via ``DataFrame.observe``), the ``metrics`` plugin (OpenTelemetry spans and metrics, recorded
  in-process; plus a push to a local Pushgateway when its binary is installed), the audit log,
  and OpenLineage events through openlineage-python's file transport;
* **off**: ``--log-level error``, ``observe_rows = false``, no hook plugins.

Runs are interleaved (on, off, on, off...); Spark jobs are counted from each run's event log.

``PPF_BENCH_OBS=row_counters`` prices the row counters alone: both sides log at ``error`` with no
hook plugin, and only ``observe_rows`` differs.
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

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.dataset import ensure_dataset
from benchmarks.event_log import single_event_log, summarize
from benchmarks.idle_cpu import wait_until_idle
from benchmarks.pipeline_vs_handwritten import _fresh, pipeline_config
from benchmarks.settings import PPF, ROOT, ROWS, RUNS, WORK
from benchmarks.timing import median, settle, spread, wall_time


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


def run_side(side: str, source: Path, run_dir: Path, pushgateway_url: str | None) -> tuple[float, int]:
    event_logs = _fresh(run_dir / "events")
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
    return seconds, summarize(single_event_log(event_logs)).jobs


def start_pushgateway() -> tuple[subprocess.Popen | None, str | None]:
    binary = shutil.which("prometheus-pushgateway") or shutil.which("pushgateway")
    if binary is None:
        print("  no Pushgateway binary: the 'on' side pushes nowhere", file=sys.stderr)
        return None, None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([binary, f"--web.listen-address=127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/-/ready", timeout=1).close()
            return process, url
        except OSError:
            time.sleep(0.1)
    process.terminate()
    return None, None


def measure(runs: int = RUNS) -> dict:
    source = ensure_dataset()
    work = WORK / "observability_overhead"
    gateway, gateway_url = start_pushgateway() if COMPARED == "all" else (None, None)
    times: dict[str, list[float]] = {"on": [], "off": []}
    jobs: dict[str, set[int]] = {"on": set(), "off": set()}
    busy_before: dict[str, list[float]] = {"on": [], "off": []}
    try:
        for index in range(runs):
            for side in ("on", "off"):
                busy_before[side].append(wait_until_idle())
                seconds, job_count = run_side(side, source, work / side, gateway_url)
                times[side].append(seconds)
                jobs[side].add(job_count)
                print(f"  run {index + 1}/{runs} {side:<3} {seconds:6.2f} s  {job_count} Spark job(s)  "
                      f"(CPUs {busy_before[side][-1]:.0%} busy before)", file=sys.stderr)
    finally:
        if gateway is not None:
            gateway.terminate()
            gateway.wait()
    on, off = median(times["on"]), median(times["off"])
    # As in pipeline_vs_handwritten: the ratio within an interleaved pair is less exposed to slow
    # changes of load on this shared machine than the ratio of the medians.
    pair_ratios = [a / b for a, b in zip(times["on"], times["off"])]
    return {
        "runs": runs, "compared": COMPARED, "pushgateway": gateway_url is not None,
        "on_s": times["on"], "off_s": times["off"],
        "on_median_s": on, "off_median_s": off, "ratio": on / off,
        "pair_ratios": pair_ratios, "median_pair_ratio": median(pair_ratios),
        "on_range_s": spread(times["on"]), "off_range_s": spread(times["off"]),
        "on_jobs": sorted(jobs["on"]), "off_jobs": sorted(jobs["off"]),
        "busy_before": busy_before,
    }


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else RUNS), indent=2))
