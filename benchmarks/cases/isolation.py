"""Isolation: the 3-step pipeline with its transform isolated (``isolate = true``) against the same pipeline lazy.

Both sides are the ``ppf run`` of :mod:`benchmarks.cases.pipeline` with the same Spark settings;
the isolated side adds ``isolate = true`` to the ``hash-and-filter`` transform, so its output is
persisted and computed within the step (a ``noop`` write) and the sink writes the persisted rows
(what a transform with its own ``retry``, ``circuit_breaker`` or ``on_failure`` gets, see
docs/configuration.md#isolated-steps).  The figures are the price of that: one Spark job more,
and the wall time of computing into the cache and writing from it instead of in one pass.
Runs are interleaved (isolated, lazy, ...); Spark jobs are counted from each run's event log.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.cases.pipeline import pipeline_config
from benchmarks.harness.dataset import ensure_dataset
from benchmarks.harness.event_log import single_event_log, summarize
from benchmarks.harness.interleave import Run, Side, interleave
from benchmarks.harness.settings import PPF, ROOT, ROWS, WORK
from benchmarks.harness.table import jobs_figure, ratio_figure
from benchmarks.harness.timing import fresh, settle, wall_time

DEFAULT_PAIRS = 7
FIGURES = [
    # The price of isolation, measured and documented (docs/configuration.md#isolated-steps); no bound is promised.
    ratio_figure(
        "[Isolation](../benchmarks/cases/isolation.py): 3-step pipeline, transform isolated / lazy, wall time", None
    ),
    jobs_figure(
        "Isolation: Spark jobs, isolated / lazy", "one more", lambda isolated, lazy: max(isolated) == min(lazy) + 1
    ),
]

TRANSFORM_LINE = 'name = "hash-and-filter"'


def config_for(side: str, source: Path, run_dir: Path, event_logs: Path) -> str:
    text = pipeline_config(source, run_dir / "out", event_logs)
    if side == "isolated":
        assert TRANSFORM_LINE in text
        text = text.replace(TRANSFORM_LINE, f"{TRANSFORM_LINE}\n      isolate = true", 1)
    return text


def run_side(side: str, source: Path, run_dir: Path) -> Run:
    event_logs = fresh(run_dir / "events")
    config = run_dir / "pipeline.conf"
    config.write_text(config_for(side, source, run_dir, event_logs))
    settle(run_dir / "out")
    seconds = wall_time([PPF, "run", "--config", str(config), "--log-format", "json", "--log-level", "error"], cwd=ROOT)
    return Run(seconds, summarize(single_event_log(event_logs)).jobs)


def measure(pairs: int = DEFAULT_PAIRS) -> dict:
    source = ensure_dataset()
    work = WORK / "isolation"
    runs = interleave(
        pairs,
        {side: Side(lambda _, side=side: run_side(side, source, work / side)) for side in ("isolated", "lazy")},
    )
    return runs.record("isolated", "lazy", {"rows": ROWS})
