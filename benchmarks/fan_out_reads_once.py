"""One source feeding two sinks reads its source once: shown with the Spark event log.

The executor persists a step's output when several steps consume it.  The check compares the
rows produced by parquet scans (SQL metric of the ``Scan parquet`` node) in two pipelines:

* fan-out: one source, two sinks reading it (expected: the source's rows, once);
* control: two sources reading the same files, one sink each (expected: twice the rows).

Job and stage counts and the tasks' input metrics are reported too; note that reads from
Spark's cache count as task input as well, which is why scanned rows are the evidence.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import attrs

from benchmarks.dataset import ensure_dataset
from benchmarks.event_log import single_event_log, summarize
from benchmarks.idle_cpu import wait_until_idle
from benchmarks.settings import MASTER, PPF, ROOT, ROWS, WORK, spark_conf
from benchmarks.timing import wall_time


def _pipeline(name: str, steps: list[str], event_log_dir: Path) -> str:
    conf = {**spark_conf(), "spark.eventLog.dir": event_log_dir.as_uri()}
    conf_lines = "\n".join(f"      {json.dumps(k)} = {json.dumps(v)}" for k, v in conf.items())
    step_lines = "\n".join(f"    {step}" for step in steps)
    return (f'pipeline {{\n  name = "{name}"\n  spark {{\n    master = "{MASTER}"\n    conf {{\n{conf_lines}\n    }}\n  }}\n'
            f"  steps = [\n{step_lines}\n  ]\n}}\n")


def _source(name: str, path: Path) -> str:
    return f'{{ name = "{name}", type = "ParquetSource", config {{ path = {json.dumps(str(path))} }} }}'


def _sink(name: str, source: str, path: Path) -> str:
    return (f'{{ name = "{name}", type = "ParquetSink", inputs = ["{source}"], '
            f'config {{ path = {json.dumps(str(path))}, mode = "overwrite" }} }}')


def fan_out_steps(data: Path, out: Path) -> list[str]:
    return [_source("read", data), _sink("write-a", "read", out / "a"), _sink("write-b", "read", out / "b")]


def control_steps(data: Path, out: Path) -> list[str]:
    return [_source("read-a", data), _sink("write-a", "read-a", out / "a"),
            _source("read-b", data), _sink("write-b", "read-b", out / "b")]


def run_case(name: str, make_steps, data: Path) -> dict:
    run_dir = WORK / "fan_out" / name
    shutil.rmtree(run_dir, ignore_errors=True)
    (run_dir / "events").mkdir(parents=True)
    config = run_dir / "pipeline.conf"
    config.write_text(_pipeline(f"fan-out-{name}", make_steps(data, run_dir / "out"), run_dir / "events"))
    wait_until_idle()
    seconds = wall_time([PPF, "run", "--config", str(config), "--log-format", "json"], cwd=ROOT)
    summary = summarize(single_event_log(run_dir / "events"))
    return {**attrs.asdict(summary), "wall_s": seconds, "source_reads": summary.scanned_rows / ROWS}


def measure() -> dict:
    data = ensure_dataset()
    return {"rows_in_source": ROWS,
            "fan_out": run_case("fan_out", fan_out_steps, data),
            "control": run_case("control", control_steps, data)}


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
