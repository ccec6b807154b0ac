"""Structuring raw HOCON values into typed config classes, with every error at once.

cattrs does the structuring; this module makes it strict (a string is never silently split into
a list of characters, ``"false"`` never becomes ``True``) and turns cattrs' exception groups into
:class:`~.errors.ConfigIssue` objects that carry the HOCON path of each problem.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import cattrs
from cattrs.cols import list_structure_factory, mapping_structure_factory
from cattrs.errors import (
    AttributeValidationNote,
    ForbiddenExtraKeysError,
    IterableValidationNote,
)

from pyspark_pipeline_framework.core.durations import parse_duration
from pyspark_pipeline_framework.core.errors import ConfigIssue
from pyspark_pipeline_framework.core.spec import HooksBlock, Seconds, SparkSettings

_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


class WrongType(TypeError):
    """A value of the wrong kind; the message is written for the user.

    ``key`` names the entry of the structured block that holds it, where cattrs cannot tell
    (a block structured by a hook of its own, such as ``hooks``).
    """

    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.key = key


def _describe(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object { ... }"
    if isinstance(value, list):
        return "a list [ ... ]"
    return repr(value)


def _structure_str(value: Any, _: type) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise WrongType(f"expected a string, got {_describe(value)}")


def _structure_bool(value: Any, _: type) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "on", "off"):
        return value.lower() in ("true", "yes", "on")
    raise WrongType(f"expected true or false, got {_describe(value)}")


def _structure_int(value: Any, _: type) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise WrongType(f"expected an integer, got {_describe(value)}")


def _structure_float(value: Any, _: type) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise WrongType(f"expected a number, got {_describe(value)}")


def _structure_seconds(value: Any, _: type) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise WrongType(str(exc)) from None


def _spark_conf_value(value: Any) -> str:
    # Spark properties are strings; HOCON's unquoted true/4 arrive as bool/int.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise WrongType(f"a Spark property value must be a string, number or boolean, got {_describe(value)}")


def make_converter() -> cattrs.Converter:
    """A strict converter for pipeline specs and component configs."""
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook(Seconds, _structure_seconds)

    def is_sequence(tp: Any) -> bool:
        return typing.get_origin(tp) is list or tp is list

    def sequence_hook_factory(tp: Any):
        base = list_structure_factory(tp, converter)

        def structure(value: Any, t: Any) -> Any:
            if not isinstance(value, (list, tuple)):
                raise WrongType(f"expected a list [ ... ], got {_describe(value)}")
            return base(value, t)

        return structure

    converter.register_structure_hook_factory(is_sequence, sequence_hook_factory)

    def is_mapping(tp: Any) -> bool:
        return typing.get_origin(tp) in (dict, Mapping) or tp is dict

    def mapping_hook_factory(tp: Any):
        base = mapping_structure_factory(tp, converter)

        def structure(value: Any, t: Any) -> Any:
            if not isinstance(value, Mapping):
                raise WrongType(f"expected an object {{ ... }}, got {_describe(value)}")
            return base(value, t)

        return structure

    converter.register_structure_hook_factory(is_mapping, mapping_hook_factory)

    def is_block(tp: Any) -> bool:
        return isinstance(tp, type) and attrs.has(tp)

    def block_hook_factory(tp: Any):
        base = converter.gen_structure_attrs_fromdict(tp)

        def structure(value: Any, t: Any) -> Any:
            # cattrs would fail inside with "'int' object is not iterable" or "no attribute 'keys'".
            if not isinstance(value, Mapping):
                raise WrongType(f"expected an object {{ ... }}, got {_describe(value)}")
            return base(value, t)

        return structure

    converter.register_structure_hook_factory(is_block, block_hook_factory)

    def structure_spark(value: Any, _: type) -> SparkSettings:
        if not isinstance(value, Mapping):
            raise WrongType(f"expected an object {{ ... }}, got {_describe(value)}")
        raw = dict(value)
        conf = raw.pop("conf", {}) or {}
        if not isinstance(conf, Mapping):
            raise WrongType(f"expected an object {{ ... }}, got {_describe(conf)}", "conf")
        base = converter.gen_structure_attrs_fromdict(SparkSettings)
        settings = base({**raw, "conf": {}}, SparkSettings)
        return attrs.evolve(settings, conf=_flatten_spark_conf(conf))

    converter.register_structure_hook(SparkSettings, structure_spark)
    converter.register_structure_hook(HooksBlock, _structure_hooks)
    return converter


def _flatten_spark_conf(conf: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Spark property names keep their dots exactly as written.

    A quoted key ``"spark.sql.shuffle.partitions"`` arrives as one key; an unquoted one arrives as
    nested objects, which are joined back with dots so both spellings reach Spark identically.
    """
    flat: dict[str, str] = {}
    for key, value in conf.items():
        name = f"{prefix}{str(key).strip(chr(34))}"
        if isinstance(value, Mapping):
            flat.update(_flatten_spark_conf(value, name + "."))
        else:
            flat[name] = _spark_conf_value(value)
    return flat


def _structure_hooks(value: Any, _: type) -> HooksBlock:
    if not isinstance(value, Mapping):
        raise WrongType(f"expected an object {{ ... }}, got {_describe(value)}")
    enabled: dict[str, bool] = {}
    settings: dict[str, dict[str, Any]] = {}
    plugins: list[str] = []
    for key, item in value.items():
        if key == "plugins":
            if not isinstance(item, list) or not all(isinstance(p, str) for p in item):
                raise WrongType(f"expected a list of hook class paths, got {_describe(item)}", key)
            plugins = list(item)
        elif key.startswith("enable_"):
            try:
                enabled[key[len("enable_") :]] = _structure_bool(item, bool)
            except WrongType as exc:
                raise WrongType(str(exc), key) from None
        elif isinstance(item, Mapping):
            settings[key] = dict(item)
        else:
            raise WrongType(
                f"expected enable_<plugin> = true|false, plugins = [...] or a settings block <plugin> {{ ... }}, "
                f"got {_describe(item)}",
                key,
            )
    return HooksBlock(enabled=enabled, settings=settings, plugins=plugins)


def issues_from_exception(exc: BaseException, path: str) -> list[ConfigIssue]:
    """Every leaf error in a cattrs exception group, each with its config path."""
    return list(_walk(exc, path))


def _walk(exc: BaseException, path: str) -> Iterator[ConfigIssue]:
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from _walk(inner, _child_path(inner, path))
        return
    if isinstance(exc, ForbiddenExtraKeysError):
        known = [a.name for a in attrs.fields(exc.cl)] if attrs.has(exc.cl) else []
        for key in sorted(exc.extra_fields):
            close = difflib.get_close_matches(key, known, n=1)
            hint = (
                f"did you mean {close[0]!r}?"
                if close
                else (f"known keys: {', '.join(known)}" if known else "remove it")
            )
            yield ConfigIssue(f"{path}.{key}", "unknown key", hint)
        return
    if isinstance(exc, KeyError):
        # The note already moved the path onto the missing attribute.
        yield ConfigIssue(path, "required key is missing", "add it to the block")
        return
    if isinstance(exc, WrongType):
        yield ConfigIssue(f"{path}.{exc.key}" if exc.key else path, str(exc))
        return
    if isinstance(exc, ValueError) and "Literal" not in str(exc):
        # attrs validators raise from __init__, so cattrs files them under the class; our
        # validators start their message with the field name, which puts it back on the field.
        field = re.match(r"(\w+) must ", str(exc))
        yield ConfigIssue(f"{path}.{field.group(1)}" if field else path, f"invalid value: {exc}")
        return
    yield ConfigIssue(path, _literal_message(exc) or f"invalid value ({type(exc).__name__}: {exc})")


def _literal_message(exc: BaseException) -> str | None:
    match = re.match(r"(.*) not in literal typing\.Literal\[(.*)\]", str(exc))
    if match:
        value, allowed = match.groups()
        return f"invalid value {value!r}: must be one of {allowed}"
    return None


def _child_path(exc: BaseException, path: str) -> str:
    for note in getattr(exc, "__notes__", []):
        if isinstance(note, AttributeValidationNote):
            return f"{path}.{note.name}"
        if isinstance(note, IterableValidationNote):
            index = note.index
            return f"{path}[{index}]" if isinstance(index, int) else f"{path}.{index}"
    return path
