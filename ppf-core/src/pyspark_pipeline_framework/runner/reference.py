"""The component reference in Markdown (``ppf schema --format markdown``), from what ``ppf schema`` reads.

Each component's and check's keys come from :func:`~.schema.fields_of`, the same types, defaults
and ``#:`` descriptions as the JSON Schema; ``docs/configuration.md`` holds this text between
markers, and a test fails when it drifts from the code.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

from pyspark_pipeline_framework.core.registry import ComponentRegistry
from pyspark_pipeline_framework.core.spec import Seconds
from pyspark_pipeline_framework.runner.schema import FieldInfo, check_classes, fields_of, first_paragraph

_PLAIN_NAMES = {str: "string", int: "integer", float: "number", bool: "boolean", Seconds: "duration"}


def type_text(tp: Any) -> str:
    """A type as the reference spells it: ``list of string``, ``"append" or "overwrite"``, ``duration``."""
    if tp in _PLAIN_NAMES:
        return _PLAIN_NAMES[tp]
    if tp is Any or tp is None:
        return "any"
    origin, arguments = typing.get_origin(tp), typing.get_args(tp)
    if origin is Literal:
        return " or ".join(json.dumps(a) for a in arguments)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_text(a) for a in arguments if a is not type(None))
    if origin is list or tp is list:
        return f"list of {type_text(arguments[0]) if arguments else 'any'}"
    if origin in (dict, Mapping) or tp is dict:
        return f"object of string → {type_text(arguments[1]) if len(arguments) == 2 else 'any'}"
    if isinstance(tp, type):
        return f"object ({tp.__name__})" if attrs.has(tp) else tp.__name__
    return str(tp)


def _default_text(field: FieldInfo) -> str:
    if field.required:
        return "required"
    if field.default is attrs.NOTHING:
        return "(computed)"
    if field.default is None:
        return "none"
    return f"`{json.dumps(field.default, ensure_ascii=False)}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(fields: Iterable[FieldInfo]) -> list[str]:
    rows = ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    for field in fields:
        rows.append(
            f"| `{field.name}` | {_cell(type_text(field.type))} | {_cell(_default_text(field))} | "
            f"{_cell(field.description)} |"
        )
    return rows


def component_reference(registry: ComponentRegistry | None = None, distributions: list[str] | None = None) -> str:
    """Markdown: a section per component (and per data-quality check) with a table of its config keys."""
    registry = registry or ComponentRegistry()
    lines: list[str] = []
    for name in registry.names():
        entry = registry.entry(name)
        if distributions and entry.distribution not in distributions:
            continue
        lines.append(f"#### `{name}`")
        lines.append("")
        try:
            cls = registry.resolve(name)
        except Exception as exc:
            lines += [f"{entry.distribution}: not described here ({type(exc).__name__}).", ""]
            continue
        summary = first_paragraph(cls.describe())
        lines += [f"{cls.kind.value.capitalize()}, {entry.distribution}.{' ' + summary if summary else ''}", ""]
        fields = fields_of(cls.config_class)
        lines += [*_table(fields), ""] if fields else ["No config keys.", ""]
    checks = {
        name: check
        for name, check in check_classes().items()
        if not distributions or _distribution(check) in distributions
    }
    if checks:
        lines += ["#### Data-quality checks", ""]
        for name, check in checks.items():
            summary = first_paragraph(check.__doc__)
            lines += [f"`{name}` ({check.level} check).{' ' + summary if summary else ''}", ""]
            lines += [*_table(fields_of(check.config_class)), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _distribution(cls: type) -> str | None:
    from importlib.metadata import packages_distributions

    top = cls.__module__.split(".")[0]
    names = packages_distributions().get(top) or []
    return names[0] if names else None
