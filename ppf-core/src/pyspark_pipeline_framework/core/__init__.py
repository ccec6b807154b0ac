"""Public API for component and hook authors.

    from pyspark_pipeline_framework.core import Transform, TransformConfig, Hook
"""

from .component import (
    Component,
    ComponentConfig,
    Sink,
    SinkConfig,
    Source,
    SourceConfig,
    Transform,
    TransformConfig,
    Validator,
    ValidatorConfig,
)
from .errors import ConfigError, ConfigIssue, PermanentError, PpfError, StepFailed
from .hook import Hook
from .hookspecs import hookimpl
from .spec import PipelineSpec, StepSpec

__all__ = [
    "Component", "ComponentConfig", "ConfigError", "ConfigIssue", "Context", "Hook", "PipelineSpec",
    "PermanentError", "PpfError", "Sink", "SinkConfig", "Source", "SourceConfig", "StepFailed", "StepSpec", "Transform",
    "TransformConfig", "Validator", "ValidatorConfig", "hookimpl",
]


def __getattr__(name: str):
    # Context lives in the runtime; importing it lazily keeps `core` free of import cycles.
    if name == "Context":
        from ..runtime.context import Context

        return Context
    raise AttributeError(name)
