"""Retries with stamina: attempt counts, waits within the policy's bounds, permanent errors.

Waits are captured through ``before_retry`` / ``on_retry`` and never slept (stamina's test mode).
"""

from __future__ import annotations

import random
import tempfile
import textwrap
from pathlib import Path

import hypothesis.strategies as st
import ppf_test_components as tc
import pytest
from hypothesis import given, settings

from pyspark_pipeline_framework.core.errors import ConfigError
from pyspark_pipeline_framework.core.results import StepStatus
from pyspark_pipeline_framework.core.spec import RetryPolicy
from pyspark_pipeline_framework.runner.config.preflight import validate
from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file
from pyspark_pipeline_framework.runtime.resilience.retry import call_with_retries, is_retryable
from pyspark_pipeline_framework.runtime.run.launch import run_pipeline
from pyspark_pipeline_framework.testing import HookCalls, retries_without_waiting

T = "ppf_test_components"
NO_SPARK = object()


class FakeClock:
    """Time that passes only when a wait is 'slept'."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class RecordingRandom(random.Random):
    """Remembers its draws, so a test knows the wait that the policy chose and rejected."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.draws: list[float] = []

    def uniform(self, a: float, b: float) -> float:
        self.draws.append(super().uniform(a, b))
        return self.draws[-1]


def failing_then_ok(k: int, error: type[Exception] = ConnectionError):
    calls = []

    def call():
        calls.append(len(calls) + 1)
        if len(calls) <= k:
            raise error(f"attempt {len(calls)}")
        return "ok"

    return call, calls


def base_wait(policy: RetryPolicy, retry_number: int) -> float:
    growth = {"exponential": 2 ** (retry_number - 1), "linear": retry_number, "fixed": 1}[policy.backoff]
    return min(policy.initial_delay * growth, policy.max_delay)


policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(1, 8),
    backoff=st.sampled_from(["exponential", "linear", "fixed"]),
    initial_delay=st.floats(0, 30),
    max_delay=st.floats(0, 120),
    jitter=st.floats(0, 5),
    timeout=st.none() | st.floats(0, 300),
)


@settings(max_examples=200, deadline=None)
@given(policy=policies, k=st.integers(0, 10), seed=st.integers(0, 1000))
def test_k_failures_then_success_take_k_plus_one_attempts_with_waits_in_bounds(policy, k, seed):
    clock, rng = FakeClock(), RecordingRandom(seed)
    waits: list[tuple[int, float]] = []

    def before_retry(attempt, wait, error):
        assert str(error) == f"attempt {attempt}"
        waits.append((attempt, wait))
        clock.now += wait  # the wait is "slept" on the fake clock only

    call, calls = failing_then_ok(k)
    with retries_without_waiting():
        try:
            outcome = call_with_retries(call, policy, before_retry=before_retry, clock=clock, rng=rng)
        except ConnectionError as error:
            outcome = error
    for attempt, wait in waits:
        low = base_wait(policy, attempt)
        assert low <= wait <= low + policy.jitter
    if policy.timeout is not None:
        assert sum(w for _, w in waits) <= policy.timeout
    timed_out = policy.timeout is not None and len(calls) < min(k + 1, policy.max_attempts)
    if k < policy.max_attempts and not timed_out:
        assert outcome == "ok" and len(calls) == k + 1
    else:
        # the original error of the last attempt is re-raised, no attempt beyond the policy
        assert isinstance(outcome, ConnectionError) and str(outcome) == f"attempt {len(calls)}"
        assert len(calls) <= policy.max_attempts
        if not timed_out:
            assert len(calls) == policy.max_attempts
        else:  # the next wait would have ended after the timeout
            rejected_wait = base_wait(policy, len(calls)) + (rng.draws[-1] if policy.jitter else 0)
            assert clock.now + rejected_wait > policy.timeout
    assert [a for a, _ in waits] == list(range(1, len(calls)))


def test_permanent_errors_are_not_retried():
    for error in (
        TypeError("x"),
        PermissionError("denied"),
        ConfigError([]),
        RuntimeError("[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column ... cannot be resolved"),
    ):
        assert not is_retryable(error)
    assert is_retryable(ConnectionError("reset"))


def test_a_ppf_error_is_permanent_by_its_class_not_its_name():
    from pyspark_pipeline_framework.audit.sinks import UnknownAuditSink
    from pyspark_pipeline_framework.core import PermanentError, PpfError, SecretError
    from pyspark_pipeline_framework.core.errors import DataQualityError, EnvironmentProblem
    from pyspark_pipeline_framework.core.registry import ComponentNotFound
    from pyspark_pipeline_framework.quality.registry import UnknownCheck
    from pyspark_pipeline_framework.runner.jars import JarFetchError
    from pyspark_pipeline_framework.runtime.resilience.circuit_breaker import CircuitOpenError
    from pyspark_pipeline_framework.runtime.resilience.dead_letter import TooManyDeadRows
    from pyspark_pipeline_framework.runtime.resilience.ledger import ResumeRefused
    from pyspark_pipeline_framework.spark import TargetExists
    from pyspark_pipeline_framework.spark.staged_write import CommitFailed

    permanent = [
        ConfigError([]),
        CircuitOpenError("open"),
        DataQualityError("bad rows", {}),
        TooManyDeadRows("many"),
        TargetExists("out exists"),
        ResumeRefused("no"),
        ComponentNotFound("none"),
        UnknownCheck("none"),
        UnknownAuditSink("none"),
        EnvironmentProblem("no Java"),
        PermanentError("doomed"),
    ]
    for error in permanent:
        assert type(error).permanent and not is_retryable(error), error
    for error in (PpfError("flaky"), SecretError("Vault is down"), JarFetchError("offline"), CommitFailed("rename")):
        assert not type(error).permanent and is_retryable(error), error

    class OwnPermanent(PpfError):
        permanent = True

    class ConnectionLost(PpfError, TypeError):  # the class says retryable, whatever builtin it also is
        pass

    class CircuitOpenError(Exception):  # a user's class of the same name as ppf's: nothing special
        pass

    assert not is_retryable(OwnPermanent("x")) and is_retryable(ConnectionLost("x"))
    assert is_retryable(CircuitOpenError("x")) and is_retryable(type("ConfigError", (Exception,), {})("x"))


def test_spark_and_python_errors_are_classified_by_their_classes():
    from pyspark.errors import AnalysisException, IllegalArgumentException, ParseException

    # No error class marker in the messages: the class alone decides.
    for error in (
        AnalysisException("the table is read-only"),
        ParseException("bad SQL"),
        IllegalArgumentException("bad argument"),
        ModuleNotFoundError("no module"),
        AttributeError("no attribute"),
        NotImplementedError("later"),
    ):
        assert not is_retryable(error), error
    lookalike = type("AnalysisException", (Exception,), {})  # not Spark's: retried like any other error
    assert is_retryable(lookalike("flaky")) and is_retryable(OSError("reset"))
    assert not is_retryable(type("Unauthorized", (Exception,), {})("who are you"))  # an HTTP client's


def test_retry_on_limits_what_is_retried():
    assert is_retryable(ConnectionResetError("x"), ["ConnectionError"])  # base classes match
    assert is_retryable(TimeoutError("x"), ["builtins.TimeoutError"])
    assert not is_retryable(ValueError("x"), ["ConnectionError"])
    assert not is_retryable(TypeError("x"), ["TypeError"])  # permanent errors stay permanent
    policy = RetryPolicy(max_attempts=5, initial_delay=0, retry_on=["ConnectionError"])
    call, calls = failing_then_ok(2, ValueError)
    with pytest.raises(ValueError, match="attempt 1"), retries_without_waiting():
        call_with_retries(call, policy)
    assert calls == [1]


def run_text(text: str, plugins=()):
    folder = Path(tempfile.mkdtemp(prefix="ppf-retry-"))
    (folder / "pipeline.conf").write_text(textwrap.dedent(text), encoding="utf-8")
    return run_pipeline(validate(load_pipeline_file(folder / "pipeline.conf")), spark=NO_SPARK, extra_plugins=plugins)


@settings(max_examples=25, deadline=None)
@given(
    k=st.integers(0, 5),
    max_attempts=st.integers(1, 4),
    backoff=st.sampled_from(["exponential", "linear", "fixed"]),
    jitter_ms=st.integers(0, 500),
)
def test_through_the_executor_flaky_source_and_downstream(k, max_attempts, backoff, jitter_ms):
    tc.reset()
    calls = HookCalls()
    text = f"""
    pipeline {{
      name = "flaky"
      steps = [
        {{ name = "src", type = "{T}.Flaky", config {{ fail_times = {k} }}
           retry {{ max_attempts = {max_attempts}, backoff = {backoff}, initial_delay = "2s", max_delay = "5s", jitter = "{jitter_ms}ms" }} }}
        {{ name = "out", type = "{T}.Collect" }}
      ]
    }}
    """
    with retries_without_waiting():
        result = run_text(text, [calls])
    src = result.step("src")
    policy = RetryPolicy(max_attempts=max_attempts, backoff=backoff, initial_delay=2.0, max_delay=5.0)
    retries = calls.of("on_retry")
    for retry in retries:
        assert (
            base_wait(policy, retry["attempt"])
            <= retry["wait"]
            <= base_wait(policy, retry["attempt"]) + jitter_ms / 1000
        )
    if k < max_attempts:
        assert result.succeeded and src.attempts == k + 1 == tc.ATTEMPTS["src"]
        assert tc.WRITTEN["out"] == [1]
    else:
        assert src.status is StepStatus.FAILED and src.attempts == max_attempts == tc.ATTEMPTS["src"]
        assert src.error == f"ConnectionError: attempt {max_attempts}"  # the original error, re-raised
        assert result.step("out").status is StepStatus.NOT_RUN and "out" not in tc.WRITTEN
    assert [retry["attempt"] for retry in retries] == list(range(1, src.attempts))


IN_A_FRESH_PROCESS = """
import sys
from pyspark_pipeline_framework.core.spec import RetryPolicy
from pyspark_pipeline_framework.runtime.resilience.retry import call_with_retries, silence_stamina_log_lines

silence_stamina_log_lines()
attempts = []
assert call_with_retries(lambda: "done", RetryPolicy(max_attempts=1), on_attempt=attempts.append) == "done"
assert attempts == [1]
assert "stamina" not in sys.modules, "a single-attempt step imported stamina"

from pyspark_pipeline_framework.runtime.resilience.retry import is_retryable
assert not is_retryable(TypeError("x")) and is_retryable(ConnectionError("x"))
assert "pyspark" not in sys.modules, "classifying an error imported pyspark"

failures = iter([ConnectionError("flaky")])
def flaky():
    error = next(failures, None)
    if error:
        raise error
    return "ok"
assert call_with_retries(flaky, RetryPolicy(max_attempts=2, initial_delay=0.0)) == "ok"
import stamina
assert stamina.instrumentation.get_on_retry_hooks() == (), "stamina would log every retry a second time"
"""


def test_single_attempt_steps_never_import_stamina_or_pyspark_and_the_cli_silences_its_own_retry_lines():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", IN_A_FRESH_PROCESS], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
