"""A finished run's figures as Prometheus gauges: written to a text file by default, or pushed to a Pushgateway.

The gauges are the step figures ppf measured (duration, attempts, status, the rows and bytes Spark
reported) and what hooks and components recorded through ``context.metrics`` (timers, row counts,
counters, gauges, labelled by their ``name``).  The text file (:func:`write_run_file`) is what
``hooks { enable_metrics = true }`` alone produces: Prometheus' text format, replaced atomically at
the end of every run, as node_exporter's textfile collector reads it; each series carries a
``pipeline`` label, so the files of several pipelines can sit in one directory.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from pyspark_pipeline_framework.core import error_text

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from pyspark_pipeline_framework.core import RunResult

#: Step figures of ``StepResult.metrics`` exported as ``ppf_step_<key>``, when Spark reported them.
STEP_FIGURES = ("rows_in", "rows_out", "rows_written", "rows_quarantined", "bytes_written")

#: Where ``enable_metrics = true`` writes each run's figures: next to the audit log's default
#: ``.ppf/audit.jsonl``, one file per pipeline.
DEFAULT_FILE = ".ppf/metrics/{pipeline}.prom"

#: ``context.metrics`` snapshot key -> gauge name and help text.
RECORDED = {
    "durations": ("ppf_timer_seconds", "Seconds measured by a context.metrics timer (start_timer/stop_timer)"),
    "row_counts": ("ppf_row_count", "Rows recorded with context.metrics.record_row_count"),
    "counters": ("ppf_counter", "The run's total of a context.metrics counter (increment)"),
    "gauges": ("ppf_gauge", "The last value of a context.metrics gauge"),
}


def run_registry(
    pipeline_name: str,
    result: RunResult,
    recorded: dict[str, Any] | None = None,
    now: float | None = None,
    *,
    pipeline_label: bool = False,
) -> CollectorRegistry:
    """The gauges of one run: per step, per run, the last-success timestamp if it succeeded, and ``recorded``.

    ``recorded`` is a ``context.metrics.snapshot()``; ``pipeline_label`` adds ``pipeline`` to every
    series (a Pushgateway has it in its grouping key instead).
    """
    from prometheus_client import CollectorRegistry, Gauge

    now = time.time() if now is None else now
    registry = CollectorRegistry()
    common = ["pipeline"] if pipeline_label else []
    first = [pipeline_name] if pipeline_label else []

    def gauge(name: str, help_text: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(name, help_text, [*common, *labels], registry=registry)

    duration = gauge("ppf_step_duration_seconds", "Wall time of a step, all attempts", ("step",))
    attempts = gauge("ppf_step_attempts", "Attempts a step took", ("step",))
    succeeded = gauge("ppf_step_succeeded", "1 if the step succeeded, else 0", ("step", "status"))
    figures = {
        key: gauge(f"ppf_step_{key}", f"Step figure {key} as Spark reported it", ("step",)) for key in STEP_FIGURES
    }
    for step in result.steps:
        duration.labels(*first, step.name).set(step.duration_s)
        attempts.labels(*first, step.name).set(step.attempts)
        succeeded.labels(*first, step.name, step.status.value).set(1 if step.status.value == "succeeded" else 0)
        for key, figure in figures.items():
            value = step.metrics.get(key)
            if _is_number(value):
                figure.labels(*first, step.name).set(value)
    for key, (name, help_text) in RECORDED.items():
        values = (recorded or {}).get(key) or {}
        if values:
            series = gauge(name, help_text, ("name",))
            for label, value in values.items():
                if _is_number(value):
                    series.labels(*first, label).set(value)
    run_figures = [
        ("ppf_run_duration_seconds", "Wall time of the run", result.duration_s),
        ("ppf_run_succeeded", "1 if the run succeeded, else 0", 1 if result.succeeded else 0),
        ("ppf_run_last_run_timestamp_seconds", "When the last run ended", now),
    ]
    if result.succeeded:
        run_figures.append(("ppf_run_last_success_timestamp_seconds", "When the last successful run ended", now))
    for name, help_text, value in run_figures:
        run_gauge = gauge(name, help_text)
        (run_gauge.labels(*first) if first else run_gauge).set(value)
    return registry


def run_file_path(template: str, pipeline_name: str) -> Path:
    """``template`` with ``{pipeline}`` replaced by the pipeline's name, made safe for a file name."""
    return Path(template.replace("{pipeline}", re.sub(r"[^A-Za-z0-9_.-]+", "_", pipeline_name)))


def write_run_file(
    template: str, pipeline_name: str, result: RunResult, recorded: dict[str, Any], log: Any
) -> Path | None:
    """Write the run's gauges in Prometheus' text format (atomically); ``None`` (and a warning) if it failed."""
    from prometheus_client import write_to_textfile

    path = run_file_path(template, pipeline_name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_to_textfile(str(path), run_registry(pipeline_name, result, recorded, pipeline_label=True))
    except Exception as exc:  # monitoring must never fail the pipeline it watches
        log.warning("metrics_file_failed", path=str(path), error=error_text(exc))
        return None
    log.info("metrics_written", path=str(path), format="prometheus")
    return path


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
