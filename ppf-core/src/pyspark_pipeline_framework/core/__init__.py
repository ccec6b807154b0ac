"""The public API for authors of components and hooks.

    from pyspark_pipeline_framework.core import Transform, TransformConfig, Hook

Everything named in ``__all__`` is public: hook arguments are only ever added, and a public name
is deprecated for at least one minor release before it is removed.  Nothing here imports
pyspark, so a pipeline file is checked without a JVM.
"""

from pyspark_pipeline_framework.core import spec as _spec
from pyspark_pipeline_framework.core.component import (
    Component,
    ComponentConfig,
    ComponentKind,
    Sink,
    SinkConfig,
    Source,
    SourceConfig,
    Transform,
    TransformConfig,
    Validator,
    ValidatorConfig,
)
from pyspark_pipeline_framework.core.context import Context, RunInfo
from pyspark_pipeline_framework.core.dag import PipelineGraph
from pyspark_pipeline_framework.core.datasets import Dataset, StepDatasets, step_datasets
from pyspark_pipeline_framework.core.dead_letters import CORRUPT_RECORD_COLUMN, ENVELOPE, DeadLetters
from pyspark_pipeline_framework.core.deprecation import deprecated_names
from pyspark_pipeline_framework.core.errors import ConfigError, ConfigIssue, PermanentError, PpfError, RunCancelled
from pyspark_pipeline_framework.core.hook import Hook, HookSettings
from pyspark_pipeline_framework.core.hookspecs import hookimpl
from pyspark_pipeline_framework.core.lazy_exports import lazy_exports
from pyspark_pipeline_framework.core.masking import secret_masker
from pyspark_pipeline_framework.core.metrics import Metrics
from pyspark_pipeline_framework.core.pipeline import ResolvedDeadLetter, ResolvedPipeline, ResolvedStep
from pyspark_pipeline_framework.core.results import SUMMARY_METRICS, ExitCode, RunResult, StepResult, StepStatus
from pyspark_pipeline_framework.core.secrets import (
    InvalidSecretReference,
    PermanentSecretError,
    Secret,
    SecretAccessDenied,
    SecretCredentialsInvalid,
    SecretDecryptionFailed,
    SecretError,
    SecretKeyNotFound,
    SecretNotFound,
    SecretResolver,
    SecretUnavailable,
    key_of,
)
from pyspark_pipeline_framework.core.spec import (
    CircuitBreakerSettings,
    DeadLetterSettings,
    HooksBlock,
    PipelineSpec,
    RetryPolicy,
    Seconds,
    ShipCodeSettings,
    SparkSettings,
    StepSpec,
)

__all__ = [
    "CORRUPT_RECORD_COLUMN",
    "ENVELOPE",
    "SUMMARY_METRICS",
    "CircuitBreakerSettings",
    "Component",
    "ComponentConfig",
    "ComponentKind",
    "ConfigError",
    "ConfigIssue",
    "Context",
    "Dataset",
    "DeadLetterSettings",
    "DeadLetters",
    "ExitCode",
    "Hook",
    "HookSettings",
    "HooksBlock",
    "InvalidSecretReference",
    "Metrics",
    "PermanentError",
    "PermanentSecretError",
    "PipelineGraph",
    "PipelineSpec",
    "PpfError",
    "ResolvedDeadLetter",
    "ResolvedPipeline",
    "ResolvedStep",
    "RetryPolicy",
    "RunCancelled",
    "RunInfo",
    "RunResult",
    "Seconds",
    "Secret",
    "SecretAccessDenied",
    "SecretCredentialsInvalid",
    "SecretDecryptionFailed",
    "SecretError",
    "SecretKeyNotFound",
    "SecretNotFound",
    "SecretResolver",
    "SecretUnavailable",
    "ShipCodeSettings",
    "Sink",
    "SinkConfig",
    "Source",
    "SourceConfig",
    "SparkSettings",
    "StepDatasets",
    "StepResult",
    "StepSpec",
    "StepStatus",
    "Transform",
    "TransformConfig",
    "Validator",
    "ValidatorConfig",
    "hookimpl",
    "key_of",
    "lazy_exports",
    "secret_masker",
    "step_datasets",
]

# Renamed public names keep working, with a DeprecationWarning, for at least one minor release.
__getattr__ = deprecated_names(__name__, _spec.RENAMED, globals())
