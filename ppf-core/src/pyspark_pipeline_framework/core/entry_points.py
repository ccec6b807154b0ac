"""Installed entry points, read once per process.

Reading them scans the metadata of every installed distribution (tens of milliseconds in a
typical environment); a run looks up components, hook plugins and checks, so one scan is shared.
"""

from __future__ import annotations

import functools
import importlib.metadata


@functools.cache
def _installed() -> importlib.metadata.EntryPoints:
    return importlib.metadata.entry_points()


def entry_points(*, group: str) -> importlib.metadata.EntryPoints:
    """The entry points of ``group`` (same as :func:`importlib.metadata.entry_points`, cached)."""
    return _installed().select(group=group)
