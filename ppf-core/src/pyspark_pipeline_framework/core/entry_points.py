"""Installed entry points of ppf's groups: read once per process, and kept between processes in a cache file.

``importlib.metadata`` finds them by importing itself (and the ``email`` package it parses
metadata with) and reading every installed distribution's files: tens of milliseconds with
pyspark and its neighbours installed, most of what ``ppf validate`` spends before reading the
file.  So the entry points of the ``ppf.*`` groups, with their distribution's name and version,
are cached, keyed by the installation's fingerprint: each ``sys.path`` location's distribution
metadata folders (``*.dist-info``, ``*.egg-info``) and their modification times.  Installing,
upgrading or removing a distribution changes the fingerprint, and the next process reads
``importlib.metadata`` again.  A cache that cannot be read or written is not used: the answer
is always ``importlib.metadata``'s.

The cache lives in ``$PPF_CACHE_DIR`` (default ``~/.cache/ppf``, beside the jar cache), one
file per interpreter and search path; a file not rewritten for :data:`STALE_AFTER_S` (a
virtualenv since deleted, most likely) is removed when another one is written.
``PPF_CACHE_DIR=off`` turns it off.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import os
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

CACHE_ENV = "PPF_CACHE_DIR"
#: The groups ppf reads (``ppf.components``, ``ppf.plugins``, ``ppf.checks``...): the ones cached.
GROUP_PREFIX = "ppf."
#: Bumped when the cache file's layout changes, so an older file is never misread.
FORMAT = 1
_METADATA_SUFFIXES = (".dist-info", ".egg-info")
#: Age after which another environment's cache file is removed (it is rewritten if still in use).
STALE_AFTER_S = 30 * 24 * 3600


@attrs.frozen
class InstalledEntryPoint:
    """One entry point, and the distribution that declares it."""

    name: str
    value: str  # "module:attribute"
    group: str
    distribution: str  # the name its metadata gives, e.g. "ppf-plugins-delta"
    version: str

    @property
    def module(self) -> str:
        return self.value.partition(":")[0].strip()

    def load(self) -> Any:
        """Import the module and return the object the entry point names (what ``EntryPoint.load`` does)."""
        return load_target(self.value)


def load_target(value: str) -> Any:
    """The object an entry point's value names: ``"module"``, or ``"module:attribute.path"``."""
    module_name, _, attribute = value.partition(":")
    obj: Any = importlib.import_module(module_name.strip())
    for part in attribute.split("[")[0].strip().split(".") if attribute.strip() else ():
        obj = getattr(obj, part)
    return obj


def entry_points(*, group: str) -> list[InstalledEntryPoint]:
    """The installed entry points of ``group`` (one of ppf's), in ``importlib.metadata``'s order."""
    if not group.startswith(GROUP_PREFIX):
        raise ValueError(f"{group!r} is not one of ppf's entry-point groups ({GROUP_PREFIX}*)")
    return [ep for ep in _installed() if ep.group == group]


@functools.cache
def _installed() -> tuple[InstalledEntryPoint, ...]:
    cache = cache_file()
    if cache is None:
        return read_metadata()
    fingerprint = installation_fingerprint()
    cached = _read(cache, fingerprint)
    if cached is not None:
        return cached
    found = read_metadata()
    _write(cache, fingerprint, found)
    return found


def cache_file() -> Path | None:
    """Where this interpreter's cache is kept, or ``None`` when caching is off."""
    root = os.environ.get(CACHE_ENV)
    if root == "off":
        return None
    if not root:
        root = os.path.expanduser("~/.cache/ppf")
    # One file per interpreter and search path: two virtualenvs never overwrite each other's cache.
    key = zlib.crc32("\0".join([sys.executable, *sys.path]).encode())
    return Path(root) / f"entry-points-{key:08x}.json"


def installation_fingerprint() -> list[list[Any]]:
    """Every ``sys.path`` location's distribution metadata folders, with their modification times."""
    fingerprint: list[list[Any]] = []
    for location in sys.path:
        for name, mtime in _metadata_entries(location or "."):
            fingerprint.append([location, name, mtime])
    return fingerprint


def _metadata_entries(location: str) -> Iterator[tuple[str, int]]:
    try:
        with os.scandir(location) as entries:
            found = [(e.name, e.stat().st_mtime_ns) for e in entries if e.name.endswith(_METADATA_SUFFIXES)]
    except NotADirectoryError:  # a zip file on sys.path: its own time stands for what it holds
        yield "", os.stat(location).st_mtime_ns
        return
    except OSError:
        return
    yield from sorted(found)


def read_metadata() -> tuple[InstalledEntryPoint, ...]:
    """The entry points of ppf's groups as ``importlib.metadata`` finds them now, without the cache."""
    import importlib.metadata

    found: dict[InstalledEntryPoint, None] = {}  # ordered, without repeats
    owners: dict[int, tuple[str, str]] = {}  # parsing METADATA once per distribution, not per entry point
    installed = importlib.metadata.entry_points()  # SelectableGroups on Python 3.11, EntryPoints later: both select
    ppf_groups = sorted(group for group in installed.groups if group.startswith(GROUP_PREFIX))
    for ep in (ep for group in ppf_groups for ep in installed.select(group=group)):
        dist = ep.dist
        if dist is None:
            owner = ("?", "?")
        else:
            if id(dist) not in owners:
                metadata = dist.metadata
                owners[id(dist)] = (metadata["Name"], metadata["Version"])
            owner = owners[id(dist)]
        found[InstalledEntryPoint(ep.name, ep.value, ep.group, *owner)] = None
    return tuple(found)


def _read(cache: Path, fingerprint: list[list[Any]]) -> tuple[InstalledEntryPoint, ...] | None:
    try:
        stored = json.loads(cache.read_text())
        if stored["format"] != FORMAT or stored["fingerprint"] != fingerprint:
            return None
        return tuple(InstalledEntryPoint(**fields) for fields in stored["entry_points"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(cache: Path, fingerprint: list[list[Any]], found: tuple[InstalledEntryPoint, ...]) -> None:
    document = {"format": FORMAT, "fingerprint": fingerprint, "entry_points": [attrs.asdict(ep) for ep in found]}
    partial = cache.with_name(f"{cache.name}.{os.getpid()}.partial")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps(document))
        os.replace(partial, cache)  # readers see the old file or the new one, never half of one
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        return
    _remove_stale(cache)


def _remove_stale(cache: Path) -> None:
    """Other environments' cache files not rewritten for :data:`STALE_AFTER_S`: the folder does not grow forever."""
    now = time.time()
    for other in cache.parent.glob("entry-points-*.json"):
        with contextlib.suppress(OSError):  # gone meanwhile, or not ours to remove
            if other != cache and now - other.stat().st_mtime > STALE_AFTER_S:
                other.unlink()
