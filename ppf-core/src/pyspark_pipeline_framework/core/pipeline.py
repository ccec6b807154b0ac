"""The resolved pipeline: what pre-flight hands to the engine once every check has passed.

Each step's component class has been found and its config structured into that component's
config class; each step's dead-letter sink likewise, and each hook plugin's settings.  The engine
runs a :class:`ResolvedPipeline` and never needs to know how it was read (a HOCON file, a string
in a test, a scheduler's API).

A step whose module can be imported only once a Spark session exists (a module-level
``@udf("long")``) is *deferred*: the engine calls ``resolve_in_session`` after building the
session, and that function, supplied by the reader, checks and resolves the step then.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs

from pyspark_pipeline_framework.core.component import Component, ComponentConfig
from pyspark_pipeline_framework.core.dag import PipelineGraph
from pyspark_pipeline_framework.core.errors import ConfigIssue
from pyspark_pipeline_framework.core.spec import PipelineSpec


@attrs.frozen
class ResolvedStep:
    """A step whose component class was found and whose config was structured."""

    name: str
    component_class: type[Component]
    config: ComponentConfig


@attrs.frozen
class ResolvedDeadLetter:
    """A step's dead-letter sink: the sink class, its structured config, the bad-row limit."""

    component_class: type[Component]
    config: ComponentConfig
    max_ratio: float | None = None


@attrs.frozen
class DeferredStep:
    """A step whose component module needs a Spark session to be imported, so pre-flight could not check it.

    Its component class, its config and the graph rules that depend on its kind are checked once
    the engine has built the session.
    """

    name: str
    type: str
    #: What the early import raised, e.g. ``PySparkRuntimeError [SESSION_OR_CONTEXT_NOT_EXISTS]: ...``.
    reason: str
    #: What ``ppf validate`` reports about it: the config path, file and line, and what was not checked.
    note: ConfigIssue


@attrs.frozen
class ResolvedPipeline:
    """A pipeline that passed every pre-flight check and is ready to run."""

    spec: PipelineSpec
    graph: PipelineGraph
    steps: Mapping[str, ResolvedStep]
    #: The pipeline file it was read from, when there is one (for the run ledger and messages).
    config_file: str | None = None
    #: Each step's dead-letter sink (its own block or the pipeline's), by step name.
    dead_letters: Mapping[str, ResolvedDeadLetter] = attrs.field(factory=dict)
    #: Each hook plugin's settings by its key in ``hooks { ... }``: an instance of the plugin's
    #: settings class (``Hook[SettingsClass]``), or the block as a dict for plugins without one.
    hook_settings: Mapping[str, object] = attrs.field(factory=dict)
    #: Steps left for the session to import (absent from ``steps`` until then), by step name.
    deferred: Mapping[str, DeferredStep] = attrs.field(factory=dict)
    #: Supplied by whoever checked the pipeline: checks it again once a Spark session exists and
    #: returns it with every step resolved, or raises :class:`~.errors.ConfigError`.
    resolve_in_session: Callable[[], ResolvedPipeline] | None = attrs.field(default=None, eq=False, repr=False)
    #: Supplied by whoever read the pipeline file: the ``"file:line"`` of a config path, for the
    #: messages of errors found while running (a secret reference that does not resolve).
    locate: Callable[[str], str | None] | None = attrs.field(default=None, eq=False, repr=False)

    def config_path(self, step_name: str) -> str:
        """The config path of a step's ``config`` block, as messages name it: ``pipeline.steps[2].config``."""
        index = next(i for i, step in enumerate(self.spec.steps) if step.name == step_name)
        return f"pipeline.steps[{index}].config"
