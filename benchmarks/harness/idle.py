"""Waiting for the CPUs to be idle before a timed run, on a machine shared with other work.

Another engineer's Spark tests on a 2-core machine can double a run's wall time.  Before each
timed run the harness samples /proc/stat while it is itself idle; if other processes keep the
CPUs busy it waits (up to a limit), and the busy fraction is recorded either way so that a
result shows how quiet the machine was.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

MAX_BUSY = 0.15  # fraction of all CPUs used by others that still counts as quiet
SAMPLE_S = 2.0
# Other engineers' test runs can keep both CPUs busy for many minutes: waiting longer than this
# would stall the benchmark; the run then goes ahead and its busy fraction is recorded.
# ``python -m benchmarks run --idle-wait S`` changes it (0 for a trial run on a busy machine).
GIVE_UP_S = float(os.environ.get("PPF_BENCH_IDLE_WAIT_S", 45.0))


def busy_fraction(sample_s: float = SAMPLE_S) -> float:
    """Fraction of CPU time spent not idle, over ``sample_s`` seconds, across all CPUs."""

    def totals() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields), idle

    total_before, idle_before = totals()
    time.sleep(sample_s)
    total_after, idle_after = totals()
    elapsed = total_after - total_before
    return 1.0 - (idle_after - idle_before) / elapsed if elapsed else 0.0


def wait_until_idle(max_busy: float = MAX_BUSY, give_up_s: float | None = None) -> float:
    """Block until the machine is quiet or ``give_up_s`` passed; return the last busy fraction."""
    deadline = time.monotonic() + (GIVE_UP_S if give_up_s is None else give_up_s)
    busy = busy_fraction()
    if busy > max_busy and time.monotonic() < deadline:
        print(f"  waiting: CPUs {busy:.0%} busy with other work", file=sys.stderr)
    while busy > max_busy and time.monotonic() < deadline:
        busy = busy_fraction()
    return busy
