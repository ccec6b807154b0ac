"""``ppf schema``: a JSON Schema (draft 2020-12) of the pipeline file, for editors and CI.

Built from the same attrs classes pre-flight structures into: the pipeline schema of
:mod:`~pyspark_pipeline_framework.core.spec`, the config class of every installed component
(``ppf.components``), every data-quality check (built-in and ``ppf.checks``) and the settings
class of every hook plugin (``ppf.plugins``).  Field descriptions are the ``#:`` comments above
the fields.  The types say what the strict converter accepts (``"4"`` for an integer, ``"5s"`` for
a duration), so a file ``ppf validate`` accepts is never rejected by the schema.

A component whose module can be imported only once a Spark session exists is described as an
open object: its config is checked by ``ppf run``.  Nothing here imports pyspark.
"""

from __future__ import annotations

import functools
import json
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal

import attrs

from pyspark_pipeline_framework.core.component import CHECK_LIST
from pyspark_pipeline_framework.core.hook import Hook
from pyspark_pipeline_framework.core.plugins import hook_entry_points
from pyspark_pipeline_framework.core.registry import COMPATIBLE_PREFIX, ComponentRegistry
from pyspark_pipeline_framework.core.session_imports import session_needed_condition
from pyspark_pipeline_framework.core.spec import HooksBlock, PipelineSpec, Seconds, SparkSettings
from pyspark_pipeline_framework.quality.check import Check
from pyspark_pipeline_framework.quality.registry import check_names, resolve_check
from pyspark_pipeline_framework.runner.field_docs import field_docs

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _case_insensitive(words: tuple[str, ...]) -> str:
    return "^(" + "|".join("".join(f"[{c.lower()}{c.upper()}]" for c in word) for word in words) + ")$"


# What the strict converter (core/structuring.py) accepts for each plain type.
_STRING = {"type": ["string", "number"]}
_INTEGER = {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": r"^\s*-?\d+\s*$"}]}
_NUMBER = {
    "anyOf": [{"type": "number"}, {"type": "string", "pattern": r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"}]
}
_BOOLEAN = {
    "anyOf": [
        {"type": "boolean"},
        {"type": "string", "pattern": _case_insensitive(("true", "false", "yes", "no", "on", "off"))},
    ]
}
_DURATION = {
    "description": 'a duration such as "500ms", "5s", "2m", "1h", "1d", or a number of seconds',
    "anyOf": [
        {"type": "number", "minimum": 0},
        {
            "type": "string",
            "pattern": r"^\s*\d+(\.\d+)?\s*(ms|millis|milliseconds|s|sec|seconds?|m|min|minutes?|"
            r"h|hours?|d|days?)?\s*$",
        },
    ],
}


@attrs.frozen
class FieldInfo:
    """One config field as both the JSON Schema and the Markdown reference describe it."""

    name: str
    type: Any
    required: bool
    default: Any  # a JSON value; attrs.NOTHING when the default cannot be shown
    description: str
    metadata: Mapping[str, Any]


def fields_of(cls: type) -> list[FieldInfo]:
    """The fields of an attrs config class, with their defaults and ``#:`` descriptions."""
    try:
        attrs.resolve_types(cls)
    except Exception:
        pass  # an unresolvable annotation is described as any value
    docs = field_docs(cls)
    found = []
    for field in attrs.fields(cls):
        default: Any = field.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = default.factory() if not default.takes_self else attrs.NOTHING
        if default is not attrs.NOTHING:
            try:
                default = json.loads(json.dumps(default))
            except (TypeError, ValueError):
                default = attrs.NOTHING
        found.append(
            FieldInfo(
                field.name,
                field.type,
                field.default is attrs.NOTHING,
                default,
                docs.get(field.name, ""),
                field.metadata,
            )
        )
    return found


def first_paragraph(text: str | None) -> str:
    return " ".join((text or "").strip().split("\n\n")[0].split())


class SchemaBuilder:
    """Collects ``$defs`` while turning attrs classes and annotations into JSON Schema."""

    def __init__(self, check_reference: str | None = None):
        self.defs: dict[str, Any] = {}
        self._check_reference = check_reference

    def reference(self, name: str, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        if name not in self.defs:
            self.defs[name] = {}  # a placeholder first: classes may refer to themselves
            self.defs[name] = build()
        return {"$ref": f"#/$defs/{name}"}

    def object_schema(self, cls: type, description: str = "", extra: Mapping[str, Any] | None = None) -> dict:
        properties: dict[str, Any] = {}
        required = []
        for field in fields_of(cls):
            described = dict(self.type_schema(field.type, field.metadata))
            if field.description:
                described["description"] = field.description
            if field.default is not attrs.NOTHING:
                described["default"] = field.default
            if field.required:
                required.append(field.name)
            properties[field.name] = described
        properties.update(extra or {})
        schema: dict[str, Any] = {"type": "object", "title": cls.__name__}
        text = description or first_paragraph(cls.__doc__)
        if text:
            schema["description"] = text
        schema.update({"properties": properties, "additionalProperties": False})
        if required:
            schema["required"] = required
        return schema

    def type_schema(self, tp: Any, metadata: Mapping[str, Any] | None = None) -> dict[str, Any]:
        if metadata and metadata.get(CHECK_LIST) and self._check_reference:
            return {"type": "array", "items": {"$ref": self._check_reference}}
        if tp is Seconds:
            return dict(_DURATION)
        if tp is str:
            return dict(_STRING)
        if tp is bool:
            return dict(_BOOLEAN)
        if tp is int:
            return dict(_INTEGER)
        if tp is float:
            return dict(_NUMBER)
        if tp is Any or tp is object or tp is None:
            return {} if tp is not None else {"type": "null"}
        origin = typing.get_origin(tp)
        arguments = typing.get_args(tp)
        if origin is Literal:
            return {"enum": list(arguments)}
        if origin in (typing.Union, types.UnionType):
            options = [self.type_schema(a) for a in arguments if a is not type(None)]
            if type(None) in arguments:
                options.append({"type": "null"})
            return options[0] if len(options) == 1 else {"anyOf": options}
        if origin is list or tp is list:
            return {"type": "array", "items": self.type_schema(arguments[0]) if arguments else {}}
        if origin in (dict, Mapping) or tp is dict:
            value = self.type_schema(arguments[1]) if len(arguments) == 2 else {}
            return {"type": "object", "additionalProperties": value}
        if isinstance(tp, type) and attrs.has(tp):
            return self.reference(tp.__name__, lambda: self.object_schema(tp))
        return {}  # a type the converter structures its own way: any value


def pipeline_schema(registry: ComponentRegistry | None = None) -> dict[str, Any]:
    """The JSON Schema of a pipeline file with every installed component, check and hook plugin."""
    registry = registry or ComponentRegistry()
    builder = SchemaBuilder(check_reference="#/$defs/check")

    components = _component_defs(builder, registry)
    checks = _check_defs(builder)
    builder.defs["check"] = _choice(
        "A data-quality check: { type = <check>, <its keys>, action = fail|warn|drop|quarantine }",
        {name: [name] for name in checks},
        checks,
        "config",
        inline=True,
    )
    step_choice = _choice(
        "", {name: [name, COMPATIBLE_PREFIX + name] for name in components}, components, "config", inline=False
    )
    sinks = {name: ref for name, ref in components.items() if _kind(registry, name) == "sink"}
    dead_letter_choice = _choice(
        "", {name: [name, COMPATIBLE_PREFIX + name] for name in sinks}, sinks, "config", inline=False
    )

    builder.reference("SparkSettings", lambda: _spark_schema(builder))
    builder.reference("HooksBlock", lambda: _hooks_schema(builder))
    builder.type_schema(PipelineSpec)
    builder.defs["StepSpec"]["allOf"] = step_choice["allOf"]
    builder.defs["StepSpec"]["properties"]["type"] = step_choice["properties"]["type"]
    builder.defs["DeadLetterSettings"]["allOf"] = dead_letter_choice["allOf"]
    builder.defs["DeadLetterSettings"]["properties"]["type"] = dead_letter_choice["properties"]["type"]
    return {
        "$schema": DRAFT,
        "title": "ppf pipeline file",
        "description": "A HOCON file with one `pipeline { ... }` block (docs/configuration.md); other top-level keys "
        "may hold values for substitutions.",
        "type": "object",
        "properties": {"pipeline": {"$ref": "#/$defs/PipelineSpec"}},
        "required": ["pipeline"],
        "$defs": dict(sorted(builder.defs.items())),
    }


def _kind(registry: ComponentRegistry, name: str) -> str | None:
    try:
        return str(registry.resolve(name).kind)
    except Exception:
        return None


def _component_defs(builder: SchemaBuilder, registry: ComponentRegistry) -> dict[str, str]:
    """``component.<name>`` for each registered component: its config class, or an open object."""
    found = {}
    for name in registry.names():
        key = f"component.{name}"
        try:
            cls = registry.resolve(name)
        except Exception as exc:
            why = (
                "its module can be imported only once a Spark session exists; `ppf run` checks its config"
                if session_needed_condition(exc)
                else f"its module failed to import ({type(exc).__name__}: {exc})"
            )
            builder.defs[key] = {"type": "object", "title": name, "description": f"Not described: {why}."}
        else:
            description = f"{name} ({cls.kind}). {first_paragraph(cls.describe())}".strip()
            builder.defs[key] = {**builder.object_schema(cls.config_class, description), "title": name}
        found[name] = f"#/$defs/{key}"
    return found


def check_classes() -> dict[str, type[Check]]:
    """Every check ``type`` the quality registry knows (built in and ``ppf.checks``), with its class."""
    classes: dict[str, type[Check]] = {}
    for name in check_names():
        try:
            classes[name] = resolve_check(name)
        except Exception:
            continue  # `ppf validate` reports a check that cannot be imported where it is used
    return classes


def _check_defs(builder: SchemaBuilder) -> dict[str, str]:
    found = {}
    for name, cls in check_classes().items():
        key = f"check.{name}"
        type_key = {"type": {"const": name, "description": "The check type."}}
        builder.defs[key] = builder.object_schema(
            cls.config_class, f"{name} ({cls.level} check). {first_paragraph(cls.__doc__)}".strip(), type_key
        )
        found[name] = f"#/$defs/{key}"
    return found


def _choice(
    description: str, spellings: Mapping[str, list[str]], refs: Mapping[str, str], field: str, inline: bool
) -> dict[str, Any]:
    """An object whose ``type`` selects the schema of ``field`` (or, ``inline``, of the object itself)."""
    names = [spelling for options in spellings.values() for spelling in options]
    type_schema = {
        "description": "A registered name or a dotted path to a class.",
        "anyOf": [{"enum": names}, {"type": "string", "pattern": r"\."}],
    }
    branches = []
    for name, ref in refs.items():
        condition = {"properties": {"type": {"enum": spellings[name]}}, "required": ["type"]}
        then = {"$ref": ref} if inline else {"properties": {field: {"$ref": ref}}}
        branches.append({"if": condition, "then": then})
    schema: dict[str, Any] = {"type": "object", "properties": {"type": type_schema}, "required": ["type"]}
    if description:
        schema["description"] = description
    schema["allOf"] = branches
    return schema


def _spark_schema(builder: SchemaBuilder) -> dict[str, Any]:
    schema = builder.object_schema(SparkSettings)
    # Unquoted property names arrive as nested objects and are joined back with dots.
    value = {"anyOf": [{"type": ["string", "number", "boolean"]}, {"$ref": "#/$defs/SparkConf"}]}
    builder.defs["SparkConf"] = {"type": "object", "additionalProperties": value}
    schema["properties"]["conf"].update({"$ref": "#/$defs/SparkConf"})
    schema["properties"]["conf"].pop("type", None)
    schema["properties"]["conf"].pop("additionalProperties", None)
    return schema


def _settings_schema(builder: SchemaBuilder, name: str, settings_class: type) -> dict[str, Any]:
    description = first_paragraph(settings_class.__doc__) or f"Settings of the hook plugin {name!r}."
    return builder.object_schema(settings_class, description)


def _hooks_schema(builder: SchemaBuilder) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "plugins": {"type": "array", "items": {"type": "string"}, "description": "Further hook classes by dotted path."}
    }
    for name, ep in sorted(hook_entry_points().items()):
        properties[f"enable_{name}"] = {**_BOOLEAN, "description": f"Switch on the hook plugin {name!r} ({ep.value})."}
        try:
            plugin = ep.load()
        except Exception as exc:
            properties[name] = {"type": "object", "description": f"Not described: {type(exc).__name__}: {exc}."}
            continue
        settings_class = plugin.settings_class if isinstance(plugin, type) and issubclass(plugin, Hook) else None
        if settings_class is None:
            properties[name] = {"type": "object", "description": f"Settings of the hook plugin {name!r}."}
        else:
            properties[name] = builder.reference(
                f"hook.{name}", functools.partial(_settings_schema, builder, name, settings_class)
            )
    return {
        "type": "object",
        "title": "HooksBlock",
        "description": first_paragraph(HooksBlock.__doc__),
        "properties": properties,
        "patternProperties": {"^enable_": _BOOLEAN},
        # Settings of a plugin listed by dotted path in `plugins`.
        "additionalProperties": {"type": "object"},
    }
