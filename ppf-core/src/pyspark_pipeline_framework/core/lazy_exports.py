"""A package ``__getattr__`` that imports each public name's submodule on first use.

Plugin packages export their components and hooks from the package (``from ppf_delta import
DeltaSink``), but loading one entry point (``ppf_delta.spark_settings``) must not import the
siblings: a run pays only for what it uses.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, distribution: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """``__getattr__`` for ``package``: ``exports`` maps a public name to its submodule.

    ``__version__`` is the installed version of ``distribution`` (``0.0.0`` in an uninstalled tree).
    """

    def __getattr__(name: str) -> Any:
        if name == "__version__":
            from importlib.metadata import PackageNotFoundError, version

            try:
                return version(distribution)
            except PackageNotFoundError:
                return "0.0.0"
        if name in exports:
            return getattr(importlib.import_module(f".{exports[name]}", package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
