"""Reading a pipeline file: HOCON with includes, substitutions, environment, and overrides.

``--override spark.master=local[2]`` keys are relative to the ``pipeline`` block, as in the README's examples.
An override value is parsed as HOCON when it looks like a number, boolean, null, list, object or
quoted string, and taken literally otherwise: ``spark://host:7077`` must not lose its ``//...``
to HOCON's comment syntax.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from pyspark_pipeline_framework.core.errors import ConfigError, ConfigIssue
from pyspark_pipeline_framework.runner.config.plain_hocon import read_plain_hocon

_HOCON_LITERAL = re.compile(r"""^\s*(-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null|\[.*\]|\{.*\}|".*")\s*$""", re.S)
_LINE_COL = re.compile(r"\(line:\s*(\d+),\s*col:\s*(\d+)\)")
_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*")


@attrs.frozen
class PipelineFile:
    """A parsed pipeline file: the plain ``pipeline`` mapping and where it came from."""

    path: Path
    raw: dict[str, Any]
    #: Every file read, the main one first, for locating keys by line.
    sources: tuple[Path, ...]


def parse_override(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(
            [
                ConfigIssue(
                    "--override",
                    f"{text!r} is not of the form key=value",
                    "for example --override spark.master=local[2]",
                )
            ]
        )
    if key.startswith("pipeline."):
        key = key[len("pipeline.") :]
    return key, _parse_value(value)


def _parse_value(value: str) -> Any:
    if _HOCON_LITERAL.match(value):
        plain = read_plain_hocon(f"v = {value}")
        if plain is not None and not isinstance(plain["v"], (dict, list)):
            return plain["v"]
        from pyhocon import ConfigFactory

        try:
            return ConfigFactory.parse_string(f"v = {value}").get("v")
        except Exception:
            return value
    return value


def load_pipeline_file(path: str | Path, overrides: Sequence[str] = (), *, plain_reader: bool = True) -> PipelineFile:
    """Parse, include, apply overrides, resolve substitutions; every error is a :class:`ConfigError`.

    A file in plain HOCON is read by the fast reader of :mod:`.plain_hocon`, any other with pyhocon
    (``plain_reader=False``: always with pyhocon, as the tests and the benchmark compare both).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError([ConfigIssue("--config", f"file not found: {path}", "check the path")])
    parsed_overrides = [parse_override(o) for o in overrides]
    # Plain keys merge before substitution (so ${...} sees them); keys that address a list element
    # (steps[2].config.path, or steps.<step name>.config.path) are applied to the resolved data.
    element_overrides = [(k, v) for k, v in parsed_overrides if _addresses_element(k)]
    plain_overrides = [(k, v) for k, v in parsed_overrides if not _addresses_element(k)]

    plain = _read_plain(path, plain_overrides) if plain_reader else None
    if plain is None:
        plain = _read_with_pyhocon(path, plain_overrides)
    if "pipeline" not in plain or not isinstance(plain["pipeline"], dict):
        raise ConfigError(
            [
                ConfigIssue(
                    "pipeline", "the file has no `pipeline { ... }` block", "see docs/configuration.md", str(path), None
                )
            ]
        )
    raw = _plain(plain["pipeline"])
    for key, value in element_overrides:
        _set_element(raw, key, value)
    return PipelineFile(path, raw, (path, *_included_files(path)))


def _read_plain(path: Path, overrides: list[tuple[str, Any]]) -> dict[str, Any] | None:
    """The file read by the fast reader with the overrides merged in, or ``None`` when pyhocon must read it."""
    if not all(_SIMPLE_KEY.fullmatch(key) and isinstance(value, (str, int, float)) for key, value in overrides):
        return None  # object, list and null overrides merge as pyhocon merges them
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    plain = read_plain_hocon(text)
    if plain is None:
        return None
    for key, value in overrides:
        node = plain
        *parents, last = ["pipeline", *key.split(".")]
        for name in parents:
            child = node.setdefault(name, {})
            if not isinstance(child, dict):
                return None  # a value replaced by an object: pyhocon's rules decide
            node = child
        if isinstance(node.get(last), dict):
            return None
        node[last] = value
    return plain


def _read_with_pyhocon(path: Path, overrides: list[tuple[str, Any]]) -> dict[str, Any]:
    from pyhocon import ConfigFactory, ConfigTree
    from pyhocon.config_parser import ConfigParser
    from pyhocon.exceptions import ConfigException

    try:
        tree = ConfigFactory.parse_file(str(path), resolve=False)
    except ConfigException as exc:
        raise ConfigError([_syntax_issue(path, exc)]) from None
    except Exception as exc:  # pyparsing's errors carry line and column
        raise ConfigError([_syntax_issue(path, exc)]) from None
    if overrides:
        override_tree = ConfigTree()
        for key, value in overrides:
            override_tree.put(f"pipeline.{key}", value)
        tree = ConfigTree.merge_configs(tree, override_tree)
    try:
        ConfigParser.resolve_substitutions(tree)
    except ConfigException as exc:
        raise ConfigError([_substitution_issue(path, exc)]) from None
    return tree.as_plain_ordered_dict()


def _addresses_element(key: str) -> bool:
    return "[" in key or key.startswith("steps.")


_KEY_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _set_element(raw: dict[str, Any], key: str, value: Any) -> None:
    """Set ``steps[2].config.path`` or ``steps.<name>.config.path`` in the resolved pipeline."""
    parts: list[str | int] = [int(i) if i else n for n, i in _KEY_PART.findall(key)]
    node: Any = raw
    for position, part in enumerate(parts[:-1]):
        nxt = parts[position + 1]
        if isinstance(node, list) and isinstance(part, str):
            # a step addressed by its name
            matches = [item for item in node if isinstance(item, dict) and item.get("name") == part]
            if not matches:
                raise ConfigError(
                    [
                        ConfigIssue(
                            f"--override {key}",
                            f"no step named {part!r}",
                            "address steps by name or by index, e.g. steps[0].config.path",
                        )
                    ]
                )
            node = matches[0]
            continue
        try:
            child = node[part]
        except (KeyError, IndexError, TypeError):
            if isinstance(node, dict) and isinstance(part, str):
                child = node.setdefault(part, [] if isinstance(nxt, int) else {})
            else:
                raise ConfigError(
                    [
                        ConfigIssue(
                            f"--override {key}",
                            f"{part!r} does not exist in the pipeline",
                            "check the key; list indexes start at 0",
                        )
                    ]
                ) from None
        node = child
    last = parts[-1]
    list_item = isinstance(node, list) and isinstance(last, int) and last < len(node)
    dict_entry = isinstance(node, dict) and isinstance(last, str)
    if list_item or dict_entry:
        node[last] = value
    else:
        raise ConfigError([ConfigIssue(f"--override {key}", "cannot set this key", "check the key")])


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _included_files(path: Path) -> list[Path]:
    found = []
    pattern = re.compile(r'^\s*include\s+(?:required\()?(?:file\()?"([^"]+)"', re.M)
    for name in pattern.findall(path.read_text(encoding="utf-8", errors="replace")):
        candidate = (path.parent / name).resolve()
        if candidate.is_file():
            found.append(candidate)
            found.extend(_included_files(candidate))
    return found


def _syntax_issue(path: Path, exc: Exception) -> ConfigIssue:
    line = getattr(exc, "lineno", None)
    message = getattr(exc, "msg", None) or str(exc)
    match = _LINE_COL.search(str(exc))
    if line is None and match:
        line = int(match.group(1))
    message = _LINE_COL.sub("", str(message)).strip().rstrip(",")
    return ConfigIssue(
        "(syntax)", f"HOCON syntax error: {message}", "check brackets, quotes and `=` around this line", str(path), line
    )


def _substitution_issue(path: Path, exc: Exception) -> ConfigIssue:
    text = str(exc)
    match = _LINE_COL.search(text)
    variable = re.search(r"\$\{\??([^}]+)\}", text)
    name = variable.group(1) if variable else "?"
    return ConfigIssue(
        "(substitution)",
        f"cannot resolve ${{{name}}}: neither a config key nor an environment variable of that name is set",
        f"export {name}=... before running, or write ${{?{name}}} to make it optional",
        str(path),
        int(match.group(1)) if match else None,
    )
