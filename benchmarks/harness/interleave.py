"""Running two sides of a comparison as interleaved pairs in alternating order: A B, B A, A B, ...

A disturbance on a shared machine (another process, the page cache writing back) then hits both
sides alike, and neither side always runs right after the other (in a shared session the run
before leaves garbage to collect and caches warmed).  Before every timed run the side's ``prepare`` does its untimed clean-up, then the
harness waits for idle CPUs (:mod:`benchmarks.harness.idle`) and records how busy they were.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from benchmarks.harness.idle import wait_until_idle
from benchmarks.harness.stats import compare


@attrs.frozen
class Run:
    """One timed run: whole-process seconds, the Spark jobs it started (if counted), anything else."""

    seconds: float
    jobs: int | None = None
    details: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Side:
    """One side of a comparison: ``run(index)`` times one run; ``prepare(index)`` is untimed."""

    run: Callable[[int], Run]
    prepare: Callable[[int], None] | None = None


@attrs.frozen
class Runs:
    """Every run of every side, in order, with the CPUs' busy fraction just before each."""

    runs: dict[str, list[Run]]
    busy_before: dict[str, list[float]]

    def seconds(self, side: str) -> list[float]:
        return [run.seconds for run in self.runs[side]]

    def jobs(self, side: str) -> list[int]:
        """The distinct job counts of a side (one value when every run agreed)."""
        return sorted({run.jobs for run in self.runs[side] if run.jobs is not None})

    def record(self, subject: str, baseline: str, params: Mapping[str, Any], **figures: Any) -> dict[str, Any]:
        """The results record of a case timing ``subject`` against ``baseline``: the ratio of their
        wall times, each side's Spark jobs (when counted), any further ``figures``, and the raw runs."""
        seconds = {side: self.seconds(side) for side in self.runs}
        jobs = {side: self.jobs(side) for side in (subject, baseline)}
        return {
            "pairs": len(seconds[subject]),
            "params": dict(params),
            "figures": {
                **compare(seconds[subject], seconds[baseline], (subject, baseline)),
                **({"jobs": jobs} if any(jobs.values()) else {}),
                **figures,
            },
            "raw": {
                "seconds": {side: [round(s, 3) for s in values] for side, values in seconds.items()},
                "busy_before": self.busy_before,
            },
        }


def interleave(pairs: int, sides: Mapping[str, Side]) -> Runs:
    """``pairs`` rounds; in each, every side runs once: in the given order, then reversed, and so on."""
    runs: dict[str, list[Run]] = {name: [] for name in sides}
    busy: dict[str, list[float]] = {name: [] for name in sides}
    width = max(len(name) for name in sides)
    for index in range(pairs):
        order = list(sides.items())
        if index % 2:
            order.reverse()
        for name, side in order:
            if side.prepare is not None:
                side.prepare(index)
            busy[name].append(round(wait_until_idle(), 3))
            run = side.run(index)
            runs[name].append(run)
            jobs = f"  {run.jobs} Spark job(s)" if run.jobs is not None else ""
            print(
                f"  pair {index + 1}/{pairs} {name:<{width}} {run.seconds:7.2f} s{jobs}  "
                f"(CPUs {busy[name][-1]:.0%} busy before)",
                file=sys.stderr,
                flush=True,
            )
    return Runs(runs, busy)
