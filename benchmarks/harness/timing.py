"""Wall time of whole processes, and the untimed clean-up before each run."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


def wall_time(command: Sequence[str], cwd: Path | None = None, env: Mapping[str, str] | None = None) -> float:
    """Seconds from process start to exit; a failing command is an error, not a fast run.

    The output pipes are read to their end, and a JVM the process started inherits them, so the
    figure includes Spark's shutdown, on both sides alike.
    """
    started = time.perf_counter()
    done = subprocess.run(list(command), cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
        )
    return elapsed


def settle(*outputs: Path) -> None:
    """Delete a previous run's outputs and flush dirty pages to disk, before the clock starts.

    Otherwise whichever run comes next pays for deleting, and writing back, the hundreds of MB
    the run before it wrote: seconds of noise that belong to neither side.
    """
    for output in outputs:
        shutil.rmtree(output, ignore_errors=True)
    os.sync()


def fresh(directory: Path) -> Path:
    """An empty ``directory`` (a run's own event-log folder, say), created if missing."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return directory
