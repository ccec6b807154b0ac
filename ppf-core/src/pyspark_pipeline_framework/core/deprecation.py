"""Deprecated public names: they keep working, with a ``DeprecationWarning`` naming the replacement.

The compatibility promise (``docs/api.md``): a public name is deprecated for at least one minor
release before it is removed.  A module keeps such a name out of its ``__all__`` and answers it
from its ``__getattr__``, which :func:`deprecated_names` builds.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import attrs


@attrs.frozen
class Renamed:
    """A public name that now has another: ``old`` still gives ``replacement``'s object."""

    replacement: str
    #: What to tell a reader beyond the new name (why, what not to confuse it with).
    note: str = ""


def deprecated_names(module: str, renamed: Mapping[str, Renamed], namespace: Mapping[str, Any]) -> Callable[[str], Any]:
    """A module ``__getattr__``: each old name of ``renamed`` warns and gives its replacement from ``namespace``."""

    def __getattr__(name: str) -> Any:
        if name in renamed:
            entry = renamed[name]
            note = f" ({entry.note})" if entry.note else ""
            warnings.warn(
                f"{module}.{name} is deprecated and will be removed: use {entry.replacement}{note}",
                DeprecationWarning,
                stacklevel=2,
            )
            return namespace[entry.replacement]
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__
