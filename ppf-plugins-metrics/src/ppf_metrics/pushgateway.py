"""Pushing a finished run's figures to a Prometheus Pushgateway, as batch jobs should.

A batch run ends before Prometheus could scrape it, so its figures are pushed once, at the end,
to the Pushgateway under the grouping key ``{job, pipeline}`` (plus any extra labels).  The push
uses POST (``pushadd``), which replaces only the metric names it sends: the last-success
timestamp is sent only when the run succeeded, so a failed run leaves the previous one in place.
A push never fails the pipeline: errors are logged, and the HTTP call is bounded by ``timeout``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from pyspark_pipeline_framework.core import Seconds

from .prometheus import run_registry

if TYPE_CHECKING:
    from pyspark_pipeline_framework.core import RunResult


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


def push_run(
    settings: PushgatewaySettings,
    pipeline_name: str,
    result: RunResult,
    log: Any,
    recorded: dict[str, Any] | None = None,
) -> bool:
    """Push the run's gauges (:func:`.prometheus.run_registry`, with ``recorded``: a ``context.metrics``
    snapshot); ``False`` (and a warning) if the Pushgateway could not be reached."""
    from prometheus_client import pushadd_to_gateway

    grouping_key = {**settings.grouping_key, "pipeline": pipeline_name}
    try:
        pushadd_to_gateway(
            settings.url,
            job=settings.job,
            registry=run_registry(pipeline_name, result, recorded),
            grouping_key=grouping_key,
            timeout=settings.timeout,
        )
    except Exception as exc:  # monitoring must never fail the pipeline it watches
        log.warning("pushgateway_push_failed", url=settings.url, job=settings.job, error=f"{type(exc).__name__}: {exc}")
        return False
    log.info("pushgateway_pushed", url=settings.url, job=settings.job, grouping_key=grouping_key)
    return True
