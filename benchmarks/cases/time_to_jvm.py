"""Time to JVM: Python time before Spark starts its JVM, ``ppf run`` against the hand-written job.

Where ppf's overhead on a run lives, without Spark's own cost: a command's Python entry point
runs with Spark's ``launch_gateway`` replaced by a probe that records the time and exits, so the
figure is process start to "Spark would now start the JVM" (imports, argument parsing, HOCON,
pre-flight, plugin loading).  Each run is a fresh process; the sides are interleaved.  One probe
alone:

    python -m benchmarks.cases.time_to_jvm ppf run --config FILE
    python -m benchmarks.cases.time_to_jvm hand INPUT OUTPUT --master local[2]
"""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.harness.settings import BASELINES

DEFAULT_PAIRS = 7


def __getattr__(name: str):
    # The summary table's rows, built on demand: the probe process that imports this module to
    # time ppf's start must not import anything ppf imports (attrs, for one) ahead of it.
    if name == "FIGURES":
        return _figures()
    raise AttributeError(name)


def _figures():
    from benchmarks.harness.table import Figure

    def cell(record: dict) -> str:
        medians = record["figures"]["medians_s"]
        return f"{medians['ppf']:.2f} s / {medians['hand']:.2f} s, medians of {record['pairs']}"

    return [
        Figure(
            "[Python before the JVM starts](../benchmarks/cases/time_to_jvm.py), ppf / hand-written", "(reported)", cell
        )
    ]


class _JvmWouldStart(BaseException):
    """Raised by the probe; a BaseException so that no ``except Exception`` swallows it."""


def seconds_to_jvm(argv: list[str]) -> float:
    """Seconds since this process started until Spark asks for its JVM."""
    import pyspark.core.context as spark_context

    def probe(*_args, **_kwargs):
        raise _JvmWouldStart

    spark_context.launch_gateway = probe
    which, *args = argv
    target = {"ppf": "pyspark_pipeline_framework.runner.cli", "hand": str(BASELINES / "handwritten_pipeline.py")}[which]
    sys.argv = [which, *args]
    try:
        if which == "ppf":
            runpy.run_module(target, run_name="__main__")
        else:
            sys.path.insert(0, str(BASELINES))  # as when run as a script: its sibling handwritten_cli
            runpy.run_path(target, run_name="__main__")
    except _JvmWouldStart:
        return time.perf_counter() - _process_start()
    raise RuntimeError(f"{which} finished without starting Spark")


def _process_start() -> float:
    """Process start on the perf_counter clock (Linux: /proc/self/stat field 22, in clock ticks)."""
    ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    age = uptime - ticks / os.sysconf("SC_CLK_TCK")
    return time.perf_counter() - age


def measure(pairs: int = DEFAULT_PAIRS) -> dict:
    """Median seconds before the JVM for ``ppf run`` and the hand-written job, same inputs."""
    from benchmarks.cases.pipeline import pipeline_config
    from benchmarks.harness.dataset import ensure_dataset
    from benchmarks.harness.interleave import Run, Side, interleave
    from benchmarks.harness.settings import MASTER, PYTHON, ROOT, ROWS, WORK

    source = ensure_dataset()
    run_dir = WORK / "time_to_jvm"
    run_dir.mkdir(parents=True, exist_ok=True)
    config = run_dir / "pipeline.conf"
    config.write_text(pipeline_config(source, run_dir / "out", run_dir / "events"))
    commands = {
        "ppf": ["ppf", "run", "--config", str(config), "--log-format", "json"],
        "hand": ["hand", str(source), str(run_dir / "out"), "--master", MASTER],
    }

    def probe(side: str) -> Run:
        done = subprocess.run(
            [PYTHON, "-m", "benchmarks.cases.time_to_jvm", *commands[side]],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return Run(float(done.stdout.split()[-1]))

    runs = interleave(pairs, {side: Side(lambda _, side=side: probe(side)) for side in commands})
    return runs.record("ppf", "hand", {"rows": ROWS})


if __name__ == "__main__":
    print(f"{seconds_to_jvm(sys.argv[1:]):.3f}")
