"""Building the OpenTelemetry tracer and meter providers of one run from ``hooks { metrics { ... } }``.

Each run gets providers of its own rather than OpenTelemetry's global ones, so ppf neither takes
over an application's telemetry set-up nor leaks spans between runs in one process.  With no
``exporter`` setting nothing leaves the process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import attrs

from pyspark_pipeline_framework.core import ConfigError, ConfigIssue, HookSettings

from .pushgateway import STEP_FIGURES, PushgatewaySettings

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

    #: Where spans and metrics go: "none" (the default: recorded, never sent), "console"
    #: (printed to stdout at the end of the run) or "otlp" (needs ppf-plugins-metrics[otlp]).
    exporter: Literal["none", "console", "otlp"] = "none"
    #: The OpenTelemetry service.name resource attribute.
    service_name: str = "ppf"
    #: OTLP endpoint; OpenTelemetry's OTEL_EXPORTER_OTLP_ENDPOINT applies when unset.
    otlp_endpoint: str | None = None
    #: Push each finished run's figures to a Prometheus Pushgateway (see :mod:`.pushgateway`).
    pushgateway: PushgatewaySettings | None = None


def build_providers(
    settings: MetricsSettings,
    span_exporter: SpanExporter | None = None,
    metric_reader: MetricReader | None = None,
) -> tuple[TracerProvider, MeterProvider]:
    """Providers exporting as ``settings`` say, plus the given exporter and reader (tests, embedding)."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    resource = Resource.create({"service.name": settings.service_name})
    readers: list[MetricReader] = [] if metric_reader is None else [metric_reader]
    configured_span_exporter, configured_reader = _exporters(settings)
    if configured_reader is not None:
        readers.append(configured_reader)

    tracer_provider = TracerProvider(resource=resource, shutdown_on_exit=False)
    if configured_span_exporter is not None:
        tracer_provider.add_span_processor(BatchSpanProcessor(configured_span_exporter))
    if span_exporter is not None:
        tracer_provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    # The hook shuts both down when the run ends; an exit handler would export a second time.
    return tracer_provider, MeterProvider(resource=resource, metric_readers=readers, shutdown_on_exit=False)


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

    @classmethod
    def build(
        cls,
        settings: MetricsSettings,
        span_exporter: SpanExporter | None = None,
        metric_reader: MetricReader | None = None,
    ) -> RunTelemetry:
        tracer_provider, meter_provider = build_providers(settings, span_exporter, metric_reader)
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


def _exporters(settings: MetricsSettings) -> tuple[SpanExporter | None, MetricReader | None]:
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    # Metrics are pushed once, by force_flush at the end of the run; a batch job has no use for
    # periodic exports, so the interval is simply longer than any run.
    once = 24 * 3600 * 1000
    if settings.exporter == "none":
        return None, None
    if settings.exporter == "console":
        from opentelemetry.sdk.metrics.export import ConsoleMetricExporter
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter(), PeriodicExportingMetricReader(
            ConsoleMetricExporter(), export_interval_millis=once
        )
    require_exporter_package(settings)
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    endpoint = settings.otlp_endpoint
    spans = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces") if endpoint else OTLPSpanExporter()
    metrics = OTLPMetricExporter(endpoint=f"{endpoint.rstrip('/')}/v1/metrics") if endpoint else OTLPMetricExporter()
    return spans, PeriodicExportingMetricReader(metrics, export_interval_millis=once)
