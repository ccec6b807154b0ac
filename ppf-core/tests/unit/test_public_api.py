"""The compatibility promise of ``docs/api.md``, checked against a recorded snapshot of the public API.

``public_api.json`` records the names in the ``__all__`` of the public modules and the arguments
of every hook specification.  A recorded name may leave ``__all__`` only as a deprecated name that
still answers, with a ``DeprecationWarning``; a recorded hook keeps every recorded argument.
Additions must be recorded too, so that they are promised from then on:

    python ppf-core/tests/unit/test_public_api.py --update

rewrites the snapshot (it refuses while something recorded is missing).  Removing a deprecated
name once its deprecation period is over means deleting it from the snapshot by hand.
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).with_name("public_api.json")
MODULES = (
    "pyspark_pipeline_framework.api",
    "pyspark_pipeline_framework.core",
    "pyspark_pipeline_framework.spark",
    "pyspark_pipeline_framework.testing",
)
UPDATE = "python ppf-core/tests/unit/test_public_api.py --update"

Api = dict[str, Any]


def current_api() -> Api:
    """The public names and hook arguments of the installed ppf-core."""
    from pyspark_pipeline_framework.core import hookspecs
    from pyspark_pipeline_framework.core.plugins import hook_names

    return {
        "modules": {name: sorted(importlib.import_module(name).__all__) for name in MODULES},
        "hooks": {name: list(inspect.signature(getattr(hookspecs, name)).parameters) for name in hook_names()},
    }


def recorded_api() -> Api:
    return json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def answers_as_deprecated(module: str, name: str) -> bool:
    """Whether ``module.name`` still gives an object, with a DeprecationWarning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            getattr(importlib.import_module(module), name)
        except AttributeError:
            return False
    return any(issubclass(warning.category, DeprecationWarning) for warning in caught)


def broken_promises(recorded: Api, current: Api, deprecated: Callable[[str, str], bool]) -> list[str]:
    """What was recorded and is gone: a public name without deprecation, a hook, a hook's argument."""
    problems = []
    for module, names in recorded["modules"].items():
        now = set(current["modules"].get(module, ()))
        for name in names:
            if name not in now and not deprecated(module, name):
                problems.append(
                    f"{module}.{name} was removed: keep it answering with a DeprecationWarning "
                    "(core.deprecation.deprecated_names) for at least one minor release"
                )
    for hook, arguments in recorded["hooks"].items():
        if hook not in current["hooks"]:
            problems.append(f"hook {hook} was removed: hooks are never removed or renamed")
            continue
        lost = [argument for argument in arguments if argument not in current["hooks"][hook]]
        if lost:
            problems.append(f"hook {hook} lost argument(s) {', '.join(lost)}: hook arguments are only ever added")
    return problems


def unrecorded(recorded: Api, current: Api) -> list[str]:
    """Public names, hooks and hook arguments that the snapshot does not promise yet."""
    additions = []
    for module, names in current["modules"].items():
        known = set(recorded["modules"].get(module, ()))
        additions.extend(f"{module}.{name}" for name in names if name not in known)
    for hook, arguments in current["hooks"].items():
        known = recorded["hooks"].get(hook)
        if known is None:
            additions.append(f"hook {hook}")
        else:
            additions.extend(f"hook {hook}: argument {argument}" for argument in arguments if argument not in known)
    return additions


def updated(recorded: Api, current: Api, deprecated: Callable[[str, str], bool]) -> Api:
    """The snapshot with the additions recorded; deprecated names stay recorded until removed by hand."""
    modules = {}
    for module, names in current["modules"].items():
        kept = [name for name in recorded["modules"].get(module, ()) if name not in names and deprecated(module, name)]
        modules[module] = sorted({*names, *kept})
    return {"modules": modules, "hooks": current["hooks"]}


def test_no_recorded_public_name_hook_or_hook_argument_is_gone():
    assert broken_promises(recorded_api(), current_api(), answers_as_deprecated) == []


def test_every_public_name_and_hook_argument_is_recorded():
    additions = unrecorded(recorded_api(), current_api())
    assert additions == [], f"new public API: record it with `{UPDATE}`"


def test_a_removed_name_hook_or_argument_breaks_the_promise():
    current = current_api()
    recorded = json.loads(json.dumps(current))
    recorded["modules"]["pyspark_pipeline_framework.spark"].append("write_atomically")  # "removed" since
    recorded["hooks"]["before_step"].append("attempt")
    recorded["hooks"]["before_run"] = ["pipeline_name"]
    problems = broken_promises(recorded, current, answers_as_deprecated)
    assert [problem.split(" ", 2)[:2] for problem in problems] == [
        ["pyspark_pipeline_framework.spark.write_atomically", "was"],
        ["hook", "before_step"],
        ["hook", "before_run"],
    ]
    assert "lost argument(s) attempt" in problems[1]
    assert unrecorded({"modules": {}, "hooks": {}}, current)  # and an empty snapshot records nothing


def test_every_public_name_is_listed_and_answers_though_imported_on_first_use():
    # dir() is what autodoc and editors' completion list; the names load their modules lazily.
    for name in MODULES:
        module = importlib.import_module(name)
        assert set(module.__all__) <= set(dir(module)), name
        for public in module.__all__:
            getattr(module, public)  # an AttributeError names what does not load


def test_a_deprecated_name_keeps_answering_with_a_warning_naming_its_replacement():
    import pytest

    from pyspark_pipeline_framework import core
    from pyspark_pipeline_framework.core import spec

    assert "HooksSettings" in recorded_api()["modules"]["pyspark_pipeline_framework.core"]
    assert "HooksSettings" not in core.__all__
    for module in (core, spec):
        with pytest.warns(DeprecationWarning, match=r"HooksSettings is deprecated.*use HooksBlock"):
            assert module.HooksSettings is core.HooksBlock
    assert answers_as_deprecated("pyspark_pipeline_framework.core", "HooksSettings")
    assert not answers_as_deprecated("pyspark_pipeline_framework.core", "NoSuchName")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit(f"usage: {UPDATE}")
    recorded, current = recorded_api(), current_api()
    problems = broken_promises(recorded, current, answers_as_deprecated)
    if problems:
        sys.exit("not updated, the public API lost what it promised:\n  " + "\n  ".join(problems))
    SNAPSHOT.write_text(json.dumps(updated(recorded, current, answers_as_deprecated), indent=2) + "\n")
    print(f"{SNAPSHOT}: recorded " + (", ".join(unrecorded(recorded, current)) or "nothing new"))
