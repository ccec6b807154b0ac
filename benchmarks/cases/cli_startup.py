"""CLI start-up: ``ppf --help`` wall time, the cost of starting the CLI, which must never import pyspark."""

from __future__ import annotations

from benchmarks.harness.idle import wait_until_idle
from benchmarks.harness.settings import PPF
from benchmarks.harness.stats import median, spread
from benchmarks.harness.table import seconds_figure
from benchmarks.harness.timing import wall_time

DEFAULT_PAIRS = 9  # runs: nothing to pair with
FIGURES = [seconds_figure("[`ppf --help`](../benchmarks/cases/cli_startup.py), whole process", "< 0.5 s", "help", 0.5)]


def measure(pairs: int = DEFAULT_PAIRS) -> dict:
    wall_time([PPF, "--help"])  # warm the file cache and bytecode; not counted
    times, busy = [], []
    for _ in range(pairs):
        busy.append(round(wait_until_idle(), 3))
        times.append(wall_time([PPF, "--help"]))
    return {
        "runs": pairs,
        "params": {},
        "figures": {
            "help": {
                "runs": pairs,
                "median_s": round(median(times), 3),
                "range_s": [round(v, 3) for v in spread(times)],
            }
        },
        "raw": {"seconds": [round(t, 3) for t in times], "busy_before": busy},
    }
