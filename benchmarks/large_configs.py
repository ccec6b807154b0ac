"""``ppf validate`` on generated pipelines of many steps: HOCON parsing and pre-flight at scale.

A pipeline of N steps: a parquet source, N-2 built-in transforms (``Filter`` and
``SelectColumns`` alternating), a parquet sink.  No JVM is involved.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.idle_cpu import wait_until_idle
from benchmarks.settings import PPF, WORK
from benchmarks.timing import median, spread, wall_time

STEP_COUNTS = (100, 1000)
RUNS = 5


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


def measure(runs: int = RUNS) -> dict:
    results = {}
    for steps in STEP_COUNTS:
        config = write_chain_config(steps)
        times = []
        for _ in range(runs):
            wait_until_idle()
            times.append(wall_time([PPF, "validate", str(config)]))
        results[str(steps)] = {"runs": runs, "times_s": times, "median_s": median(times), "range_s": spread(times)}
        print(f"  validate {steps:>5} steps: median {median(times):.2f} s", file=sys.stderr)
    return results


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
