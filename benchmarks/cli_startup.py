"""``ppf --help`` wall time: the cost of starting the CLI, which must never import pyspark."""

from __future__ import annotations

import json
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.idle_cpu import wait_until_idle
from benchmarks.settings import PPF
from benchmarks.timing import median, spread, wall_time

RUNS = 9


def measure(runs: int = RUNS) -> dict:
    wall_time([PPF, "--help"])  # warm the file cache and bytecode; not counted
    times = []
    for _ in range(runs):
        wait_until_idle()
        times.append(wall_time([PPF, "--help"]))
    return {"runs": runs, "times_s": times, "median_s": median(times), "range_s": spread(times)}


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
