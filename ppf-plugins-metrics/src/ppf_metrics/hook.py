"""The ``metrics`` hook plugin: one OpenTelemetry span per run, one child span per step, and step metrics.

Switched on by ``hooks { enable_metrics = true }``, as in the README's Quick Start; its settings,
``hooks { metrics { ... } }``, are :class:`~.telemetry.MetricsSettings`.  Everything it reports comes from
what the executor already knows (durations, attempts, status); it never asks Spark for anything.
OpenTelemetry is imported on a thread started when the plugin is built (it overlaps the JVM's
start), never when this module is imported.
"""

from __future__ import annotations

import threading
import traceback
from typing import TYPE_CHECKING, Any

from pyspark_pipeline_framework.core import Hook, error_message, secret_masker

from .background import InBackground
from .prometheus import write_run_file
from .pushgateway import push_run
from .telemetry import MetricsSettings, RunTelemetry, require_exporter_package

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import MetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span


class MetricsHook(Hook[MetricsSettings]):
    """Records each run as OpenTelemetry spans and step metrics, flushed when the run ends.

    Metrics (attributes ``ppf.pipeline``, ``ppf.step``, ``ppf.step.status``):

    * ``ppf.step.duration`` (histogram, seconds) for every step that ran;
    * ``ppf.step.attempts`` (counter) for every step that ran;
    * ``ppf.step.runs`` (counter) for every step, including those not run;
    * ``ppf.pipeline.duration`` (histogram, seconds, attributes ``ppf.pipeline``, ``ppf.status``).
    * ``ppf.step.rows_in``, ``rows_out``, ``rows_written``, ``rows_quarantined``, ``bytes_written``
      (counters) for the figures Spark reported (see ppf-core's step metrics).

    A succeeded step's span is ended when the run ends, with the time the step finished, so it
    can carry the step's final row counts (``ppf.step.rows_out``...): a lazy step's rows are
    counted by a later write.

    What hooks and components record through ``context.metrics`` is exported too, when the run
    ends (attributes ``ppf.pipeline``, ``ppf.name``): ``ppf.timer.duration`` (histogram, seconds),
    ``ppf.row_count`` and ``ppf.gauge`` (gauges), ``ppf.counter`` (counter).

    Where it all goes: by default the run's figures are written in Prometheus' text format to
    ``prometheus_file`` (``.ppf/metrics/<pipeline>.prom``, :mod:`.prometheus`), and spans and
    OpenTelemetry metrics go wherever ``exporter`` says (nowhere by default).  With
    ``pushgateway { url = ... }`` the figures are also pushed to a Prometheus Pushgateway when
    the run ends (:mod:`.pushgateway`).

    ``span_exporter`` and ``metric_reader`` add destinations besides the configured exporter, for
    tests (OpenTelemetry's in-memory exporter and reader) or an application's own telemetry.
    One instance observes one run: its providers are shut down when the run ends.
    """

    name = "metrics"

    def __init__(
        self,
        settings: MetricsSettings | None = None,
        *,
        span_exporter: SpanExporter | None = None,
        metric_reader: MetricReader | None = None,
    ):
        super().__init__(settings)
        require_exporter_package(self.settings)  # a config error now, before Spark starts
        # Importing OpenTelemetry's SDK takes about 0.1 s: on a thread of its own it overlaps the
        # JVM's start instead of delaying it.  Every use below waits for it.
        self._telemetry = InBackground(lambda: RunTelemetry.build(self.settings, span_exporter, metric_reader))
        self._run_span: Span | None = None
        self._step_spans: dict[str, Span] = {}
        self._succeeded_spans: dict[str, tuple[Span, int]] = {}
        self._retries: dict[str, int] = {}
        self._lock = threading.Lock()  # steps of independent branches report from several threads

    @property
    def tracer_provider(self) -> TracerProvider:
        return self._telemetry.result().tracer_provider

    @property
    def meter_provider(self) -> MeterProvider:
        return self._telemetry.result().meter_provider

    # -- spans ---------------------------------------------------------------------------------
    def pipeline_start(self, pipeline_name: str, context: Any) -> None:
        self._run_span = self._telemetry.result().tracer.start_span(
            f"pipeline {pipeline_name}",
            attributes={"ppf.pipeline": pipeline_name, "ppf.run_id": context.run_id},
        )

    def before_step(self, step_name: str, step: Any) -> None:
        from opentelemetry import trace

        parent = trace.set_span_in_context(self._run_span) if self._run_span is not None else None
        span = self._telemetry.result().tracer.start_span(
            f"step {step_name}",
            context=parent,
            attributes={"ppf.step": step_name, "ppf.step.type": step.type},
        )
        with self._lock:
            self._step_spans[step_name] = span
            self._retries[step_name] = 0

    def on_retry(self, step_name: str, attempt: int, wait: float, error: BaseException) -> None:
        with self._lock:
            self._retries[step_name] = attempt
            span = self._step_spans.get(step_name)
        if span is not None:
            span.add_event("retry", {"attempt": attempt, "wait_s": wait, "error": secret_masker().mask_error(error)})

    def after_step(self, step_name: str, step_result: Any) -> None:
        import time

        span = self._pop_span(step_name)
        if span is None:
            return
        span.set_attribute("ppf.step.attempts", step_result.attempts)
        span.set_attribute("ppf.step.status", "succeeded")
        # Ended at the end of the run, with this end time: a lazy step's rows are known only then.
        with self._lock:
            earlier = self._succeeded_spans.get(step_name)
            self._succeeded_spans[step_name] = (span, time.time_ns())
        if earlier is not None:  # the step's span of an earlier micro-batch of a streaming run
            earlier[0].end(end_time=earlier[1])

    def on_step_error(self, step_name: str, error: BaseException) -> None:
        from opentelemetry.trace import Status, StatusCode

        with self._lock:
            attempts = self._retries.get(step_name, 0) + 1
        span = self._pop_span(step_name)
        if span is None:
            return
        span.set_attribute("ppf.step.attempts", attempts)
        span.set_attribute("ppf.step.status", "failed")
        # The exception's text and traceback may quote a resolved secret value: both are masked.
        masker = secret_masker()
        stack = masker.mask("".join(traceback.format_exception(error)))
        span.record_exception(
            error, attributes={"exception.message": masker.mask(error_message(error)), "exception.stacktrace": stack}
        )
        span.set_status(Status(StatusCode.ERROR, masker.mask_error(error)))
        span.end()

    def _pop_span(self, step_name: str) -> Span | None:
        with self._lock:
            return self._step_spans.pop(step_name, None)

    def after_micro_batch(self, query_name: str, figures: dict[str, Any], context: Any) -> None:
        telemetry = self._telemetry.result()
        attributes = {"ppf.pipeline": context.run.pipeline, "ppf.query": query_name}
        telemetry.batch_duration.record(figures.get("duration_s") or 0.0, attributes)
        for key, counter in telemetry.batch_figures.items():
            value = 1 if key == "batches" else figures.get(key)
            if isinstance(value, (int, float)):
                counter.add(value, attributes)

    # -- the end of the run ----------------------------------------------------------------------
    def pipeline_end(self, pipeline_name: str, context: Any, result: Any) -> None:
        from opentelemetry.metrics import Counter, Histogram
        from opentelemetry.trace import Status, StatusCode

        telemetry = self._telemetry.result()
        for step in result.steps:
            status = step.status.value
            attributes = {"ppf.pipeline": pipeline_name, "ppf.step": step.name, "ppf.step.status": status}
            telemetry.step_runs.add(1, attributes)
            if step.attempts:
                telemetry.step_duration.record(step.duration_s, attributes)
                telemetry.step_attempts.add(step.attempts, attributes)
            for key, value in _figures(step.metrics).items():
                if key in telemetry.step_figures:
                    telemetry.step_figures[key].add(value, attributes)
        run_status = (
            "succeeded" if result.succeeded else ("cancelled" if getattr(result, "cancelled", False) else "failed")
        )
        telemetry.run_duration.record(result.duration_s, {"ppf.pipeline": pipeline_name, "ppf.status": run_status})
        recorded = context.metrics.snapshot() if getattr(context, "metrics", None) is not None else {}
        for key, instrument in telemetry.recorded.items():
            for name, value in (recorded.get(key) or {}).items():
                attributes = {"ppf.pipeline": pipeline_name, "ppf.name": name}
                if isinstance(instrument, Counter):
                    instrument.add(value, attributes)
                elif isinstance(instrument, Histogram):
                    instrument.record(value, attributes)
                else:
                    instrument.set(value, attributes)

        with self._lock:
            succeeded, self._succeeded_spans = self._succeeded_spans, {}
            leftovers, self._step_spans = list(self._step_spans.values()), {}
        for step in result.steps:
            if step.name in succeeded:
                span, ended_at = succeeded.pop(step.name)
                for key, value in _figures(step.metrics).items():
                    span.set_attribute(f"ppf.step.{key}", value)
                span.end(end_time=ended_at)
        leftovers += [span for span, _ in succeeded.values()]
        for span in leftovers:  # a step that never reported back (a bug elsewhere) still ends
            span.end()
        if self._run_span is not None:
            self._run_span.set_attribute("ppf.status", run_status)
            if not result.succeeded:
                from pyspark_pipeline_framework.core import StepStatus  # not when `ppf validate` imports the plugin

                failed = ", ".join(result.by_status(StepStatus.FAILED))
                why = "the run was cancelled" if getattr(result, "cancelled", False) else f"failed steps: {failed}"
                self._run_span.set_status(Status(StatusCode.ERROR, why))
            self._run_span.end()
            self._run_span = None
        # A batch process may exit right after the run: push everything out now, once.  Shutting
        # down (rather than leaving it to exit) also stops a second export at interpreter exit.
        telemetry.shutdown()
        if self.settings.prometheus_file is not None:
            write_run_file(self.settings.prometheus_file, pipeline_name, result, recorded, context.logger)
        if self.settings.pushgateway is not None:
            push_run(self.settings.pushgateway, pipeline_name, result, context.logger, recorded)


def _figures(metrics: Any) -> dict[str, int | float]:
    """The numeric figures of ``StepResult.metrics`` (missing ones, ``None``, are left out)."""
    return {
        key: value for key, value in metrics.items() if isinstance(value, (int, float)) and not isinstance(value, bool)
    }
