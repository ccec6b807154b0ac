"""Circuit breakers with an injected clock: open, fail fast, one trial, close; shared; persisted."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import ppf_test_components as tc
import pytest

from pyspark_pipeline_framework.core import Hook
from pyspark_pipeline_framework.core.results import StepStatus
from pyspark_pipeline_framework.core.spec import CircuitBreakerSettings
from pyspark_pipeline_framework.runner.config.preflight import validate
from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file
from pyspark_pipeline_framework.runtime.resilience.circuit_breaker import BreakerBoard, CircuitBreaker, CircuitOpenError
from pyspark_pipeline_framework.runtime.run.launch import run_pipeline
from pyspark_pipeline_framework.testing import retries_without_waiting

T = "ppf_test_components"
NO_SPARK = object()
SUPPORT = Path(__file__).parents[1] / "support"


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_opens_after_threshold_fails_fast_one_trial_then_closes():
    clock, changes = Clock(), []
    breaker = CircuitBreaker("api", CircuitBreakerSettings(failure_threshold=3, timeout=30.0), clock)
    listen = lambda name, old, new: changes.append((name, old, new))  # noqa: E731
    for _ in range(2):
        breaker.before_call(listen)
        breaker.record_failure(listen)
    assert breaker.state == "closed" and changes == []
    breaker.before_call(listen)
    breaker.record_failure(listen)
    assert breaker.state == "open" and changes == [("api", "closed", "open")]
    clock.now += 29.9
    with pytest.raises(CircuitOpenError, match="'api' is open after 3 consecutive failures"):
        breaker.before_call(listen)
    clock.now += 0.1
    breaker.before_call(listen)  # the one trial
    with pytest.raises(CircuitOpenError, match="trial call is running"):
        breaker.before_call(listen)  # a second caller during the trial is refused
    breaker.record_success(listen)
    assert breaker.state == "closed"
    assert changes[1:] == [("api", "open", "half_open"), ("api", "half_open", "closed")]
    breaker.before_call(listen)  # closed again: calls pass


def test_a_failed_trial_reopens_for_a_full_timeout():
    clock = Clock()
    breaker = CircuitBreaker("api", CircuitBreakerSettings(failure_threshold=1, timeout=10.0), clock)
    breaker.before_call()
    breaker.record_failure()
    clock.now += 10
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state == "open"
    clock.now += 9.9
    with pytest.raises(CircuitOpenError):
        breaker.before_call()


def test_exactly_one_trial_among_concurrent_callers():
    clock = Clock()
    breaker = CircuitBreaker("api", CircuitBreakerSettings(failure_threshold=1, timeout=1.0), clock)
    breaker.record_failure()
    clock.now += 1
    passed, barrier = [], threading.Barrier(8)

    def call():
        barrier.wait()
        try:
            breaker.before_call()
            passed.append(1)
        except CircuitOpenError:
            pass

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert passed == [1]


class StateChanges(Hook):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_circuit_state_change(self, breaker_name, old_state, new_state, step_name):
        self.seen.append((step_name, breaker_name, old_state, new_state))


def two_steps_sharing(write_conf, first: str, state_file: str = ""):
    breaker = f'circuit_breaker {{ name = "api", failure_threshold = 2, timeout = "1m" {state_file} }}'
    return validate(
        load_pipeline_file(
            write_conf(f"""
        pipeline {{
          name = "shared-breaker"
          max_parallel_steps = 1
          steps = [
            {{ name = "a", {first}, retry {{ max_attempts = 5, backoff = fixed, initial_delay = "1s" }}, {breaker} }}
            {{ name = "b", type = "{T}.Flaky", config {{ fail_times = 0 }}, inputs = [], {breaker} }}
            {{ name = "out", type = "{T}.Collect", inputs = ["b"] }}
          ]
        }}
    """)
        )
    )


def test_shared_breaker_across_steps_and_runs(write_conf):
    clock, hook = Clock(), StateChanges()
    board = BreakerBoard(clock)
    failing = two_steps_sharing(write_conf, f'type = "{T}.Flaky", config {{ fail_times = 100 }}')
    with retries_without_waiting():
        first = run_pipeline(failing, spark=NO_SPARK, breakers=board, extra_plugins=[hook])
    # a: two real failures open the shared breaker; its third attempt is refused (not retried)
    assert tc.ATTEMPTS["a"] == 2 and first.step("a").attempts == 3
    assert "CircuitOpenError" in first.step("a").error
    # b shares the breaker: it fails fast without its component being called
    assert tc.ATTEMPTS["b"] == 0 and "CircuitOpenError" in first.step("b").error
    assert first.step("out").status is StepStatus.NOT_RUN
    assert hook.seen == [("a", "api", "closed", "open")]

    clock.now += 60  # the timeout passed: exactly one trial, which fails and re-opens
    with retries_without_waiting():
        second = run_pipeline(failing, spark=NO_SPARK, breakers=board, extra_plugins=[hook])
    assert tc.ATTEMPTS["a"] == 3 and tc.ATTEMPTS["b"] == 0
    assert second.step("a").attempts == 2  # the trial, then a refused attempt
    assert hook.seen[1:] == [("a", "api", "open", "half_open"), ("a", "api", "half_open", "open")]

    clock.now += 60
    healthy = two_steps_sharing(write_conf, f'type = "{T}.Numbers", config {{ values = [7] }}')
    third = run_pipeline(healthy, spark=NO_SPARK, breakers=board, extra_plugins=[hook])
    assert third.succeeded and tc.ATTEMPTS["b"] == 1 and tc.WRITTEN["out"] == [1]
    assert hook.seen[3:] == [("a", "api", "open", "half_open"), ("a", "api", "half_open", "closed")]


RUN_IN_NEW_PROCESS = """
import json, sys
sys.path.insert(0, sys.argv[1])
import ppf_test_components as tc
from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file
from pyspark_pipeline_framework.runner.config.preflight import validate
from pyspark_pipeline_framework.runtime.run.launch import run_pipeline
result = run_pipeline(validate(load_pipeline_file(sys.argv[2])), spark=object())
print(json.dumps({"attempts": dict(tc.ATTEMPTS), "errors": {s.name: s.error for s in result.steps}}))
"""


def test_persisted_state_survives_a_new_process(write_conf, tmp_path):
    state = tmp_path / "breakers.json"
    pipeline = two_steps_sharing(
        write_conf, f'type = "{T}.Flaky", config {{ fail_times = 100 }}', f', state_file = "{state}"'
    )

    def new_process() -> dict:
        done = subprocess.run(
            [sys.executable, "-c", RUN_IN_NEW_PROCESS, str(SUPPORT), str(pipeline.config_file)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    with retries_without_waiting():
        run_pipeline(pipeline, spark=NO_SPARK)
    assert tc.ATTEMPTS["a"] == 2
    saved = json.loads(state.read_text())["api"]
    assert saved["failures"] == 2 and saved["opened_at"] is not None
    # A new process (a scheduler's next run) reads the open state: nothing is called at all.
    later = new_process()
    assert later["attempts"] == {}
    assert "CircuitOpenError" in later["errors"]["a"] and "CircuitOpenError" in later["errors"]["b"]


def test_steps_sharing_a_breaker_must_agree_on_its_settings(write_conf):
    from pyspark_pipeline_framework.core.errors import ConfigError

    text = f"""
    pipeline {{
      name = "disagree"
      steps = [
        {{ name = "a", type = "{T}.Numbers", config {{ values = [1] }}, circuit_breaker {{ name = api, failure_threshold = 2 }} }}
        {{ name = "b", type = "{T}.Numbers", config {{ values = [1] }}, inputs = [], circuit_breaker {{ name = api, failure_threshold = 3 }} }}
      ]
    }}
    """
    with pytest.raises(ConfigError) as caught:
        validate(load_pipeline_file(write_conf(text)))
    (issue,) = caught.value.issues
    assert issue.path == "pipeline.steps[1].circuit_breaker" and "shared with pipeline.steps[0]" in issue.message


RECORD_FAILURES = """
import sys
from pyspark_pipeline_framework.core.spec import CircuitBreakerSettings
from pyspark_pipeline_framework.runtime.resilience.circuit_breaker import BreakerStateFile, CircuitBreaker

state, own_name, times = sys.argv[1], sys.argv[2], int(sys.argv[3])
settings = CircuitBreakerSettings(failure_threshold=10_000, state_file=state)
shared = CircuitBreaker("shared", settings, store=BreakerStateFile(state))
own = CircuitBreaker(own_name, settings, store=BreakerStateFile(state))
for _ in range(times):
    shared.record_failure()
    own.record_failure()
"""


def test_processes_sharing_a_state_file_count_each_others_failures_and_lose_no_update(tmp_path):
    state = tmp_path / "breakers.json"
    workers = [
        subprocess.Popen([sys.executable, "-c", RECORD_FAILURES, str(state), f"own-{n}", "50"]) for n in range(3)
    ]
    assert [w.wait(timeout=120) for w in workers] == [0, 0, 0]
    saved = json.loads(state.read_text())
    assert saved["shared"]["failures"] == 150  # every process's failures, none overwritten
    assert {name: entry["failures"] for name, entry in saved.items() if name != "shared"} == {
        "own-0": 50,
        "own-1": 50,
        "own-2": 50,
    }


def test_a_breaker_opened_by_another_process_refuses_calls_at_once(tmp_path):
    state = tmp_path / "breakers.json"
    settings = CircuitBreakerSettings(failure_threshold=2, timeout=60.0, state_file=str(state))
    clock = Clock()
    from pyspark_pipeline_framework.runtime.resilience.circuit_breaker import BreakerStateFile

    here = CircuitBreaker("api", settings, clock, BreakerStateFile(state))
    here.before_call()  # closed: passes
    elsewhere = CircuitBreaker("api", settings, clock, BreakerStateFile(state))  # another process's view
    elsewhere.record_failure()
    elsewhere.record_failure()
    with pytest.raises(CircuitOpenError):
        here.before_call()
