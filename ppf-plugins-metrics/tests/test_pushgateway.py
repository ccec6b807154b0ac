"""The metrics plugin's Pushgateway push, against a real Pushgateway started on 127.0.0.1 by the tests.

Install it with ``apt-get install -y prometheus-pushgateway`` (Debian/Ubuntu); without the
binary these tests fail and say so, rather than skip.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator

import pytest
import structlog
from ppf_metrics_test_pipeline import numbers_pipeline, run
from prometheus_client.parser import text_string_to_metric_families

from ppf_metrics.pushgateway import PushgatewaySettings, push_run
from pyspark_pipeline_framework.core.results import RunResult, StepResult, StepStatus

pytestmark = pytest.mark.services

BINARY_NAMES = ("prometheus-pushgateway", "pushgateway")
INSTALL_HINT = "install it with: apt-get update && apt-get install -y prometheus-pushgateway"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Pushgateway:
    """One Pushgateway process on 127.0.0.1, no persistence."""

    def __init__(self) -> None:
        binary = next((found for name in BINARY_NAMES if (found := shutil.which(name))), None)
        if binary is None:
            pytest.fail(f"the Prometheus Pushgateway binary is not installed; {INSTALL_HINT}", pytrace=False)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [binary, f"--web.listen-address=127.0.0.1:{self.port}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 30
        while not self._ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"the Pushgateway did not start: {self.process.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as answer:
                return answer.status == 200
        except OSError:
            return False

    def samples(self, name: str) -> list:
        """Samples of a metric family in the Pushgateway's own /metrics."""
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=5) as answer:
            text = answer.read().decode()
        return [s for family in text_string_to_metric_families(text) for s in family.samples if s.name == name]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def gateway() -> Iterator[Pushgateway]:
    started = Pushgateway()
    yield started
    started.stop()


def hooks(url: str, **extra) -> dict:
    return {"enable_metrics": True, "metrics": {"pushgateway": {"url": url, "job": "nightly", **extra}}}


def test_a_successful_run_pushes_step_gauges_under_job_and_pipeline(gateway):
    result = run(numbers_pipeline("orders-ok", hooks=hooks(gateway.url, grouping_key={"env": "test"})))
    assert result.succeeded
    durations = gateway.samples("ppf_step_duration_seconds")
    ours = [s for s in durations if s.labels.get("pipeline") == "orders-ok"]
    assert {s.labels["step"] for s in ours} == {"read", "check", "store"}
    assert all(s.labels["job"] == "nightly" and s.labels["env"] == "test" for s in ours)
    attempts = {
        s.labels["step"]: s.value
        for s in gateway.samples("ppf_step_attempts")
        if s.labels.get("pipeline") == "orders-ok"
    }
    assert attempts == {"read": 1, "check": 1, "store": 1}
    (success,) = [
        s for s in gateway.samples("ppf_run_last_success_timestamp_seconds") if s.labels.get("pipeline") == "orders-ok"
    ]
    assert success.value > 0


def test_what_hooks_recorded_through_context_metrics_is_pushed_too(gateway):
    from pyspark_pipeline_framework.core import Hook

    class Counting(Hook):
        def after_step(self, step_name, context):
            context.metrics.increment("steps.done")
            context.metrics.gauge(f"last.{step_name}", 1.5)

    assert run(numbers_pipeline("orders-counted", hooks=hooks(gateway.url)), Counting()).succeeded
    pushed = {
        (s.name, s.labels["name"]): s.value
        for name in ("ppf_counter", "ppf_gauge")
        for s in gateway.samples(name)
        if s.labels.get("pipeline") == "orders-counted"
    }
    assert pushed == {
        ("ppf_counter", "steps.done"): 3,
        ("ppf_gauge", "last.read"): 1.5,
        ("ppf_gauge", "last.check"): 1.5,
        ("ppf_gauge", "last.store"): 1.5,
    }


def test_a_failed_run_leaves_the_last_success_timestamp_unchanged(gateway):
    def last_success():
        return [
            s.value
            for s in gateway.samples("ppf_run_last_success_timestamp_seconds")
            if s.labels.get("pipeline") == "orders-flaky"
        ]

    assert run(numbers_pipeline("orders-flaky", hooks=hooks(gateway.url))).succeeded
    before = last_success()
    assert len(before) == 1

    failed = run(numbers_pipeline("orders-flaky", fail=True, hooks=hooks(gateway.url)))
    assert not failed.succeeded
    assert last_success() == before
    (run_ok,) = [s.value for s in gateway.samples("ppf_run_succeeded") if s.labels.get("pipeline") == "orders-flaky"]
    assert run_ok == 0  # the failed run was pushed, just not as a success
    check = {
        s.labels["status"]: s.value
        for s in gateway.samples("ppf_step_succeeded")
        if s.labels.get("pipeline") == "orders-flaky" and s.labels["step"] == "check"
    }
    assert check == {"failed": 0}


def test_step_figures_spark_reported_are_pushed_and_missing_ones_are_not(gateway):
    steps = [
        StepResult(
            "load",
            StepStatus.SUCCEEDED,
            attempts=1,
            duration_s=2.0,
            metrics={"rows_in": 10, "rows_written": 10, "bytes_written": 4096, "rows_out": None},
        )
    ]
    pushed = push_run(
        PushgatewaySettings(gateway.url), "figures", RunResult("r1", "figures", steps, 2.5), structlog.get_logger()
    )
    assert pushed

    def value(name):
        return [s.value for s in gateway.samples(name) if s.labels.get("pipeline") == "figures"]

    assert value("ppf_step_rows_in") == [10] and value("ppf_step_bytes_written") == [4096]
    assert value("ppf_step_rows_out") == []  # missing stays missing


def test_with_the_gateway_stopped_the_pipeline_succeeds_and_the_failure_is_logged():
    stopped = Pushgateway()
    stopped.stop()
    with structlog.testing.capture_logs() as logs:
        result = run(numbers_pipeline("orders-offline", hooks=hooks(stopped.url, timeout="2s")))
    assert result.succeeded
    (failure,) = [e for e in logs if e["event"] == "pushgateway_push_failed"]
    assert failure["url"] == stopped.url and failure["log_level"] == "warning"
    assert not [e for e in logs if e["event"] == "hook_failed"]


def test_a_gateway_that_never_answers_costs_at_most_the_timeout():
    with socket.socket() as silent:  # accepts connections (backlog) and never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with structlog.testing.capture_logs() as logs:
            result = run(numbers_pipeline("orders-hanging", hooks=hooks(url, timeout="0.5s")))
    assert result.succeeded
    (failure,) = [e for e in logs if e["event"] == "pushgateway_push_failed"]
    assert "timed out" in failure["error"]
