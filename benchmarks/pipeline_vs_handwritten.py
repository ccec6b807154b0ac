"""``ppf run`` against the same job written by hand: whole-process wall time and Spark jobs.

Three steps (read parquet; hash three string columns and filter; write parquet), both sides
with identical Spark settings from :mod:`benchmarks.settings`.  Runs are interleaved (ppf,
hand, ppf, hand...) so that a noisy neighbour on this shared machine slows both alike.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.dataset import ensure_dataset
from benchmarks.event_log import single_event_log, summarize
from benchmarks.idle_cpu import wait_until_idle
from benchmarks.settings import BENCHMARKS, MASTER, PPF, PYTHON, ROOT, RUNS, WORK, spark_conf
from benchmarks.timing import median, settle, spread, wall_time

HASHED_COLUMNS = ["name", "email", "phone"]
CONDITION = "score >= 50"


def pipeline_config(source: Path, target: Path, event_log_dir: Path) -> str:
    conf = {**spark_conf(), "spark.eventLog.dir": event_log_dir.as_uri()}
    conf_lines = "\n".join(f"      {json.dumps(k)} = {json.dumps(v)}" for k, v in conf.items())
    return f"""pipeline {{
  name = "benchmark-hash-and-filter"
  spark {{
    app_name = "ppf-hash-and-filter"
    master = "{MASTER}"
    conf {{
{conf_lines}
    }}
  }}
  steps = [
    {{ name = "read-users", type = "ParquetSource", config {{ path = {json.dumps(str(source))} }} }}
    {{
      name = "hash-and-filter"
      type = "benchmarks.hash_and_filter.HashAndFilter"
      config {{ columns = {json.dumps(HASHED_COLUMNS)}, condition = {json.dumps(CONDITION)} }}
    }}
    {{ name = "write-users", type = "ParquetSink", config {{ path = {json.dumps(str(target))}, mode = "overwrite" }} }}
  ]
}}
"""


def run_ppf(source: Path, run_dir: Path) -> tuple[float, int]:
    event_logs = _fresh(run_dir / "events")
    config = run_dir / "pipeline.conf"
    config.write_text(pipeline_config(source, run_dir / "out", event_logs))
    settle(run_dir / "out")
    # From the repository root, as a user runs ppf from their project: `benchmarks.` imports.
    seconds = wall_time([PPF, "run", "--config", str(config), "--log-format", "json"], cwd=ROOT)
    return seconds, summarize(single_event_log(event_logs)).jobs


def run_handwritten(source: Path, run_dir: Path) -> tuple[float, int]:
    event_logs = _fresh(run_dir / "events")
    conf = {**spark_conf(), "spark.eventLog.dir": event_logs.as_uri()}
    command = [PYTHON, str(BENCHMARKS / "handwritten_job.py"), str(source), str(run_dir / "out"),
               "--master", MASTER, *[arg for k, v in conf.items() for arg in ("--conf", f"{k}={v}")]]
    settle(run_dir / "out")
    seconds = wall_time(command, cwd=ROOT)
    return seconds, summarize(single_event_log(event_logs)).jobs


def _fresh(directory: Path) -> Path:
    import shutil

    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return directory


def measure(runs: int = RUNS) -> dict:
    source = ensure_dataset()
    work = WORK / "pipeline_vs_handwritten"
    times: dict[str, list[float]] = {"ppf": [], "hand": []}
    jobs: dict[str, set[int]] = {"ppf": set(), "hand": set()}
    busy_before: dict[str, list[float]] = {"ppf": [], "hand": []}
    for index in range(runs):
        for side, run in (("ppf", run_ppf), ("hand", run_handwritten)):
            busy_before[side].append(wait_until_idle())
            seconds, job_count = run(source, work / side)
            times[side].append(seconds)
            jobs[side].add(job_count)
            print(f"  run {index + 1}/{runs} {side:<4} {seconds:6.2f} s  {job_count} Spark job(s)  "
                  f"(CPUs {busy_before[side][-1]:.0%} busy before)", file=sys.stderr)
    ppf, hand = median(times["ppf"]), median(times["hand"])
    # Each ppf run and the hand-written run right after it saw about the same neighbours, so
    # the ratio within a pair is less exposed to slow changes of load than the medians are.
    pair_ratios = [p / h for p, h in zip(times["ppf"], times["hand"])]
    return {
        "runs": runs,
        "ppf_s": times["ppf"], "hand_s": times["hand"],
        "ppf_median_s": ppf, "hand_median_s": hand, "ratio": ppf / hand,
        "pair_ratios": pair_ratios, "median_pair_ratio": median(pair_ratios),
        "ppf_range_s": spread(times["ppf"]), "hand_range_s": spread(times["hand"]),
        "ppf_jobs": sorted(jobs["ppf"]), "hand_jobs": sorted(jobs["hand"]),
        "busy_before": busy_before,
    }


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else RUNS), indent=2))
