"""MetricsHook driven through the real executor, read back with OpenTelemetry's in-memory exporter and reader.

The components are tiny and pass plain Python lists, so no Spark session is needed: the executor
does not look at outputs (it would persist one read by several steps; no step here has two readers).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from ppf_metrics import MetricsHook
from ppf_metrics.telemetry import MetricsSettings
from pyspark_pipeline_framework.core import (
    ConfigError,
    Sink,
    SinkConfig,
    Source,
    SourceConfig,
    Transform,
    TransformConfig,
)
from pyspark_pipeline_framework.core.plugins import load_hook_plugins
from pyspark_pipeline_framework.testing import InlineRegistry, run_without_spark, validate_pipeline


class NumbersConfig(SourceConfig):
    count: int = 3


class Numbers(Source[NumbersConfig]):
    def read(self):
        return list(range(self.config.count))


class DoubleConfig(TransformConfig):
    fail: bool = False


class Double(Transform[DoubleConfig]):
    def transform(self, df):
        if self.config.fail:
            raise RuntimeError("upstream API is down")
        return [2 * n for n in df]


class DiscardConfig(SinkConfig):
    pass


class Discard(Sink[DiscardConfig]):
    def write(self, df) -> None:
        return None


def pipeline(fail: bool = False, hooks: dict | None = None):
    return validate_pipeline(
        {
            "name": "numbers",
            "steps": [
                {"name": "read", "type": "Numbers"},
                {
                    "name": "double",
                    "type": "Double",
                    "config": {"fail": fail},
                    "retry": {"max_attempts": 2, "initial_delay": "0s"},
                },
                {"name": "store", "type": "Discard"},
            ],
            "hooks": hooks or {},
        },
        InlineRegistry({"Numbers": Numbers, "Double": Double, "Discard": Discard}),
    )


def run(validated, *plugins):
    return run_without_spark(validated, plugins=plugins)


@pytest.fixture
def spans():
    return InMemorySpanExporter()


@pytest.fixture
def reader():
    return InMemoryMetricReader()


def points(reader) -> dict[str, list]:
    """Metric name -> its data points, from the in-memory reader."""
    found: dict[str, list] = {}
    for resource_metrics in reader.get_metrics_data().resource_metrics:
        for scope in resource_metrics.scope_metrics:
            for metric in scope.metrics:
                found.setdefault(metric.name, []).extend(metric.data.data_points)
    return found


def test_one_run_span_and_one_child_span_per_step_in_execution_order(spans):
    result = run(pipeline(), MetricsHook(span_exporter=spans))
    assert result.succeeded
    finished = spans.get_finished_spans()
    root = next(s for s in finished if s.name == "pipeline numbers")
    children = [s for s in finished if s is not root]
    assert [s.name for s in sorted(children, key=lambda s: s.start_time)] == ["step read", "step double", "step store"]
    assert all(s.parent is not None and s.parent.span_id == root.context.span_id for s in children)
    assert all(s.context.trace_id == root.context.trace_id for s in children)
    assert root.parent is None and root.attributes["ppf.run_id"] == result.run_id
    double = next(s for s in children if s.name == "step double")
    assert double.attributes["ppf.step.type"] == "Double" and double.attributes["ppf.step.attempts"] == 1
    assert double.status.status_code is not StatusCode.ERROR


def test_failed_step_span_has_error_status_an_exception_event_and_its_attempts(spans):
    result = run(pipeline(fail=True), MetricsHook(span_exporter=spans))
    assert not result.succeeded
    by_name = {s.name: s for s in spans.get_finished_spans()}
    failed = by_name["step double"]
    assert failed.status.status_code is StatusCode.ERROR
    assert "upstream API is down" in failed.status.description
    events = [e.name for e in failed.events]
    assert events == ["retry", "exception"]
    exception = failed.events[-1]
    assert exception.attributes["exception.type"] == "RuntimeError"
    assert failed.attributes["ppf.step.attempts"] == 2
    assert "step store" not in by_name  # never ran, so no span
    assert by_name["pipeline numbers"].status.status_code is StatusCode.ERROR


def test_step_duration_attempts_and_status_are_recorded_as_metrics(reader):
    result = run(pipeline(fail=True), MetricsHook(metric_reader=reader))
    found = points(reader)
    runs = {(p.attributes["ppf.step"], p.attributes["ppf.step.status"]): p.value for p in found["ppf.step.runs"]}
    assert runs == {("read", "succeeded"): 1, ("double", "failed"): 1, ("store", "not_run"): 1}
    attempts = {p.attributes["ppf.step"]: p.value for p in found["ppf.step.attempts"]}
    assert attempts == {"read": 1, "double": 2}
    durations = {p.attributes["ppf.step"]: p for p in found["ppf.step.duration"]}
    assert set(durations) == {"read", "double"} and durations["double"].count == 1
    assert durations["double"].sum == pytest.approx(result.step("double").duration_s)
    (run_point,) = found["ppf.pipeline.duration"]
    assert run_point.attributes == {"ppf.pipeline": "numbers", "ppf.status": "failed"}


def test_hooks_block_switches_the_plugin_on_through_its_entry_point():
    validated = pipeline(hooks={"enable_metrics": True, "metrics": {"service_name": "etl"}})
    plugin = load_hook_plugins(validated.spec.hooks, settings=validated.hook_settings).manager.get_plugin("metrics")
    assert isinstance(plugin, MetricsHook)
    assert plugin.settings == MetricsSettings(service_name="etl")
    assert load_hook_plugins(pipeline().spec.hooks).manager.get_plugin("metrics") is None


def exported(metrics_settings: dict) -> str:
    """Stdout of a child process running a pipeline with these hooks.metrics settings."""
    script = Path(__file__).with_name("console_run.py")
    done = subprocess.run(
        [sys.executable, str(script), json.dumps(metrics_settings)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_nothing_is_exported_unless_an_exporter_is_configured():
    assert exported({}) == ""
    out = exported({"exporter": "console", "service_name": "etl"})
    assert out.count('"name": "step read"') == 1 and '"name": "pipeline console"' in out
    assert out.count('"name": "ppf.step.duration"') == 1  # exported once, not again at exit
    assert '"service.name": "etl"' in out


def test_settings_are_checked_before_the_run_with_their_config_path():
    with pytest.raises(ConfigError, match=r"pipeline\.hooks\.metrics\.exporter: invalid value 'prometheus'"):
        pipeline(hooks={"enable_metrics": True, "metrics": {"exporter": "prometheus"}})
    with pytest.raises(ConfigError, match=r"pipeline\.hooks\.metrics\.exportr: unknown key") as failure:
        pipeline(hooks={"enable_metrics": True, "metrics": {"exportr": "console"}})
    assert failure.value.issues[0].hint == "did you mean 'exporter'?"
    with pytest.raises(ConfigError, match=r"pipeline\.hooks\.metrics\.pushgateway\.url: required key is missing"):
        pipeline(hooks={"enable_metrics": True, "metrics": {"pushgateway": {"job": "etl"}}})


def test_the_hook_takes_its_typed_settings_only():
    with pytest.raises(TypeError, match="takes a MetricsSettings, not dict"):
        MetricsHook({"exporter": "console"})


def test_otlp_without_its_package_names_the_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.http.trace_exporter", None)
    with pytest.raises(ConfigError, match=r"ppf-plugins-metrics\[otlp\]"):
        MetricsHook(MetricsSettings(exporter="otlp"))


def test_importing_the_plugin_module_does_not_import_opentelemetry():
    code = (
        "import sys, ppf_metrics.hook; "
        "loaded = [m for m in sys.modules if m.startswith('opentelemetry')]; "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_building_the_hook_does_not_wait_for_opentelemetry(monkeypatch):
    """The SDK is set up on a thread of its own (overlapping Spark's start); the hook's first use waits for it."""
    import threading

    from ppf_metrics import hook as hook_module

    release = threading.Event()
    real_build = hook_module.RunTelemetry.build

    def slow_build(*args, **kwargs):
        if not release.wait(5):  # only set once MetricsHook() has returned
            raise AssertionError("building the hook waited for OpenTelemetry's set-up")
        return real_build(*args, **kwargs)

    monkeypatch.setattr(hook_module.RunTelemetry, "build", slow_build)
    spans = InMemorySpanExporter()
    hook = MetricsHook(span_exporter=spans)  # returns while the build still waits
    assert not release.is_set()
    release.set()
    result = run(pipeline(), hook)
    assert result.succeeded
    assert "pipeline numbers" in {span.name for span in spans.get_finished_spans()}


def test_a_failure_to_set_up_opentelemetry_surfaces_when_the_hook_is_used(monkeypatch):
    from ppf_metrics import hook as hook_module

    def broken_build(*args, **kwargs):
        raise RuntimeError("no telemetry today")

    monkeypatch.setattr(hook_module.RunTelemetry, "build", broken_build)
    hook = MetricsHook()
    with pytest.raises(RuntimeError, match="no telemetry today"):
        _ = hook.tracer_provider
