"""Retrying a failing step: the policy's waits, which errors are worth another attempt, the loop.

stamina drives the loop (attempt counting, re-raising the original error, sleeping, its test
mode).  The wait itself is computed here and handed to stamina through its *backoff hook*: the
``on=`` callable may return a number of seconds that replaces stamina's own backoff.  Two reasons:
stamina's built-in backoff is exponential only (no linear or fixed growth), and the
``on_retry`` hook and the ``step_retry`` log line must know the wait *before* it is slept.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from pyspark_pipeline_framework.core.errors import PpfError, error_message
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


#: Python's errors of wrong code or missing rights: the same call fails the same way again.
_PERMANENT_BUILTINS = (PermissionError, NotImplementedError, TypeError, AttributeError, NameError, ImportError)
#: Authentication failures of libraries ppf does not depend on (HTTP and database clients), by class name.
_PERMANENT_FOREIGN_NAMES = frozenset({"AuthenticationError", "AuthorizationError", "Unauthorized", "Forbidden"})
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


def _spark_permanent_errors() -> tuple[type[BaseException], ...]:
    """Spark's errors of a wrong query (missing column or table, bad SQL, bad argument).

    Looked up only once pyspark is imported: without it, no error can be one of them.
    """
    errors = sys.modules.get("pyspark.errors")
    if errors is None:
        return ()
    return (errors.AnalysisException, errors.IllegalArgumentException)  # ParseException is an AnalysisException


def is_permanent(error: BaseException) -> bool:
    """Whether another attempt cannot fix ``error``.

    A ppf error says so by its class (:attr:`PpfError.permanent`); other errors are permanent
    when they are Spark's analysis errors, Python's errors of wrong code or missing rights, or
    carry one of Spark's error classes of a missing column, table or path.
    """
    if isinstance(error, PpfError):
        return error.permanent
    if isinstance(error, _PERMANENT_BUILTINS + _spark_permanent_errors()):
        return True
    if _PERMANENT_FOREIGN_NAMES & {cls.__name__ for cls in type(error).__mro__}:
        return True
    return any(marker in error_message(error) for marker in _PERMANENT_ERROR_MARKERS)


def is_retryable(error: BaseException, retry_on: list[str] | None = None) -> bool:
    """False for errors that another attempt cannot fix, and for errors ``retry_on`` leaves out.

    ``retry_on`` lists error class names (``ConnectionError``) or dotted paths
    (``requests.exceptions.Timeout``), matched against the error's class and its bases; empty or
    ``None`` means every error that is not permanent.  Permanent errors are never retried.
    """
    if not isinstance(error, Exception) or is_permanent(error):
        return False
    return not retry_on or bool(_names(error) & set(retry_on))


def call_with_retries(
    call: Callable[[], T],
    policy: RetryPolicy,
    *,
    before_retry: Callable[[int, float, Exception], None] = lambda attempt, wait, error: None,
    on_attempt: Callable[[int], None] = lambda attempt: None,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
    stop: threading.Event | None = None,
) -> T:
    """Call ``call`` until it succeeds or the policy gives up; then re-raise the last error.

    ``on_attempt(n)`` runs before attempt ``n``; ``before_retry(n, wait, error)`` runs after
    attempt ``n`` failed and before the wait.  The overall ``timeout`` counts from the first
    attempt: a retry whose wait would end after it is not started.  Under
    ``stamina.set_testing(True, ...)`` stamina does not sleep, while ``before_retry`` still sees
    the wait the policy chose: tests capture waits without sleeping.

    ``stop`` is the run's stop request (SIGTERM, SIGINT): once it is set, a failed attempt is not
    retried (its error is most likely the cancellation of its Spark jobs), and a wait between
    attempts ends at once with the last error.
    """
    if policy.max_attempts <= 1:  # nothing to retry; the timeout only bounds retries
        on_attempt(1)
        return call()
    started = clock()
    attempt_number = 0

    def stopped() -> bool:
        return stop is not None and stop.is_set()

    def backoff_or_give_up(error: Exception) -> bool | float:
        if stopped() or attempt_number >= policy.max_attempts or not is_retryable(error, policy.retry_on):
            return False
        wait = delay_before_attempt(policy, attempt_number + 1, rng)
        if policy.timeout is not None and clock() - started + wait > policy.timeout:
            return False
        before_retry(attempt_number, wait, error)
        if stop is None or _stamina().is_testing():
            return wait
        # Slept here rather than by stamina, so that a stop request ends the wait at once.
        return False if stop.wait(wait) else 0.0

    # stamina's own timeout is off: the one above also knows the coming wait, and survives test mode.
    for attempt in _stamina().retry_context(
        on=backoff_or_give_up, attempts=policy.max_attempts, timeout=None, wait_jitter=0.0
    ):
        with attempt:
            attempt_number = attempt.num
            on_attempt(attempt_number)
            output = call()
    return output
