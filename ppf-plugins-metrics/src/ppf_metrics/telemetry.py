"""Building the OpenTelemetry tracer and meter providers of one run from ``hooks { metrics { ... } }``.

Each run gets providers of its own rather than OpenTelemetry's global ones, so ppf neither takes
over an application's telemetry set-up nor leaks spans between runs in one process.  With no
``exporter`` setting no OpenTelemetry data leaves the process; the run's figures still reach the
Prometheus text file (``prometheus_file``, see :mod:`.prometheus`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

import attrs

from pyspark_pipeline_framework.core import ConfigError, ConfigIssue, HookSettings

from .prometheus import DEFAULT_FILE, STEP_FIGURES
from .pushgateway import PushgatewaySettings

if TYPE_CHECKING:
    from opentelemetry.metrics import Counter, Histogram
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import MetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Tracer

INSTRUMENTATION = "ppf_metrics"


class MetricsSettings(HookSettings):
    """``hooks { metrics { ... } }``; every key is optional."""

    #: The run's figures in Prometheus' text format, replaced at the end of every run
    #: (node_exporter's textfile collector reads such files); ``{pipeline}`` is the pipeline's
    #: name.  ``null`` writes no file.
    prometheus_file: str | None = DEFAULT_FILE
    #: Where OpenTelemetry spans and metrics go: "none" (the default: recorded, never sent),
    #: "console" (printed to stdout at the end of the run), "file" (JSON lines appended to
    #: ``file_path``) or "otlp" (needs ppf-plugins-metrics[otlp]).
    exporter: Literal["none", "console", "file", "otlp"] = "none"
    #: exporter = "file": the file spans and metrics are appended to, one JSON object a line.
    file_path: str | None = None
    #: The OpenTelemetry service.name resource attribute.
    service_name: str = "ppf"
    #: OTLP endpoint; OpenTelemetry's OTEL_EXPORTER_OTLP_ENDPOINT applies when unset.
    otlp_endpoint: str | None = None
    #: Push each finished run's figures to a Prometheus Pushgateway (see :mod:`.pushgateway`).
    pushgateway: PushgatewaySettings | None = None

    def check(self) -> Iterable[tuple[str, str]]:
        if self.exporter == "file" and not self.file_path:
            yield "file_path", 'exporter = "file" needs the file to write to, e.g. file_path = "telemetry.jsonl"'
        if self.file_path and self.exporter != "file":
            yield "file_path", f'only applies with exporter = "file" (exporter is {self.exporter!r})'
        if self.prometheus_file is not None and not self.prometheus_file.strip():
            yield "prometheus_file", "is empty; give a file name, or null to write no file"


def build_providers(
    settings: MetricsSettings,
    span_exporter: SpanExporter | None = None,
    metric_reader: MetricReader | None = None,
) -> tuple[TracerProvider, MeterProvider, IO[str] | None]:
    """Providers exporting as ``settings`` say, plus the given exporter and reader (tests, embedding),
    and the file the "file" exporter writes to (closed by :meth:`RunTelemetry.shutdown`)."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    resource = Resource.create({"service.name": settings.service_name})
    readers: list[MetricReader] = [] if metric_reader is None else [metric_reader]
    configured_span_exporter, configured_reader, out = _exporters(settings)
    if configured_reader is not None:
        readers.append(configured_reader)

    tracer_provider = TracerProvider(resource=resource, shutdown_on_exit=False)
    if configured_span_exporter is not None:  # batched: a step never waits for an export
        tracer_provider.add_span_processor(BatchSpanProcessor(configured_span_exporter))
    if span_exporter is not None:
        tracer_provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    # The hook shuts both down when the run ends; an exit handler would export a second time.
    return tracer_provider, MeterProvider(resource=resource, metric_readers=readers, shutdown_on_exit=False), out


@attrs.frozen
class RunTelemetry:
    """One run's providers and the instruments the metrics hook records with."""

    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    tracer: Tracer
    step_duration: Histogram
    step_attempts: Counter
    step_runs: Counter
    run_duration: Histogram
    step_figures: dict[str, Counter]
    #: Streaming runs: one record per committed micro-batch (figures from Spark's streaming progress).
    batch_duration: Histogram
    batch_figures: dict[str, Counter]
    #: What hooks and components recorded through ``context.metrics``, by snapshot key: histograms,
    #: counters and synchronous gauges (whose class OpenTelemetry's API does not export yet).
    recorded: dict[str, Any]
    #: The "file" exporter's file.
    out: IO[str] | None = None

    def shutdown(self) -> None:
        """Export everything once and stop (an exit handler would export a second time)."""
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()
        if self.out is not None:
            self.out.close()

    @classmethod
    def build(
        cls,
        settings: MetricsSettings,
        span_exporter: SpanExporter | None = None,
        metric_reader: MetricReader | None = None,
    ) -> RunTelemetry:
        tracer_provider, meter_provider, out = build_providers(settings, span_exporter, metric_reader)
        meter = meter_provider.get_meter(INSTRUMENTATION)
        return cls(
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            tracer=tracer_provider.get_tracer(INSTRUMENTATION),
            step_duration=meter.create_histogram(
                "ppf.step.duration", unit="s", description="Wall time of a step, all attempts included"
            ),
            step_attempts=meter.create_counter(
                "ppf.step.attempts", unit="{attempt}", description="Attempts a step took"
            ),
            step_runs=meter.create_counter("ppf.step.runs", unit="{step}", description="Steps by final status"),
            run_duration=meter.create_histogram(
                "ppf.pipeline.duration", unit="s", description="Wall time of a pipeline run"
            ),
            step_figures={
                key: meter.create_counter(
                    f"ppf.step.{key}",
                    unit="By" if key == "bytes_written" else "{row}",
                    description=f"Step figure {key}, as Spark reported it",
                )
                for key in STEP_FIGURES
            },
            batch_duration=meter.create_histogram(
                "ppf.micro_batch.duration", unit="s", description="Wall time of a committed micro-batch"
            ),
            batch_figures={
                key: meter.create_counter(f"ppf.micro_batch.{key}", unit=unit, description=description)
                for key, unit, description in MICRO_BATCH_FIGURES
            },
            recorded={
                "durations": meter.create_histogram(
                    "ppf.timer.duration", unit="s", description="Seconds measured by a context.metrics timer"
                ),
                "row_counts": meter.create_gauge(
                    "ppf.row_count", unit="{row}", description="Rows recorded with context.metrics.record_row_count"
                ),
                "counters": meter.create_counter("ppf.counter", description="A context.metrics counter"),
                "gauges": meter.create_gauge("ppf.gauge", description="The last value of a context.metrics gauge"),
            },
            out=out,
        )


#: Counters of streaming runs, per query: key of the ``after_micro_batch`` figures, unit, description.
MICRO_BATCH_FIGURES = (
    ("batches", "{batch}", "Micro-batches committed"),
    ("rows_in", "{row}", "Rows the query read, from Spark's streaming progress"),
    ("rows_written", "{row}", "Rows the micro-batches' sinks wrote"),
    ("dead_letter_rows", "{row}", "Rows the micro-batches sent to dead-letter sinks"),
)


def require_exporter_package(settings: MetricsSettings) -> None:
    """A :class:`ConfigError` when the chosen exporter's package is not installed."""
    if settings.exporter != "otlp":
        return
    try:
        import opentelemetry.exporter.otlp.proto.http.metric_exporter
        import opentelemetry.exporter.otlp.proto.http.trace_exporter  # noqa: F401
    except ImportError:
        raise ConfigError(
            [
                ConfigIssue(
                    "pipeline.hooks.metrics.exporter",
                    'exporter "otlp" needs the OTLP exporter package',
                    "pip install 'ppf-plugins-metrics[otlp]'",
                )
            ]
        ) from None


def _exporters(settings: MetricsSettings) -> tuple[SpanExporter | None, MetricReader | None, IO[str] | None]:
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    # Metrics are pushed once, by force_flush at the end of the run; a batch job has no use for
    # periodic exports, so the interval is simply longer than any run.
    once = 24 * 3600 * 1000
    if settings.exporter == "none":
        return None, None, None
    if settings.exporter in ("console", "file"):
        from opentelemetry.sdk.metrics.export import ConsoleMetricExporter
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        if settings.exporter == "console":
            return (
                ConsoleSpanExporter(),
                PeriodicExportingMetricReader(ConsoleMetricExporter(), export_interval_millis=once),
                None,
            )
        path = Path(str(settings.file_path))
        path.parent.mkdir(parents=True, exist_ok=True)
        out = path.open("a", encoding="utf-8")
        to_file = ConsoleSpanExporter(out=out, formatter=lambda span: span.to_json(indent=None) + "\n")
        reader = PeriodicExportingMetricReader(
            ConsoleMetricExporter(out=out, formatter=lambda data: data.to_json(indent=None) + "\n"),
            export_interval_millis=once,
        )
        return to_file, reader, out
    require_exporter_package(settings)
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    endpoint = settings.otlp_endpoint
    spans = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces") if endpoint else OTLPSpanExporter()
    metrics = OTLPMetricExporter(endpoint=f"{endpoint.rstrip('/')}/v1/metrics") if endpoint else OTLPMetricExporter()
    return spans, PeriodicExportingMetricReader(metrics, export_interval_millis=once), None
