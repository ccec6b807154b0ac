"""Pre-flight validation: everything that can be checked without a JVM, all problems at once.

Order of checks: the pipeline schema, each step's component type and its own config, hook
plugins and their settings, then the graph (names, inputs, cycles, kind rules).  Every problem is reported with its
config path and, where the source text tells, its file and line.

A component module that can be imported only once a Spark session exists (a module-level
``@udf("long")``) is not an error here: its step is deferred, with a note saying what could not be
checked, and the resolved pipeline carries a function that checks it all again in the session.
"""

from __future__ import annotations

import functools
import re
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from pyspark_pipeline_framework.core.component import Component, ComponentConfig, ComponentKind, Source
from pyspark_pipeline_framework.core.dag import PipelineGraph, build_graph
from pyspark_pipeline_framework.core.errors import ConfigError, ConfigIssue
from pyspark_pipeline_framework.core.hook import Hook
from pyspark_pipeline_framework.core.pipeline import DeferredStep, ResolvedDeadLetter, ResolvedPipeline, ResolvedStep
from pyspark_pipeline_framework.core.plugins import NamedPlugin, check_hook_plugins, hook_settings_path
from pyspark_pipeline_framework.core.registry import ComponentNotFound, ComponentRegistry
from pyspark_pipeline_framework.core.secrets import is_reference
from pyspark_pipeline_framework.core.session_imports import session_needed_condition
from pyspark_pipeline_framework.core.settings import check_problems
from pyspark_pipeline_framework.core.spec import (
    CONNECT_DEFAULT_PORT,
    HooksBlock,
    PipelineSpec,
    StepSpec,
    connect_address,
)
from pyspark_pipeline_framework.core.state_storage import unserved_location
from pyspark_pipeline_framework.core.streaming import streaming_issues
from pyspark_pipeline_framework.core.structuring import issues_from_exception, make_converter
from pyspark_pipeline_framework.runner.config.locations import SourceLocator
from pyspark_pipeline_framework.runner.config.reading import PipelineFile


def validate(file: PipelineFile, registry: ComponentRegistry | None = None) -> ResolvedPipeline:
    """Check a loaded pipeline file; raise :class:`ConfigError` with every problem found."""
    return validate_raw(file.raw, registry, file)


def validate_raw(
    raw: Mapping[str, Any],
    registry: ComponentRegistry | None = None,
    file: PipelineFile | None = None,
    *,
    in_session: bool = False,
) -> ResolvedPipeline:
    """Check a pipeline given as a mapping (``file`` locates problems in its source text).

    ``in_session`` says a Spark session exists: a component module that still fails to import is
    then an error instead of a deferred step.
    """
    registry = registry or ComponentRegistry()
    converter = make_converter()
    issues: list[ConfigIssue] = []
    deferred: dict[str, DeferredStep] = {}

    spec: PipelineSpec | None = None
    try:
        spec = converter.structure(raw, PipelineSpec)
    except Exception as exc:
        issues.extend(issues_from_exception(exc, "pipeline"))

    raw_steps = raw.get("steps")
    resolved: dict[str, ResolvedStep] = {}
    kinds: dict[str, ComponentKind] = {}
    if isinstance(raw_steps, list):
        for index, raw_step in enumerate(raw_steps):
            if not isinstance(raw_step, Mapping) or not isinstance(raw_step.get("type"), str):
                continue
            step = _resolve_step(
                raw_step, f"pipeline.steps[{index}]", registry, converter, issues, None if in_session else deferred
            )
            if step and isinstance(raw_step.get("name"), str):
                resolved.setdefault(step.name, step)
                kinds.setdefault(step.name, step.component_class.kind)

    graph: PipelineGraph | None = None
    dead_letters: dict[str, ResolvedDeadLetter] = {}
    hook_settings: dict[str, object] = {}
    if spec is not None:
        plugins, plugin_issues = check_hook_plugins(spec.hooks)
        issues.extend(plugin_issues)
        hook_settings = _resolve_hook_settings(spec.hooks, plugins, converter, issues)
        dead_letters = _resolve_dead_letters(spec, resolved, registry, converter, issues)
        issues.extend(_shared_breaker_issues(spec))
        issues.extend(_breaker_state_file_issues(spec))
        if spec.spark.ship_code.paths:
            # The code-shipping machinery (zip, hashing, package metadata) is imported only when it is configured.
            from pyspark_pipeline_framework.runtime.session.user_code import path_issues

            issues.extend(path_issues(spec.spark.ship_code.paths, Path.cwd()))
        issues.extend(_remote_issues(spec))
    graph_spec = spec or _steps_only(raw_steps, converter)
    if graph_spec is not None:  # graph problems are reported even when other keys are wrong
        graph, graph_issues = build_graph(graph_spec, kinds)
        issues.extend(graph_issues)
        if spec is not None and not graph_issues:
            issues.extend(streaming_issues(spec, graph, resolved))

    if issues:
        raise ConfigError(_locate(issues, file, raw_steps))
    assert spec is not None and graph is not None
    notes = _locate([step.note for step in deferred.values()], file, raw_steps)
    deferred = {name: attrs.evolve(step, note=note) for (name, step), note in zip(deferred.items(), notes, strict=True)}
    return ResolvedPipeline(
        spec,
        graph,
        resolved,
        str(file.path) if file else None,
        dead_letters,
        hook_settings,
        deferred=deferred,
        resolve_in_session=functools.partial(validate_raw, raw, registry, file, in_session=True) if deferred else None,
        locate=_file_and_line(file, raw_steps) if file else None,
    )


def check_local_inputs(pipeline: ResolvedPipeline, file: PipelineFile | None = None) -> None:
    """Raise :class:`ConfigError` naming every local input path of a source that does not exist.

    ``ppf run`` calls it before Spark starts (``ppf validate`` does not: CI checks files without
    their data).  Paths with a scheme other than ``file:`` (``s3a://``, ``hdfs://``...) are left to
    Spark, and so are paths a sink of the same pipeline writes, and Hadoop brace globs (``{a,b}``).
    """
    written = [
        local
        for step in pipeline.steps.values()
        if step.component_class.kind == ComponentKind.SINK
        and isinstance(sink_path := getattr(step.config, "path", None), str)
        and (local := _local_path(sink_path)) is not None
    ]
    issues = []
    for index, spec_step in enumerate(pipeline.spec.steps):
        step = pipeline.steps.get(spec_step.name)
        if step is None or not issubclass(step.component_class, Source):
            continue
        for key, raw in step.component_class.input_paths(step.config):
            local = _local_path(raw)
            if local is None or any(local == w or w in local.parents for w in written) or _exists(local):
                continue
            where = "" if local.is_absolute() else f" (looked for {local.absolute()})"
            issues.append(
                ConfigIssue(
                    f"pipeline.steps[{index}].config.{key}",
                    f"input path {raw!r} does not exist{where}",
                    "check the path; a relative path is read from the directory ppf runs in",
                )
            )
    if issues:
        raw_steps = file.raw.get("steps") if file is not None else None
        raise ConfigError(_locate(issues, file, raw_steps))


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def _local_path(raw: str) -> Path | None:
    """The local file system path of ``raw``, or ``None`` for another file system's URI."""
    match = _SCHEME.match(raw)
    if match is None:
        return Path(raw)
    if match.group(1).lower() != "file":
        return None
    rest = raw[match.end() :]
    return Path("/" + rest.lstrip("/")) if rest.startswith("/") else Path(rest)


def _exists(path: Path) -> bool:
    text = str(path)
    if "{" in text:  # a Hadoop brace glob, which Python's glob does not know: Spark checks it
        return True
    if any(char in text for char in "*?["):
        import glob  # only `ppf run` checks its inputs

        return bool(glob.glob(text))
    return path.exists()


def _resolve_hook_settings(
    hooks: HooksBlock, plugins: list[NamedPlugin], converter: Any, issues: list[ConfigIssue]
) -> dict[str, object]:
    """Each named plugin's ``hooks { <name> { ... } }`` structured into its settings class, like a step's config."""
    found: dict[str, object] = {}
    for plugin in plugins:
        raw = hooks.settings.get(plugin.key)
        settings_class = plugin.plugin.settings_class if _is_hook_class(plugin.plugin) else None
        if settings_class is None:
            if raw is not None:
                found[plugin.key] = dict(raw)  # a plugin without a settings class takes the block as it is
            continue
        path = hook_settings_path(plugin.key)
        try:
            attrs.resolve_types(settings_class)
        except Exception:
            pass  # unresolvable string annotations are reported by the structuring below
        try:
            settings = converter.structure(dict(raw or {}), settings_class)
        except Exception as exc:
            issues.extend(issues_from_exception(exc, path))
            continue
        problems = check_problems(settings)
        issues.extend(ConfigIssue(f"{path}{'.' + key if key else ''}", message) for key, message in problems)
        if not problems:
            found[plugin.key] = settings
    return found


def _is_hook_class(plugin: object) -> bool:
    return isinstance(plugin, type) and issubclass(plugin, Hook)


def _resolve_dead_letters(
    spec: PipelineSpec,
    resolved: Mapping[str, ResolvedStep],
    registry: ComponentRegistry,
    converter: Any,
    issues: list[ConfigIssue],
) -> dict[str, ResolvedDeadLetter]:
    """Each step's effective dead-letter sink, checked like a step: a sink type and its own config."""
    found: dict[str, ResolvedDeadLetter] = {}
    paths: dict[str, str] = {}  # step name -> config path of its dead-letter block
    reported: set[str] = set()  # a pipeline-level block's problems are reported once, not per step
    for index, step in enumerate(spec.steps):
        settings = step.dead_letter or spec.dead_letter
        path = f"pipeline.steps[{index}].dead_letter" if step.dead_letter else "pipeline.dead_letter"
        component = resolved.get(step.name)
        needs = getattr(component.config, "sends_dead_letters", None) if component else None
        if settings is None:
            if callable(needs) and needs():
                issues.append(
                    ConfigIssue(
                        f"pipeline.steps[{index}]",
                        "this step quarantines rows but has no dead-letter sink",
                        "add dead_letter { type = ParquetSink, config { path = ... } } to the step or the pipeline",
                    )
                )
            continue
        # Unresolved (or deferred) steps are checked as if they could: their own problems are reported elsewhere.
        produces = component is None or component.component_class.produces_dead_letters_with(component.config)
        if step.dead_letter is not None and not produces:
            assert component is not None
            issues.append(
                ConfigIssue(
                    path,
                    f"{step.type} cannot produce dead letters (with this config), so this block would never be used",
                    "remove it; dead letters come from CSV and JSON file sources, DataQuality steps with a "
                    "quarantine check, and components that declare produces_dead_letters",
                )
            )
            continue
        problems: list[ConfigIssue] = []
        if settings.max_ratio is not None and not 0.0 <= settings.max_ratio <= 1.0:
            problems.append(
                ConfigIssue(f"{path}.max_ratio", f"must be a ratio between 0 and 1, got {settings.max_ratio}")
            )
        sink = None
        try:
            sink = registry.resolve(settings.type)
        except ComponentNotFound as exc:
            problems.append(ConfigIssue(f"{path}.type", str(exc), exc.hint))
        except Exception as exc:
            problems.append(
                ConfigIssue(f"{path}.type", f"importing {settings.type!r} failed: {type(exc).__name__}: {exc}")
            )
        if sink is not None and sink.kind != ComponentKind.SINK:
            problems.append(
                ConfigIssue(f"{path}.type", f"{settings.type} is a {sink.kind}; a dead-letter queue needs a sink")
            )
            sink = None
        config = None
        if sink is not None:
            try:
                attrs.resolve_types(sink.config_class)
            except Exception:
                pass
            raw = _appending_by_default(_with_step_name(settings.config, step.name), sink.config_class)
            try:
                config = converter.structure(raw, sink.config_class)
            except Exception as exc:
                problems.extend(issues_from_exception(exc, f"{path}.config"))
        if path not in reported:
            issues.extend(problems)
        if path.startswith("pipeline.dead_letter"):
            reported.add(path)
        if sink is not None and config is not None and not problems and produces:
            found[step.name] = ResolvedDeadLetter(sink, config, settings.max_ratio)
            paths[step.name] = path
    issues.extend(_shared_dead_letter_issues(found, paths))
    return found


def _appending_by_default(config: Mapping[str, Any], config_class: type) -> dict[str, Any]:
    """A dead-letter sink's ``mode`` is ``append`` unless given: each run adds its own dead letters
    (told apart by ``_ppf_run_id``), so running a pipeline again never fails on, or replaces, them."""
    raw = dict(config)
    field = attrs.fields_dict(config_class).get("mode") if attrs.has(config_class) else None
    if field is None or "mode" in raw:
        return raw
    allowed = typing.get_args(field.type) if typing.get_origin(field.type) is typing.Literal else ("append",)
    if "append" in allowed:
        raw["mode"] = "append"
    return raw


def _shared_dead_letter_issues(found: Mapping[str, ResolvedDeadLetter], paths: Mapping[str, str]) -> list[ConfigIssue]:
    """Two steps whose dead letters go to one location must append there, or one replaces the other's."""
    by_location: dict[tuple[str, str], list[str]] = {}
    for name, dead_letter in found.items():
        location = getattr(dead_letter.config, "path", None) or getattr(dead_letter.config, "table", None)
        if isinstance(location, str) and location:
            by_location.setdefault((dead_letter.component_class.__name__, location), []).append(name)
    issues = []
    reported: set[str] = set()
    for (_, location), steps in by_location.items():
        modes = {getattr(found[name].config, "mode", "append") for name in steps}
        if len(steps) < 2 or modes == {"append"}:
            continue
        path = paths[steps[-1]]
        if path in reported:
            continue
        reported.add(path)
        mode = next(m for m in sorted(modes) if m != "append")
        issues.append(
            ConfigIssue(
                f"{path}.config",
                f"steps {', '.join(map(repr, steps))} send their dead letters to the same location {location} "
                f"with mode = {mode}: each step's dead letters would replace or collide with the others'",
                'put "{step}" in the location (one per step, as in path = "/data/dead/{step}"), or set mode = append',
            )
        )
    return issues


def _remote_issues(spec: PipelineSpec) -> list[ConfigIssue]:
    """``spark.remote`` (or the property in ``spark.conf``) must be a Spark Connect URL."""
    issues = []
    for path, url in (
        ("pipeline.spark.remote", spec.spark.remote),
        ('pipeline.spark.conf."spark.remote"', spec.spark.conf.get("spark.remote")),
    ):
        if url and not is_reference(url) and connect_address(url) is None:
            issues.append(
                ConfigIssue(
                    path,
                    f"{url!r} is not a Spark Connect URL",
                    f"write it as sc://host:port (port {CONNECT_DEFAULT_PORT} by default)",
                )
            )
    return issues


def _shared_breaker_issues(spec: PipelineSpec) -> list[ConfigIssue]:
    """Steps sharing a breaker by name must agree on its settings: one breaker has one threshold."""
    first: dict[str, tuple[int, Any]] = {}
    issues = []
    for index, step in enumerate(spec.steps):
        settings = step.circuit_breaker
        if settings is None:
            continue
        name = settings.name or step.name
        if name not in first:
            first[name] = (index, settings)
        elif first[name][1] != settings:
            issues.append(
                ConfigIssue(
                    f"pipeline.steps[{index}].circuit_breaker",
                    f"breaker {name!r} is shared with pipeline.steps[{first[name][0]}] but its settings differ",
                    "give both steps the same circuit_breaker block (e.g. a HOCON substitution) or different names",
                )
            )
    return issues


def _breaker_state_file_issues(spec: PipelineSpec) -> list[ConfigIssue]:
    """A breaker's state file on shared storage needs a plugin that serves its URL scheme."""
    issues = []
    for index, step in enumerate(spec.steps):
        location = step.circuit_breaker.state_file if step.circuit_breaker else None
        problem = unserved_location(location) if location else None
        if problem is not None:
            issues.append(
                ConfigIssue(
                    f"pipeline.steps[{index}].circuit_breaker.state_file",
                    problem,
                    "install the plugin named, or give a local path (a shared mount works across hosts)",
                )
            )
    return issues


def _with_step_name(value: Any, step_name: str) -> Any:
    """``{step}`` in the strings of a dead-letter config becomes the step's name (one location per step)."""
    if isinstance(value, str):
        return value.replace("{step}", step_name)
    if isinstance(value, Mapping):
        return {k: _with_step_name(v, step_name) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_step_name(v, step_name) for v in value]
    return value


def _steps_only(raw_steps: Any, converter: Any) -> PipelineSpec | None:
    try:
        return PipelineSpec(name="", steps=converter.structure(raw_steps, list[StepSpec]))
    except Exception:
        return None  # already reported by the full structuring


def _resolve_step(
    raw_step: Mapping[str, Any],
    path: str,
    registry: ComponentRegistry,
    converter: Any,
    issues: list[ConfigIssue],
    deferred: dict[str, DeferredStep] | None = None,
) -> ResolvedStep | None:
    """The step's component and structured config; ``deferred`` collects steps whose module needs a session."""
    try:
        cls = registry.resolve(raw_step["type"])
    except ComponentNotFound as exc:
        issues.append(ConfigIssue(f"{path}.type", str(exc), exc.hint))
        return None
    except Exception as exc:  # the user's module itself failed to import
        condition = session_needed_condition(exc)
        if condition and deferred is not None and isinstance(raw_step.get("name"), str):
            deferred.setdefault(raw_step["name"], _deferred_step(raw_step, path, exc))
            return None
        hint = "fix the error in that module"
        if condition:
            hint = (
                "the module still needs something a Spark session provides: create it inside the component's "
                "methods instead of at import time"
            )
        issues.append(
            ConfigIssue(f"{path}.type", f"importing {raw_step['type']!r} failed: {type(exc).__name__}: {exc}", hint)
        )
        return None
    config = _structured_config(cls, raw_step.get("config", {}), f"{path}.config", converter, issues)
    if config is None:
        return None
    return ResolvedStep(str(raw_step.get("name")), cls, config)


def resolve_component(
    component: str | type[Component],
    config: Mapping[str, Any] | None = None,
    *,
    registry: ComponentRegistry | None = None,
    step_name: str = "step",
    path: str = "config",
) -> ResolvedStep:
    """One component (a type name as a step's ``type`` gives it, or the class) with its config checked as a step's is.

    The config is structured into the component's config class and checked exactly as pre-flight
    checks a step's ``config { }``; every problem is raised together as :class:`ConfigError`,
    with config paths under ``path``.  For building a single component outside a pipeline (tests).
    """
    issues: list[ConfigIssue] = []
    if isinstance(component, str):
        try:
            cls = (registry or ComponentRegistry()).resolve(component)
        except ComponentNotFound as exc:
            raise ConfigError([ConfigIssue("type", str(exc), exc.hint)]) from None
    else:
        cls = component
    structured = _structured_config(cls, config, path, make_converter(), issues)
    if structured is None:
        raise ConfigError(issues)
    return ResolvedStep(step_name, cls, structured)


def _structured_config(
    cls: type[Component], raw_config: Any, path: str, converter: Any, issues: list[ConfigIssue]
) -> ComponentConfig | None:
    """``raw_config`` structured into the component's config class and checked; ``None`` with ``issues`` added."""
    config_class = cls.config_class
    try:
        attrs.resolve_types(config_class)
    except Exception:
        pass  # unresolvable string annotations are reported by the structuring below
    if raw_config is None:
        raw_config = {}
    if not isinstance(raw_config, Mapping):
        issues.append(ConfigIssue(path, "expected an object { ... }"))
        return None
    try:
        config = converter.structure(dict(raw_config), config_class)
    except Exception as exc:
        issues.extend(issues_from_exception(exc, path))
        return None
    problems = check_problems(config)
    for key, message in problems:
        issues.append(ConfigIssue(f"{path}{'.' + key if key else ''}", message))
    if problems:
        return None
    return config


def _deferred_step(raw_step: Mapping[str, Any], path: str, error: BaseException) -> DeferredStep:
    reason = f"{type(error).__name__}: {error}"
    note = ConfigIssue(
        f"{path}.type",
        f"not checked without Spark: importing {raw_step['type']!r} needs a Spark session ({reason}); "
        "`ppf run` imports it once the session exists, then checks the step's config and the graph rules "
        "that depend on its kind",
        "to have it checked here too, create what needs the session inside the component's methods, "
        'or give types as objects (LongType()) rather than DDL strings ("long")',
    )
    return DeferredStep(str(raw_step["name"]), str(raw_step["type"]), reason, note)


def _file_and_line(file: PipelineFile, raw_steps: Any) -> Callable[[str], str | None]:
    """``"file:line"`` of a config path in the pipeline's file(s), read only when first asked."""
    locator: list[SourceLocator] = []

    def locate(path: str) -> str | None:
        if not locator:
            steps = raw_steps if isinstance(raw_steps, list) else []
            names = [str(s.get("name", "")) if isinstance(s, Mapping) else "" for s in steps]
            locator.append(SourceLocator(file.sources, names))
        where, line = locator[0].locate(path)
        where = where or str(file.path)
        return f"{where}:{line}" if line else where

    return locate


def _locate(issues: list[ConfigIssue], file: PipelineFile | None, raw_steps: Any) -> list[ConfigIssue]:
    if file is None:
        return issues
    names = (
        [s.get("name", "") if isinstance(s, Mapping) else "" for s in raw_steps] if isinstance(raw_steps, list) else []
    )
    locator = SourceLocator(file.sources, [str(n) for n in names])
    located = []
    for issue in issues:
        if issue.file:
            located.append(issue)
            continue
        where, line = locator.locate(issue.path)
        located.append(issue.located(where or str(file.path), line))
    return located
