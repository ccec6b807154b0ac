"""The resolved pipeline: what pre-flight hands to the engine once every check has passed.

Each step's component class has been found and its config structured into that component's
config class; each step's dead-letter sink likewise, and each hook plugin's settings.  The engine
runs a :class:`ResolvedPipeline` and never needs to know how it was read (a HOCON file, a string
in a test, a scheduler's API).
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from pyspark_pipeline_framework.core.component import Component, ComponentConfig
from pyspark_pipeline_framework.core.dag import PipelineGraph
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
