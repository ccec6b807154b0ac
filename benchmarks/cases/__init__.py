"""The cases of the suite: each measures one figure family against its target.

A case module has a docstring (its first line is what ``python -m benchmarks list`` shows),
``DEFAULT_PAIRS``, ``measure(pairs) -> dict`` (the record's ``pairs`` or ``runs``, ``params``,
``figures`` and ``raw``) and ``FIGURES``, the rows it contributes to the summary table.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: In the summary table's order: the comparisons with hand-written PySpark first.
CASES = (
    "pipeline",
    "cluster",
    "quickstart",
    "streaming",
    "observability",
    "isolation",
    "fan_out",
    "cli_startup",
    "validate",
    "time_to_jvm",
)
#: ``python -m benchmarks run`` with no case names: cheap, JVM-free cases first, so a broken set-up shows early.
RUN_ORDER = (
    "cli_startup",
    "validate",
    "time_to_jvm",
    "fan_out",
    "pipeline",
    "observability",
    "isolation",
    "quickstart",
    "streaming",
    "cluster",
)


def load(name: str) -> ModuleType:
    if name not in CASES:
        raise KeyError(f"no benchmark case {name!r}; the cases are {', '.join(CASES)}")
    return importlib.import_module(f"benchmarks.cases.{name}")


def command(name: str) -> str:
    """How to repeat a case's measurement, with ``{pairs}`` left to fill in."""
    return f"python -m benchmarks run {name} --pairs {{pairs}}"
