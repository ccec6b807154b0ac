"""Installed entry points, read once per process.

Reading them scans the metadata of every installed distribution (tens of milliseconds in a
typical environment); a run looks up components, hook plugins and checks, so one scan is shared.
"""

from __future__ import annotations

import functools
import importlib.metadata
from typing import Protocol


class _Selectable(Protocol):
    """What ``importlib.metadata.entry_points()`` returns: ``SelectableGroups`` on Python 3.11, ``EntryPoints`` later."""

    def select(self, *, group: str) -> importlib.metadata.EntryPoints: ...


@functools.cache
def _installed() -> _Selectable:
    return importlib.metadata.entry_points()


def entry_points(*, group: str) -> importlib.metadata.EntryPoints:
    """The entry points of ``group`` (same as :func:`importlib.metadata.entry_points`, cached)."""
    return _installed().select(group=group)
