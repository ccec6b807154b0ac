"""The executor without a JVM: scheduling, hooks, failure propagation, retries, breakers."""

from __future__ import annotations

import threading

import ppf_test_components as tc
import pytest

from pyspark_pipeline_framework.core import Context, Hook, hookimpl
from pyspark_pipeline_framework.core.results import StepStatus
from pyspark_pipeline_framework.runner.config.preflight import validate
from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file
from pyspark_pipeline_framework.runtime.run.launch import run_pipeline

T = "ppf_test_components"
NO_SPARK = object()  # these components never touch Spark


def run(write_conf, text, plugins=()):
    return run_pipeline(validate(load_pipeline_file(write_conf(text))), spark=NO_SPARK, extra_plugins=plugins)


LINEAR = f"""
pipeline {{
  name = "linear"
  steps = [
    {{ name = "numbers", type = "{T}.Numbers", config {{ values = [1, 2, 3] }} }}
    {{ name = "plus", type = "{T}.Add", config {{ amount = 10 }} }}
    {{ name = "out", type = "{T}.Collect" }}
  ]
}}
"""


def test_linear_pipeline_passes_outputs_along(write_conf):
    result = run(write_conf, LINEAR)
    assert result.succeeded and result.exit_code == 0
    assert tc.WRITTEN["out"] == [11, 12, 13]


class SeedStyleHook(Hook):
    """Written exactly as the README's hook example: no decorators, a subset of the arguments."""

    def __init__(self):
        super().__init__()
        self.events = []

    def before_step(self, step_name: str, context: Context):
        context.metrics.start_timer(f"step.{step_name}")
        self.events.append(("before", step_name))

    def after_step(self, step_name: str, context: Context, result):
        context.metrics.stop_timer(f"step.{step_name}")
        self.events.append(("after", step_name, result))


def test_plain_class_hook_sees_every_step(write_conf):
    hook = SeedStyleHook()
    run(write_conf, LINEAR, [hook])
    assert hook.events == [
        ("before", "numbers"),
        ("after", "numbers", [1, 2, 3]),
        ("before", "plus"),
        ("after", "plus", [11, 12, 13]),
        ("before", "out"),
        ("after", "out", [11, 12, 13]),  # a sink's result is what it wrote
    ]


def test_hooks_from_the_pipeline_hooks_block(write_conf):
    text = LINEAR.replace('name = "linear"', f'name = "linear"\n  hooks {{ plugins = ["{__name__}.SeedStyleHook"] }}')
    result = run(write_conf, text)
    assert result.succeeded


def test_a_failing_hook_does_not_fail_the_run_or_silence_others(write_conf):
    class Broken(Hook):
        def before_step(self, step_name):
            raise RuntimeError("observer bug")

    good = SeedStyleHook()
    result = run(write_conf, LINEAR, [Broken(), good])
    assert result.succeeded
    assert len(good.events) == 6


FAN = f"""
pipeline {{
  name = "fan"
  max_parallel_steps = 4
  steps = [
    {{ name = "a", type = "{T}.Numbers", config {{ values = [1], delay = 0.3 }} }}
    {{ name = "b", type = "{T}.Numbers", config {{ values = [2], delay = 0.3 }} }}
    {{ name = "boom", type = "{T}.Boom", inputs = ["a"] }}
    {{ name = "after-boom", type = "{T}.Collect", inputs = ["boom"] }}
    {{ name = "b-plus", type = "{T}.Add", inputs = ["b"] }}
    {{ name = "joined", type = "{T}.Concat", inputs = ["b-plus", "a"] }}
    {{ name = "out-b", type = "{T}.Collect", inputs = ["b-plus"] }}
    {{ name = "out-joined", type = "{T}.Collect", inputs = ["joined"] }}
  ]
}}
"""


def test_failure_halts_only_what_depends_on_it(write_conf):
    result = run(write_conf, FAN)
    assert not result.succeeded and result.exit_code == 1
    assert result.by_status(StepStatus.FAILED) == ["boom"]
    assert result.by_status(StepStatus.NOT_RUN) == ["after-boom"]
    assert "RuntimeError: boom" in result.step("boom").error
    assert tc.WRITTEN == {"out-b": [3], "out-joined": [3, 1]}  # fan-in receives inputs by name, in order


class Concurrency(Hook):
    """Tracks how many steps run at the same time."""

    def __init__(self):
        super().__init__()
        self.active = self.peak = 0
        self._lock = threading.Lock()

    def before_step(self, step_name):
        with self._lock:
            self.active += 1
            self.peak = max(self.peak, self.active)

    def after_step(self, step_name):
        with self._lock:
            self.active -= 1

    on_step_error = after_step


def test_independent_branches_run_concurrently(write_conf):
    watcher = Concurrency()
    run(write_conf, FAN, [watcher])
    assert watcher.peak >= 2  # both 0.3 s sources were running at the same time


def test_parallelism_limit_is_respected(write_conf):
    watcher = Concurrency()
    run(write_conf, FAN.replace("max_parallel_steps = 4", "max_parallel_steps = 1"), [watcher])
    assert watcher.peak == 1


def flaky(fail_times, retry="", error="ConnectionError", breaker=""):
    return f"""
    pipeline {{
      name = "flaky"
      steps = [
        {{ name = "src", type = "{T}.Flaky", config {{ fail_times = {fail_times}, error = {error} }} {retry} {breaker} }}
        {{ name = "out", type = "{T}.Collect" }}
      ]
    }}
    """


RETRY3 = 'retry { max_attempts = 3, backoff = "fixed", initial_delay = "10ms" }'


def test_retry_until_success(write_conf):
    retries = []

    class OnRetry(Hook):
        def on_retry(self, step_name, attempt, wait, error):
            retries.append((step_name, attempt, wait, str(error)))

    result = run(write_conf, flaky(2, RETRY3), [OnRetry()])
    assert result.succeeded and result.step("src").attempts == 3
    assert retries == [("src", 1, 0.01, "attempt 1"), ("src", 2, 0.01, "attempt 2")]


def test_retries_exhausted_fail_the_step_and_skip_downstream(write_conf):
    result = run(write_conf, flaky(3, RETRY3))
    assert result.step("src").status is StepStatus.FAILED and result.step("src").attempts == 3
    assert result.step("out").status is StepStatus.NOT_RUN
    assert "ConnectionError: attempt 3" in result.step("src").error


def test_non_retryable_error_is_tried_once(write_conf):
    result = run(write_conf, flaky(1, RETRY3, error="TypeError"))
    assert result.step("src").attempts == 1 and result.step("src").status is StepStatus.FAILED


def test_pipeline_wide_retry_default(write_conf):
    text = flaky(1).replace('name = "flaky"', f'name = "flaky"\n {RETRY3}')
    assert run(write_conf, text).step("src").attempts == 2


def test_circuit_breaker_opens_and_fails_fast(write_conf):
    breaker = 'circuit_breaker { failure_threshold = 2, timeout = "1h" }'
    result = run(
        write_conf, flaky(5, 'retry { max_attempts = 5, backoff = "fixed", initial_delay = "1ms" }', breaker=breaker)
    )
    src = result.step("src")
    assert src.status is StepStatus.FAILED
    assert tc.ATTEMPTS["src"] == 2  # the third attempt was refused without calling the component
    assert "CircuitOpenError" in src.error


def test_pluggy_marker_style_plugins_work_too(write_conf):
    seen = []

    class Plugin:
        @hookimpl
        def pipeline_end(self, result):
            seen.append(result.succeeded)

    run(write_conf, LINEAR, [Plugin()])
    assert seen == [True]


def test_blocked_plugin_is_not_loaded(write_conf, monkeypatch, tmp_path):
    monkeypatch.setenv("PPF_DISABLE_PLUGINS", "audit_log")
    audit = tmp_path / "audit.jsonl"
    text = LINEAR.replace(
        'name = "linear"', f'name = "linear"\n  hooks {{ enable_audit_log = true, audit_log {{ path = "{audit}" }} }}'
    )
    run(write_conf, text)
    assert not audit.exists()
    monkeypatch.delenv("PPF_DISABLE_PLUGINS")
    run(write_conf, text)
    assert len(audit.read_text().splitlines()) == 4  # three steps and the run


@pytest.mark.parametrize(
    "backoff, expected",
    [
        ("exponential", [5, 10, 20, 40, 60]),
        ("linear", [5, 10, 15, 20, 25]),
        ("fixed", [5, 5, 5, 5, 5]),
    ],
)
def test_backoff_delays(backoff, expected):
    from pyspark_pipeline_framework.core.spec import RetryPolicy
    from pyspark_pipeline_framework.runtime.resilience.retry import delay_before_attempt

    policy = RetryPolicy(max_attempts=6, backoff=backoff, initial_delay=5.0, max_delay=60.0)
    assert [delay_before_attempt(policy, n) for n in range(2, 7)] == expected


def test_permanent_errors_are_never_retried():
    from pyspark_pipeline_framework.core import PermanentError
    from pyspark_pipeline_framework.runtime.resilience.retry import is_retryable

    class DuplicateKeys(PermanentError):
        pass

    assert not is_retryable(DuplicateKeys("key 7 twice"))
    assert is_retryable(ConnectionError("flaky"))
