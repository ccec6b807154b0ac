"""Where run state lives: the run ledger, its run locks, step checkpoints and circuit-breaker state files.

A state location is a local path (or a ``file://`` URL), served by ppf itself, or a URL whose
scheme a plugin serves: a plugin registers a callable in the ``ppf.state_storage`` entry-point
group under the scheme's name (ppf-plugins-aws registers ``s3``, ``s3a`` and ``s3n``), and the
callable turns the location into a :class:`StateStorage`.  Plugins are found by name only, so
checking a location imports nothing.

What every storage promises, whatever is behind it:

- a whole file written with :meth:`~StateStorage.write_text` is replaced atomically: a reader sees
  the old text or the new, never a torn one;
- :meth:`~StateStorage.update` is a read-modify-write that no other process's update can interleave;
- a run lock (:meth:`~StateStorage.run_lock`) is held by one process at a time, and once its holder
  has died (killed, out of memory, its machine gone) :meth:`~StateStorage.lock_held` says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

from pyspark_pipeline_framework.core.entry_points import entry_points
from pyspark_pipeline_framework.core.errors import EnvironmentProblem

STATE_STORAGE_GROUP = "ppf.state_storage"

#: The distributions that serve well-known schemes, named when none is installed.
KNOWN_PROVIDERS = {"s3": "ppf-plugins-aws", "s3a": "ppf-plugins-aws", "s3n": "ppf-plugins-aws"}


class RunStateLock(Protocol):
    """The lock a run's process holds on its ledger entry while the run lives."""

    def acquire(self) -> None:
        """Take the lock; :class:`BlockingIOError` when another live process holds it."""

    def release(self) -> None:
        """Give the lock up (nothing happens when it is not held)."""


class StateStorage(Protocol):
    """A directory of run state; names are relative to it and ``/``-separated."""

    #: The location it was opened with, as the user wrote it (for messages).
    root: str

    def location(self, name: str) -> str:
        """Where ``name`` is, as Spark reads and writes it (step checkpoints are written there by Spark)."""

    def read_text(self, name: str) -> str | None:
        """The file's text, or ``None`` when there is no such file."""

    def write_text(self, name: str, text: str) -> None:
        """Create or replace the file atomically."""

    def names(self, suffix: str) -> list[str]:
        """Names of the files directly in the root that end with ``suffix``, sorted."""

    def exists(self, name: str) -> bool:
        """Whether ``name`` is a file or a non-empty directory (``""``: the root itself)."""

    def remove_tree(self, name: str) -> bool:
        """Remove the directory ``name`` and everything below it; ``True`` when there was something."""

    def update(self, name: str, change: Callable[[str | None], str]) -> str:
        """Replace the file by ``change(current text or None)``, atomically across processes; return the new text.

        ``change`` may be called more than once (when another process changed the file meanwhile).
        """

    def run_lock(self, name: str) -> RunStateLock:
        """The run lock at ``name`` (not taken yet)."""

    def lock_held(self, name: str) -> bool:
        """Whether a live process holds the run lock at ``name``; ``False`` when there is none."""

    def spark_settings(self) -> Mapping[str, Any] | None:
        """What a Spark session needs to read and write checkpoints here (``{"packages": [...],
        "conf": {...}}``, as a ``ppf_spark_session_settings`` answer), or ``None``."""


def scheme_of(location: str) -> str | None:
    """The URL scheme of a state location, lower-case; ``None`` for a local path (or ``file://``)."""
    scheme = urlsplit(location.strip()).scheme.lower()
    if len(scheme) <= 1 or scheme == "file":  # one letter: a Windows drive
        return None
    return scheme


def served_schemes() -> list[str]:
    """The URL schemes installed plugins serve (their entry-point names; nothing is imported)."""
    return sorted({entry.name.lower() for entry in entry_points(group=STATE_STORAGE_GROUP)})


def unserved_location(location: str) -> str | None:
    """What is wrong with a state location whose scheme no installed plugin serves, or ``None``."""
    scheme = scheme_of(location)
    if scheme is None or scheme in served_schemes():
        return None
    provider = KNOWN_PROVIDERS.get(scheme)
    served = ", ".join(f"{s}://" for s in served_schemes()) or "none"
    where = (
        f"{provider} serves {scheme}:// (pip install {provider})"
        if provider
        else f"no ppf plugin is known to serve {scheme}://; give a local path or a shared mount instead"
    )
    return (
        f"run state cannot be kept at {location!r}: no installed plugin serves {scheme}:// URLs "
        f"(served: local paths, {served}); {where}"
    )


def plugin_storage(location: str) -> StateStorage:
    """The storage a plugin provides for a URL location; :class:`EnvironmentProblem` when none does."""
    scheme = scheme_of(location)
    problem = unserved_location(location)
    if scheme is None or problem is not None:
        raise EnvironmentProblem(problem or f"{location!r} is a local path, not a URL")
    entry = next(e for e in entry_points(group=STATE_STORAGE_GROUP) if e.name.lower() == scheme)
    try:
        factory = entry.load()
    except Exception as exc:
        raise EnvironmentProblem(
            f"the plugin serving {scheme}:// run state ({entry.value}) cannot be loaded: {exc}",
            hint="reinstall the plugin that provides it",
        ) from exc
    return factory(location)
