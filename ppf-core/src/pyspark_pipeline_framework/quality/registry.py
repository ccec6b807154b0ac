"""Finding a check class by its ``type``: built-in names, the ``ppf.checks`` entry points, dotted paths."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from pyspark_pipeline_framework.core.entry_points import entry_points
from pyspark_pipeline_framework.core.errors import PpfError
from pyspark_pipeline_framework.core.settings import check_problems
from pyspark_pipeline_framework.core.structuring import issues_from_exception, make_converter
from pyspark_pipeline_framework.quality.builtin_checks import BUILTIN_CHECKS
from pyspark_pipeline_framework.quality.check import Check, CheckConfig

#: Entry-point group of custom checks (public API): ``my_check = "my_pkg.checks:MyCheck"``.
CHECK_GROUP = "ppf.checks"


class UnknownCheck(PpfError, LookupError):
    """No check is registered under that type."""

    permanent = True


def check_names() -> list[str]:
    return sorted({*BUILTIN_CHECKS, *(ep.name for ep in entry_points(group=CHECK_GROUP))})


def resolve_check(type_name: str) -> type[Check]:
    if type_name in BUILTIN_CHECKS:
        return BUILTIN_CHECKS[type_name]
    for ep in entry_points(group=CHECK_GROUP):
        if ep.name == type_name:
            return _checked(ep.load(), type_name)
    if "." in type_name:
        module, _, attr = type_name.rpartition(".")
        try:
            return _checked(getattr(importlib.import_module(module), attr), type_name)
        except (ImportError, AttributeError) as exc:
            raise UnknownCheck(f"cannot import check {type_name!r}: {exc}") from None
    close = difflib.get_close_matches(type_name, check_names(), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; known checks: {', '.join(check_names())}"
    raise UnknownCheck(f"unknown check type {type_name!r}{hint}")


def _checked(obj: Any, name: str) -> type[Check]:
    if not (isinstance(obj, type) and issubclass(obj, Check)):
        raise UnknownCheck(f"{name!r} is not a Check subclass")
    return obj


def build_checks(raw_checks: Iterable[Mapping[str, Any]]) -> tuple[list[Check], list[tuple[str, str]]]:
    """Structure every check's config; return the checks and every ``(key, message)`` problem."""
    converter = make_converter()
    checks: list[Check] = []
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_checks):
        path = f"checks[{index}]"
        if not isinstance(raw, Mapping) or not isinstance(raw.get("type"), str):
            problems.append((path, "each check is an object with a `type`, e.g. { type = not_null, columns = [id] }"))
            continue
        fields = {k: v for k, v in raw.items() if k != "type"}
        try:
            cls = resolve_check(raw["type"])
        except UnknownCheck as exc:
            problems.append((f"{path}.type", str(exc)))
            continue
        try:
            attrs.resolve_types(cls.config_class)
        except Exception:
            pass  # reported by the structuring below
        try:
            config: CheckConfig = converter.structure(fields, cls.config_class)
        except Exception as exc:
            for issue in issues_from_exception(exc, path):
                problems.append((issue.path, issue.message + (f" ({issue.hint})" if issue.hint else "")))
            continue
        own = check_problems(config)
        problems.extend((f"{path}.{key}" if key else path, message) for key, message in own)
        if config.action not in cls.actions:
            problems.append((f"{path}.action", f"a {raw['type']} check can only {' or '.join(cls.actions)}"))
        if not own and config.action in cls.actions:
            check = cls(config, raw["type"])
            if check.name in seen:
                problems.append((f"{path}.name", f"two checks are named {check.name!r}; give one a `name`"))
            seen.add(check.name)
            checks.append(check)
    return checks, problems
