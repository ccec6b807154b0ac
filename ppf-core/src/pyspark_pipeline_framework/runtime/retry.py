"""Retry policy arithmetic and the decision whether an error is worth retrying."""

from __future__ import annotations

import random

from ..core.errors import ConfigError
from ..core.spec import RetryPolicy

#: Error class names that retrying cannot fix: the code or the data is wrong, not the weather.
_PERMANENT_ERROR_NAMES = {
    "AnalysisException",  # missing column or table, type mismatch
    "ParseException",
    "IllegalArgumentException",
    "PermissionError",
    "NotImplementedError",
    "TypeError",
    "AttributeError",
    "NameError",
    "ImportError",
    "ModuleNotFoundError",
    "CircuitOpenError",
}


def delay_before_attempt(policy: RetryPolicy, attempt: int, rng: random.Random | None = None) -> float:
    """Seconds to wait before attempt number ``attempt`` (2 for the first retry)."""
    retry_number = attempt - 1
    if policy.backoff == "exponential":
        base = policy.initial_delay * (2 ** (retry_number - 1))
    elif policy.backoff == "linear":
        base = policy.initial_delay * retry_number
    else:
        base = policy.initial_delay
    base = min(base, policy.max_delay)
    if policy.jitter:
        base += (rng or random).uniform(0, policy.jitter)
    return base


def is_retryable(error: BaseException) -> bool:
    """False for errors that another attempt cannot fix."""
    if isinstance(error, ConfigError):
        return False
    for cls in type(error).__mro__:
        if cls.__name__ in _PERMANENT_ERROR_NAMES:
            return False
    text = str(error)
    # Spark reports analysis errors through several classes; their error classes are stable.
    return not any(marker in text for marker in ("UNRESOLVED_COLUMN", "TABLE_OR_VIEW_NOT_FOUND", "PATH_NOT_FOUND"))
