"""``ppf components show``: a component's kind, origin and config fields, from its classes alone."""

from __future__ import annotations

import re

import attrs

from pyspark_pipeline_framework.core.registry import ComponentRegistry
from pyspark_pipeline_framework.runner.field_docs import field_docs


def _type_name(tp: object) -> str:
    if isinstance(tp, type):
        return tp.__name__
    return re.sub(r"\btyping\.|\bbuiltins\.", "", str(tp))


def describe_component(registry: ComponentRegistry, name: str) -> str:
    cls = registry.resolve(name)
    lines = [f"{name}  ({cls.kind})"]
    if "." not in name:
        entry = registry.entry(name)
        lines.append(f"  provided by {entry.distribution} {entry.version} ({entry.target})")
    else:
        lines.append(f"  class {cls.__module__}.{cls.__qualname__}")
    if cls.describe():
        lines.append(f"  {cls.describe()}")
    config_class = cls.config_class
    try:
        attrs.resolve_types(config_class)
    except Exception:
        pass
    fields = attrs.fields(config_class)
    docs = field_docs(config_class)
    lines.append(f"  config ({config_class.__name__}):" if fields else "  config: no fields")
    for field in fields:
        if field.default is attrs.NOTHING:
            default = "required"
        elif isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            default = f"default {field.default.factory()!r}"
        else:
            default = f"default {field.default!r}"
        doc = f"  {docs[field.name]}" if field.name in docs else ""
        lines.append(f"    {field.name}: {_type_name(field.type)}  ({default}){doc}")
    return "\n".join(lines)
