"""Where the metrics hook's figures go: a Prometheus text file by default, a JSON-lines file on request, masked.

Tiny list-passing components run through the real executor (no Spark); the Prometheus file is
read back with prometheus_client's own parser, the JSON-lines file with ``json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families
from structlog.testing import capture_logs

from ppf_metrics import MetricsHook
from pyspark_pipeline_framework.core import Hook, Source, SourceConfig, secret_masker
from pyspark_pipeline_framework.core.errors import ConfigError
from pyspark_pipeline_framework.testing import InlineRegistry, run_without_spark, validate_pipeline

VALUE = "metrics-canary/Pa55+word="


class CallsConfig(SourceConfig):
    fail_first: int = 0
    fail_always: bool = False


class ApiSource(Source[CallsConfig]):
    """Records its own figures through context.metrics, as a component calling an API would."""

    attempts = 0

    def read(self):
        type(self).attempts += 1
        if self.config.fail_always or type(self).attempts <= self.config.fail_first:
            raise ConnectionError(f"login refused for password {VALUE}")
        metrics = self.context.metrics
        metrics.increment("api.calls", 3)
        metrics.increment("api.calls")
        metrics.gauge("api.lag_seconds", 12.5)
        metrics.record_row_count("api.rows", 7)
        return [1, 2, 3]


class QuickStartHook(Hook):
    """The hook of the README's Quick Start: a timer and a row count per step."""

    def before_step(self, step_name, context):
        context.metrics.start_timer(f"step.{step_name}")

    def after_step(self, step_name, context, step_result):
        context.metrics.stop_timer(f"step.{step_name}")
        context.metrics.record_row_count(f"step.{step_name}", 3)


def pipeline(name: str = "api pull", *, hooks: dict | None = None, **config):
    ApiSource.attempts = 0
    return validate_pipeline(
        {
            "name": name,
            "steps": [
                {
                    "name": "pull",
                    "type": "ApiSource",
                    "config": config,
                    "retry": {"max_attempts": 2, "initial_delay": "0s"},
                }
            ],
            "hooks": {"enable_metrics": True, **(hooks or {})},
        },
        InlineRegistry({"ApiSource": ApiSource}),
    )


def run(validated, *plugins):
    """Run with the metrics plugin found through its entry point (``enable_metrics = true``)."""
    with capture_logs() as logs:
        result = run_without_spark(validated, plugins=plugins)
    return result, logs


def prometheus_samples(path: Path) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(path.read_text())
        for sample in family.samples
    }


def test_enable_metrics_alone_writes_the_runs_figures_and_what_components_recorded_as_prometheus_text():
    result, logs = run(pipeline(), QuickStartHook())
    assert result.succeeded

    path = Path(".ppf/metrics/api_pull.prom")  # the working directory is a fresh one (conftest)
    samples = prometheus_samples(path)
    pipe = ("pipeline", "api pull")
    assert samples[("ppf_step_attempts", (pipe, ("step", "pull")))] == 1
    assert samples[("ppf_step_succeeded", (pipe, ("status", "succeeded"), ("step", "pull")))] == 1
    assert samples[("ppf_run_succeeded", (pipe,))] == 1
    assert ("ppf_run_last_success_timestamp_seconds", (pipe,)) in samples
    # What the component and the Quick Start's hook recorded through context.metrics:
    assert samples[("ppf_counter", (("name", "api.calls"), pipe))] == 4
    assert samples[("ppf_gauge", (("name", "api.lag_seconds"), pipe))] == 12.5
    assert samples[("ppf_row_count", (("name", "api.rows"), pipe))] == 7
    assert samples[("ppf_row_count", (("name", "step.pull"), pipe))] == 3
    assert samples[("ppf_timer_seconds", (("name", "step.pull"), pipe))] >= 0
    assert {"event": "metrics_written", "path": str(path), "format": "prometheus"}.items() <= next(
        e for e in logs if e["event"] == "metrics_written"
    ).items()

    failed, _ = run(pipeline(fail_always=True))  # replaced, not appended to
    samples = prometheus_samples(path)
    assert (
        samples[("ppf_run_succeeded", (pipe,))] == 0 and samples[("ppf_step_attempts", (pipe, ("step", "pull")))] == 2
    )
    assert ("ppf_run_last_success_timestamp_seconds", (pipe,)) not in samples
    assert not failed.succeeded


def test_the_prometheus_file_can_be_moved_or_switched_off(tmp_path):
    run(pipeline(hooks={"metrics": {"prometheus_file": str(tmp_path / "node" / "ppf-{pipeline}.prom")}}))
    assert (tmp_path / "node" / "ppf-api_pull.prom").is_file()
    run(pipeline("quiet", hooks={"metrics": {"prometheus_file": None}}))
    assert not Path(".ppf/metrics/quiet.prom").exists()


def test_what_components_recorded_reaches_opentelemetry_with_the_step_figures():
    reader = InMemoryMetricReader()
    run(pipeline(), QuickStartHook(), MetricsHook(metric_reader=reader))
    found: dict[str, dict[str, float]] = {}
    for resource_metrics in reader.get_metrics_data().resource_metrics:
        for scope in resource_metrics.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    name = point.attributes.get("ppf.name") or point.attributes.get("ppf.step")
                    found.setdefault(metric.name, {})[name] = getattr(point, "value", getattr(point, "sum", None))
    assert found["ppf.counter"] == {"api.calls": 4}
    assert found["ppf.gauge"] == {"api.lag_seconds": 12.5}
    assert found["ppf.row_count"] == {"api.rows": 7, "step.pull": 3}
    assert set(found["ppf.timer.duration"]) == {"step.pull"}
    assert found["ppf.step.attempts"] == {"pull": 1}


def test_the_file_exporter_appends_spans_and_metrics_as_json_lines_with_the_secret_masked(tmp_path):
    secret_masker().add(VALUE)
    out = tmp_path / "telemetry" / "run.jsonl"
    hooks = {"metrics": {"exporter": "file", "file_path": str(out)}}
    flaky, _ = run(pipeline(hooks=hooks, fail_first=1))
    failing, _ = run(pipeline(hooks=hooks, fail_always=True))
    assert flaky.succeeded and not failing.succeeded

    text = out.read_text()
    assert VALUE not in text
    lines = [json.loads(line) for line in text.splitlines()]
    spans = [line for line in lines if "context" in line and "name" in line]
    metrics = [line for line in lines if "resource_metrics" in line]
    assert len(metrics) == 2 and [s["name"] for s in spans].count("step pull") == 2
    retry, failed = (s for s in spans if s["name"] == "step pull")
    assert [e["name"] for e in retry["events"]] == ["retry"]
    assert retry["events"][0]["attributes"]["error"] == "ConnectionError: login refused for password ***"
    exception = failed["events"][-1]["attributes"]
    assert exception["exception.message"] == "login refused for password ***"
    assert 'raise ConnectionError(f"login refused for password {VALUE}")' in exception["exception.stacktrace"]
    assert "login refused for password ***" in failed["status"]["description"]


def test_spans_in_memory_carry_the_masked_error_too():
    secret_masker().add(VALUE)
    spans = InMemorySpanExporter()
    run(pipeline(fail_first=1), MetricsHook(span_exporter=spans))
    run(pipeline(fail_always=True), MetricsHook(span_exporter=spans))
    dumped = "".join(span.to_json() for span in spans.get_finished_spans())
    assert VALUE not in dumped and "login refused for password ***" in dumped


def test_file_exporter_settings_are_checked_with_their_config_path():
    with pytest.raises(ConfigError, match=r"pipeline\.hooks\.metrics\.file_path: exporter = \"file\" needs the file"):
        pipeline(hooks={"metrics": {"exporter": "file"}})
    with pytest.raises(
        ConfigError, match=r"pipeline\.hooks\.metrics\.file_path: only applies with exporter = \"file\""
    ):
        pipeline(hooks={"metrics": {"file_path": "x.jsonl"}})
