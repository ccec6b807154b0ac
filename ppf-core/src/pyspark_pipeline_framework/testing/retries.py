"""Retries in tests: every attempt, none of the waiting."""

from __future__ import annotations

from typing import Any


def retries_without_waiting() -> Any:
    """Context manager: retries keep each policy's attempt count but sleep no wait (stamina's test mode).

    ``on_retry`` hooks still receive the wait the policy chose, so tests capture waits instead of
    sleeping them.
    """
    import stamina

    return stamina.set_testing(True, attempts=1_000_000, cap=True)
