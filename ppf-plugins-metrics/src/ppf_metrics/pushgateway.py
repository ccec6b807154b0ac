"""Pushing a finished run's figures to a Prometheus Pushgateway, as batch jobs should.

A batch run ends before Prometheus could scrape it, so its figures are pushed once, at the end,
to the Pushgateway under the grouping key ``{job, pipeline}`` (plus any extra labels).  The push
uses POST (``pushadd``), which replaces only the metric names it sends: the last-success
timestamp is sent only when the run succeeded, so a failed run leaves the previous one in place.
A push never fails the pipeline: errors are logged, and the HTTP call is bounded by ``timeout``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import attrs

from pyspark_pipeline_framework.core import Seconds

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from pyspark_pipeline_framework.core import RunResult

#: Step figures of ``StepResult.metrics`` pushed as gauges ``ppf_step_<key>``, when Spark reported them.
STEP_FIGURES = ("rows_in", "rows_out", "rows_written", "rows_quarantined", "bytes_written")


@attrs.frozen
class PushgatewaySettings:
    """``hooks { metrics { pushgateway { ... } } }``."""

    #: Address of the Pushgateway, e.g. "http://pushgateway:9091".
    url: str
    #: The ``job`` label of the grouping key.
    job: str = "ppf"
    #: Further grouping-key labels (e.g. { env = "prod" }); ``pipeline`` is always added.
    grouping_key: dict[str, str] = attrs.field(factory=dict)
    #: Upper bound on the push's HTTP call.
    timeout: Seconds = Seconds(5.0)


def run_registry(pipeline_name: str, result: RunResult, now: float | None = None) -> CollectorRegistry:
    """The gauges of one run: per step, per run, and the last-success timestamp if it succeeded."""
    from prometheus_client import CollectorRegistry, Gauge

    now = time.time() if now is None else now
    registry = CollectorRegistry()
    step_gauges = {
        "duration_seconds": Gauge(
            "ppf_step_duration_seconds", "Wall time of a step, all attempts", ["step"], registry=registry
        ),
        "attempts": Gauge("ppf_step_attempts", "Attempts a step took", ["step"], registry=registry),
        "succeeded": Gauge(
            "ppf_step_succeeded", "1 if the step succeeded, else 0", ["step", "status"], registry=registry
        ),
    }
    figures = {
        key: Gauge(f"ppf_step_{key}", f"Step figure {key} as Spark reported it", ["step"], registry=registry)
        for key in STEP_FIGURES
    }
    for step in result.steps:
        step_gauges["duration_seconds"].labels(step.name).set(step.duration_s)
        step_gauges["attempts"].labels(step.name).set(step.attempts)
        step_gauges["succeeded"].labels(step.name, step.status.value).set(1 if step.status.value == "succeeded" else 0)
        for key, gauge in figures.items():
            value = step.metrics.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                gauge.labels(step.name).set(value)
    Gauge("ppf_run_duration_seconds", "Wall time of the run", registry=registry).set(result.duration_s)
    Gauge("ppf_run_succeeded", "1 if the run succeeded, else 0", registry=registry).set(1 if result.succeeded else 0)
    Gauge("ppf_run_last_run_timestamp_seconds", "When the last run ended", registry=registry).set(now)
    if result.succeeded:
        Gauge("ppf_run_last_success_timestamp_seconds", "When the last successful run ended", registry=registry).set(
            now
        )
    return registry


def push_run(settings: PushgatewaySettings, pipeline_name: str, result: RunResult, log: Any) -> bool:
    """Push the run's gauges; ``False`` (and a warning) if the Pushgateway could not be reached."""
    from prometheus_client import pushadd_to_gateway

    grouping_key = {**settings.grouping_key, "pipeline": pipeline_name}
    try:
        pushadd_to_gateway(
            settings.url,
            job=settings.job,
            registry=run_registry(pipeline_name, result),
            grouping_key=grouping_key,
            timeout=settings.timeout,
        )
    except Exception as exc:  # monitoring must never fail the pipeline it watches
        log.warning("pushgateway_push_failed", url=settings.url, job=settings.job, error=f"{type(exc).__name__}: {exc}")
        return False
    log.info("pushgateway_pushed", url=settings.url, job=settings.job, grouping_key=grouping_key)
    return True
