"""Fan-out: one source feeding two sinks reads its source once, shown with the Spark event log.

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
from pathlib import Path

import attrs

from benchmarks.harness.dataset import ensure_dataset
from benchmarks.harness.event_log import single_event_log, summarize
from benchmarks.harness.interleave import Run, Side, interleave
from benchmarks.harness.settings import MASTER, PPF, ROOT, ROWS, WORK, spark_conf
from benchmarks.harness.table import Figure
from benchmarks.harness.timing import wall_time

DEFAULT_PAIRS = 1  # the figure is a count, the same in every run


def _reads(record: dict) -> str:
    reads = record["figures"]["source_reads"]
    return f"{reads['fan_out']:.2f} (control, two sources of the same files: {reads['control']:.2f})"


FIGURES = [
    Figure(
        "[Fan-out](../benchmarks/cases/fan_out.py): reads of a source feeding two sinks",
        "1",
        _reads,
        lambda record: record["figures"]["source_reads"]["fan_out"] == 1,
    )
]


def _pipeline(name: str, steps: list[str], event_log_dir: Path) -> str:
    conf = {**spark_conf(), "spark.eventLog.dir": event_log_dir.as_uri()}
    conf_lines = "\n".join(f"      {json.dumps(k)} = {json.dumps(v)}" for k, v in conf.items())
    step_lines = "\n".join(f"    {step}" for step in steps)
    return (
        f'pipeline {{\n  name = "{name}"\n  spark {{\n    master = "{MASTER}"\n    conf {{\n{conf_lines}\n    }}\n  }}\n'
        f"  steps = [\n{step_lines}\n  ]\n}}\n"
    )


def _source(name: str, path: Path) -> str:
    return f'{{ name = "{name}", type = "ParquetSource", config {{ path = {json.dumps(str(path))} }} }}'


def _sink(name: str, source: str, path: Path) -> str:
    return (
        f'{{ name = "{name}", type = "ParquetSink", inputs = ["{source}"], '
        f'config {{ path = {json.dumps(str(path))}, mode = "overwrite" }} }}'
    )


def fan_out_steps(data: Path, out: Path) -> list[str]:
    return [_source("read", data), _sink("write-a", "read", out / "a"), _sink("write-b", "read", out / "b")]


def control_steps(data: Path, out: Path) -> list[str]:
    return [
        _source("read-a", data),
        _sink("write-a", "read-a", out / "a"),
        _source("read-b", data),
        _sink("write-b", "read-b", out / "b"),
    ]


def run_case(name: str, make_steps, data: Path) -> Run:
    run_dir = WORK / "fan_out" / name
    shutil.rmtree(run_dir, ignore_errors=True)
    (run_dir / "events").mkdir(parents=True)
    config = run_dir / "pipeline.conf"
    config.write_text(_pipeline(f"fan-out-{name}", make_steps(data, run_dir / "out"), run_dir / "events"))
    seconds = wall_time([PPF, "run", "--config", str(config), "--log-format", "json"], cwd=ROOT)
    summary = summarize(single_event_log(run_dir / "events"))
    return Run(seconds, summary.jobs, {**attrs.asdict(summary), "source_reads": summary.scanned_rows / ROWS})


def measure(pairs: int = DEFAULT_PAIRS) -> dict:
    data = ensure_dataset()
    runs = interleave(
        pairs,
        {
            "fan_out": Side(lambda _: run_case("fan_out", fan_out_steps, data)),
            "control": Side(lambda _: run_case("control", control_steps, data)),
        },
    )
    reads = {side: sorted({run.details["source_reads"] for run in side_runs}) for side, side_runs in runs.runs.items()}
    if any(len(values) > 1 for values in reads.values()):
        raise RuntimeError(f"source reads differed between runs: {reads}")
    return {
        "pairs": pairs,
        "params": {"rows": ROWS},
        "figures": {
            "source_reads": {side: values[0] for side, values in reads.items()},
            "jobs": {side: runs.jobs(side) for side in runs.runs},
        },
        "raw": {
            side: [dict(run.details, seconds=round(run.seconds, 3)) for run in side_runs]
            for side, side_runs in runs.runs.items()
        },
    }
