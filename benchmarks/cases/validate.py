"""Validation of large configs: ``ppf validate`` on generated pipelines of 100 and 1,000 steps, no JVM.

A pipeline of N steps: a parquet source, N-2 built-in transforms (``Filter`` and
``SelectColumns`` alternating), a parquet sink.  Whole-process wall time: HOCON parsing,
structuring and pre-flight checks.
"""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks.harness.idle import wait_until_idle
from benchmarks.harness.settings import PPF, WORK
from benchmarks.harness.stats import median, spread
from benchmarks.harness.table import seconds_figure
from benchmarks.harness.timing import wall_time

STEP_COUNTS = (100, 1000)
DEFAULT_PAIRS = 5  # runs of each size: nothing to pair with
FIGURES = [
    seconds_figure(
        "[`ppf validate`](../benchmarks/cases/validate.py), 100 steps, whole process", "< 1 s", "100_steps", 1.0
    ),
    seconds_figure("`ppf validate`, 1,000 steps, whole process", "(reported)", "1000_steps"),
]


def chain_config(steps: int) -> str:
    lines = [
        "pipeline {",
        f'  name = "chain-of-{steps}"',
        '  spark { master = "local[2]", conf { "spark.sql.shuffle.partitions" = "4" } }',
        "  steps = [",
        '    { name = "step-0", type = "ParquetSource", config { path = "data/in" } }',
    ]
    for index in range(1, steps - 1):
        if index % 2:
            body = f'type = "Filter", config {{ condition = "id > {index}" }}'
        else:
            body = 'type = "SelectColumns", config { columns = ["id", "name", "email"] }'
        lines.append(f'    {{ name = "step-{index}", {body} }}')
    lines += [
        f'    {{ name = "step-{steps - 1}", type = "ParquetSink", config {{ path = "out/chain", mode = "overwrite" }} }}',
        "  ]",
        "}",
    ]
    return "\n".join(lines) + "\n"


def write_chain_config(steps: int) -> Path:
    path = WORK / "configs" / f"chain-{steps}.conf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(chain_config(steps))
    return path


def measure(pairs: int = DEFAULT_PAIRS) -> dict:
    figures, raw = {}, {}
    for steps in STEP_COUNTS:
        config = write_chain_config(steps)
        times, busy = [], []
        for _ in range(pairs):
            busy.append(round(wait_until_idle(), 3))
            times.append(wall_time([PPF, "validate", str(config)]))
        figures[f"{steps}_steps"] = {
            "runs": pairs,
            "median_s": round(median(times), 3),
            "range_s": [round(v, 3) for v in spread(times)],
        }
        raw[f"{steps}_steps"] = {"seconds": [round(t, 3) for t in times], "busy_before": busy}
        print(f"  validate {steps:>5} steps: median {median(times):.2f} s", file=sys.stderr)
    return {"runs": pairs, "params": {"steps": list(STEP_COUNTS)}, "figures": figures, "raw": raw}
