"""Retrying a failing step: the policy's waits, which errors are worth another attempt, the loop.

stamina drives the loop (attempt counting, re-raising the original error, sleeping, its test
mode).  The wait itself is computed here and handed to stamina through its *backoff hook*: the
``on=`` callable may return a number of seconds that replaces stamina's own backoff.  Two reasons:
stamina's built-in backoff is exponential only (no linear or fixed growth), and the
``on_retry`` hook and the ``step_retry`` log line must know the wait *before* it is slept.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from pyspark_pipeline_framework.core.errors import ConfigError, PermanentError
from pyspark_pipeline_framework.core.spec import RetryPolicy

T = TypeVar("T")

_stamina_log_lines = True


def silence_stamina_log_lines() -> None:
    """Every retry is logged as ``step_retry`` (with the step's name); stamina's own line would
    repeat it.  stamina's hooks are global, so only the CLI, which owns its process, asks for this."""
    global _stamina_log_lines
    _stamina_log_lines = False


def _stamina():
    # Imported on the first step that may retry: a single-attempt run never pays for it.
    import stamina

    if not _stamina_log_lines:
        stamina.instrumentation.set_on_retry_hooks([])
    return stamina

#: Error class names that retrying cannot fix: the code or the data is wrong, not the weather.
_PERMANENT_ERROR_NAMES = {
    "AnalysisException",  # missing column or table, type mismatch
    "ParseException",
    "IllegalArgumentException",
    "PermissionError",  # authentication and authorisation failures
    "AuthenticationError",
    "AuthorizationError",
    "Unauthorized",
    "Forbidden",
    "NotImplementedError",
    "TypeError",
    "AttributeError",
    "NameError",
    "ImportError",
    "ModuleNotFoundError",
    "CircuitOpenError",
    "ConfigError",
    "DataQualityError",  # the data fails its checks; reading it again gives the same answer
    "TooManyDeadRows",
    "TargetExists",  # a sink's mode = error met an existing target
}
#: Spark reports analysis errors through several classes; their error classes are stable.
_PERMANENT_ERROR_MARKERS = ("UNRESOLVED_COLUMN", "TABLE_OR_VIEW_NOT_FOUND", "PATH_NOT_FOUND")


def delay_before_attempt(policy: RetryPolicy, attempt: int, rng: random.Random | None = None) -> float:
    """Seconds to wait before attempt number ``attempt`` (2 for the first retry)."""
    retry_number = attempt - 1
    if policy.backoff == "exponential":
        # Capped before exponentiating so that attempt 2000 does not overflow.
        base = policy.initial_delay * (2 ** min(retry_number - 1, 64))
    elif policy.backoff == "linear":
        base = policy.initial_delay * retry_number
    else:
        base = policy.initial_delay
    base = min(base, policy.max_delay)
    if policy.jitter:
        base += (rng or random).uniform(0, policy.jitter)
    return float(base)


def _names(error: BaseException) -> set[str]:
    return {name for cls in type(error).__mro__ for name in (cls.__name__, f"{cls.__module__}.{cls.__qualname__}")}


def is_retryable(error: BaseException, retry_on: list[str] | None = None) -> bool:
    """False for errors that another attempt cannot fix, and for errors ``retry_on`` leaves out.

    ``retry_on`` lists error class names (``ConnectionError``) or dotted paths
    (``requests.exceptions.Timeout``), matched against the error's class and its bases; empty or
    ``None`` means every error that is not permanent.  Permanent errors are never retried.
    """
    if not isinstance(error, Exception) or isinstance(error, (ConfigError, PermanentError)):
        return False
    names = _names(error)
    if names & _PERMANENT_ERROR_NAMES:
        return False
    if any(marker in str(error) for marker in _PERMANENT_ERROR_MARKERS):
        return False
    return not retry_on or bool(names & set(retry_on))


def call_with_retries(
    call: Callable[[], T],
    policy: RetryPolicy,
    *,
    before_retry: Callable[[int, float, Exception], None] = lambda attempt, wait, error: None,
    on_attempt: Callable[[int], None] = lambda attempt: None,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> T:
    """Call ``call`` until it succeeds or the policy gives up; then re-raise the last error.

    ``on_attempt(n)`` runs before attempt ``n``; ``before_retry(n, wait, error)`` runs after
    attempt ``n`` failed and before the wait.  The overall ``timeout`` counts from the first
    attempt: a retry whose wait would end after it is not started.  Under
    ``stamina.set_testing(True, ...)`` stamina does not sleep, while ``before_retry`` still sees
    the wait the policy chose: tests capture waits without sleeping.
    """
    if policy.max_attempts <= 1:  # nothing to retry; the timeout only bounds retries
        on_attempt(1)
        return call()
    started = clock()
    attempt_number = 0

    def backoff_or_give_up(error: Exception) -> bool | float:
        if attempt_number >= policy.max_attempts or not is_retryable(error, policy.retry_on):
            return False
        wait = delay_before_attempt(policy, attempt_number + 1, rng)
        if policy.timeout is not None and clock() - started + wait > policy.timeout:
            return False
        before_retry(attempt_number, wait, error)
        return wait

    # stamina's own timeout is off: the one above also knows the coming wait, and survives test mode.
    for attempt in _stamina().retry_context(on=backoff_or_give_up, attempts=policy.max_attempts, timeout=None,
                                         wait_jitter=0.0):
        with attempt:
            attempt_number = attempt.num
            on_attempt(attempt_number)
            output = call()
    return output
