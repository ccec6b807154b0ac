"""Python time before the JVM starts: what ppf adds in front of Spark, without Spark's own cost.

Runs a command's Python entry point in this process with ``launch_gateway`` replaced by a
probe that records the time and exits, so the figure is interpreter start to "Spark would now
start the JVM".  Used to find where ppf's overhead lives, e.g.

    python benchmarks/time_to_jvm.py ppf run --config FILE
    python benchmarks/time_to_jvm.py hand INPUT OUTPUT --master local[2]
"""

from __future__ import annotations

import os
import runpy
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.settings import BENCHMARKS


class _JvmWouldStart(BaseException):
    """Raised by the probe; a BaseException so that no ``except Exception`` swallows it."""


def seconds_to_jvm(argv: list[str]) -> float:
    """Seconds since this process started until Spark asks for its JVM."""
    import pyspark.core.context as spark_context

    def probe(*_args, **_kwargs):
        raise _JvmWouldStart

    spark_context.launch_gateway = probe
    which, *args = argv
    target = {"ppf": "pyspark_pipeline_framework.runner.cli", "hand": str(BENCHMARKS / "handwritten_job.py")}[which]
    sys.argv = [which, *args]
    try:
        if which == "ppf":
            runpy.run_module(target, run_name="__main__")
        else:
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


if __name__ == "__main__":
    print(f"{seconds_to_jvm(sys.argv[1:]):.3f}")
