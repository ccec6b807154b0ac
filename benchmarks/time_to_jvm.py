"""Python time before the JVM starts: what ppf adds in front of Spark, without Spark's own cost.

Runs a command's Python entry point in this process with ``launch_gateway`` replaced by a
probe that records the time and exits, so the figure is interpreter start to "Spark would now
start the JVM".  Used to find where ppf's overhead lives, e.g.

    python benchmarks/time_to_jvm.py ppf run --config FILE
    python benchmarks/time_to_jvm.py hand INPUT OUTPUT --master local[2]

:func:`measure` does both for the benchmark pipeline, each in a fresh process, interleaved.
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


def measure(runs: int = 5) -> dict:
    """Median seconds before the JVM for ``ppf run`` and the hand-written job, same inputs."""
    import subprocess

    from benchmarks.dataset import ensure_dataset
    from benchmarks.idle_cpu import wait_until_idle
    from benchmarks.pipeline_vs_handwritten import pipeline_config
    from benchmarks.settings import MASTER, PYTHON, ROOT, WORK
    from benchmarks.timing import median

    source = ensure_dataset()
    run_dir = WORK / "time_to_jvm"
    run_dir.mkdir(parents=True, exist_ok=True)
    config = run_dir / "pipeline.conf"
    config.write_text(pipeline_config(source, run_dir / "out", run_dir / "events"))
    commands = {
        "ppf": ["ppf", "run", "--config", str(config), "--log-format", "json"],
        "hand": ["hand", str(source), str(run_dir / "out"), "--master", MASTER],
    }
    times: dict[str, list[float]] = {"ppf": [], "hand": []}
    for _ in range(runs):
        for side, argv in commands.items():
            wait_until_idle()
            done = subprocess.run([PYTHON, __file__, *argv], cwd=ROOT, capture_output=True, text=True, check=True)
            times[side].append(float(done.stdout.split()[-1]))
    return {"runs": runs, "ppf_s": times["ppf"], "hand_s": times["hand"],
            "ppf_median_s": median(times["ppf"]), "hand_median_s": median(times["hand"])}


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(f"{seconds_to_jvm(sys.argv[1:]):.3f}")
    else:
        import json

        print(json.dumps(measure(), indent=2))
