"""Run state in a local directory (or a shared mount), and opening run state wherever it lives.

Files are replaced atomically by writing a temporary file beside them and renaming it; updates
take turns with an exclusive ``flock`` on ``<file>.lock``; run locks are ``flock`` locks too
(:mod:`.liveness`), which the operating system frees when their process dies.  Any other URL
scheme is served by a plugin (:mod:`pyspark_pipeline_framework.core.state_storage`).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from pyspark_pipeline_framework.core.state_storage import StateStorage, plugin_storage, scheme_of
from pyspark_pipeline_framework.runtime.resilience.liveness import RunLock, held_by_a_live_process


class LocalStateStorage:
    """Run state in a directory of the local filesystem (created on first write)."""

    def __init__(self, directory: str | Path):
        self.root = str(directory)
        text = str(directory)
        self.directory = Path(urlsplit(text).path if text.startswith("file://") else text)

    def path(self, name: str) -> Path:
        return self.directory / name if name else self.directory

    def location(self, name: str) -> str:
        return str(self.path(name).resolve())

    def read_text(self, name: str) -> str | None:
        try:
            return self.path(name).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def write_text(self, name: str, text: str) -> None:
        target = self.path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, target)

    def names(self, suffix: str) -> list[str]:
        return sorted(path.name for path in self.directory.glob(f"*{suffix}"))

    def exists(self, name: str) -> bool:
        return self.path(name).exists()

    def remove_tree(self, name: str) -> bool:
        folder = self.path(name)
        if not folder.exists():
            return False
        shutil.rmtree(folder, ignore_errors=True)
        return True

    def update(self, name: str, change: Callable[[str | None], str]) -> str:
        with self._exclusive(self.path(name)):
            text = change(self.read_text(name))
            self.write_text(name, text)
        return text

    @contextmanager
    def _exclusive(self, target: Path) -> Iterator[None]:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target.with_name(target.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def run_lock(self, name: str) -> RunLock:
        return RunLock(self.path(name))

    def lock_held(self, name: str) -> bool:
        return held_by_a_live_process(self.path(name))

    def spark_settings(self) -> None:
        return None  # Spark reads and writes local paths as they are


def open_state_storage(location: str | Path) -> StateStorage:
    """The storage of a state location: a local directory, or what a plugin serves for its URL scheme."""
    if isinstance(location, Path) or scheme_of(location) is None:
        return LocalStateStorage(location)
    return plugin_storage(location)


def split_location(location: str | Path) -> tuple[StateStorage, str]:
    """The storage of a file's directory, and the file's name in it."""
    text = str(location)
    if isinstance(location, Path) or scheme_of(text) is None:
        path = Path(text)
        return LocalStateStorage(path.parent), path.name
    parent, _, name = text.rstrip("/").rpartition("/")
    return plugin_storage(parent), name


def location_exists(location: str) -> bool:
    """Whether a file or directory recorded by its location (a checkpoint) is still there."""
    return open_state_storage(location).exists("")
