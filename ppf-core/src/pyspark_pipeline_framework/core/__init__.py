"""The public API for authors of components and hooks.

    from pyspark_pipeline_framework.core import Transform, TransformConfig, Hook

Everything named in ``__all__`` is public: hook arguments are only ever added, and a public name
is deprecated for at least one minor release before it is removed.  Nothing here imports
pyspark, so a pipeline file is checked without a JVM.

Each name is imported from its submodule on first use: ``ppf validate`` imports only the modules
that checking a file needs, and a plugin importing ``Transform`` pays for nothing else.
"""

from typing import TYPE_CHECKING, Any

from pyspark_pipeline_framework.core.lazy_exports import lazy_exports

if TYPE_CHECKING:
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
    from pyspark_pipeline_framework.core.errors import (
        ConfigError,
        ConfigIssue,
        PermanentError,
        PpfError,
        RunCancelled,
        error_message,
        error_text,
    )
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

_EXPORTS = {  # public name -> submodule, imported on first use
    "CORRUPT_RECORD_COLUMN": "dead_letters",
    "CircuitBreakerSettings": "spec",
    "Component": "component",
    "ComponentConfig": "component",
    "ComponentKind": "component",
    "ConfigError": "errors",
    "ConfigIssue": "errors",
    "Context": "context",
    "Dataset": "datasets",
    "DeadLetterSettings": "spec",
    "DeadLetters": "dead_letters",
    "ENVELOPE": "dead_letters",
    "ExitCode": "results",
    "Hook": "hook",
    "HookSettings": "hook",
    "HooksBlock": "spec",
    "InvalidSecretReference": "secrets",
    "Metrics": "metrics",
    "PermanentError": "errors",
    "PermanentSecretError": "secrets",
    "PipelineGraph": "dag",
    "PipelineSpec": "spec",
    "PpfError": "errors",
    "error_message": "errors",
    "error_text": "errors",
    "ResolvedDeadLetter": "pipeline",
    "ResolvedPipeline": "pipeline",
    "ResolvedStep": "pipeline",
    "RetryPolicy": "spec",
    "RunCancelled": "errors",
    "RunInfo": "context",
    "RunResult": "results",
    "SUMMARY_METRICS": "results",
    "Seconds": "spec",
    "Secret": "secrets",
    "SecretAccessDenied": "secrets",
    "SecretCredentialsInvalid": "secrets",
    "SecretDecryptionFailed": "secrets",
    "SecretError": "secrets",
    "SecretKeyNotFound": "secrets",
    "SecretNotFound": "secrets",
    "SecretResolver": "secrets",
    "SecretUnavailable": "secrets",
    "ShipCodeSettings": "spec",
    "Sink": "component",
    "SinkConfig": "component",
    "Source": "component",
    "SourceConfig": "component",
    "SparkSettings": "spec",
    "StepDatasets": "datasets",
    "StepResult": "results",
    "StepSpec": "spec",
    "StepStatus": "results",
    "Transform": "component",
    "TransformConfig": "component",
    "Validator": "component",
    "ValidatorConfig": "component",
    "hookimpl": "hookspecs",
    "key_of": "secrets",
    "lazy_exports": "lazy_exports",
    "secret_masker": "masking",
    "step_datasets": "datasets",
}

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
    "error_message",
    "error_text",
    "hookimpl",
    "key_of",
    "lazy_exports",
    "secret_masker",
    "step_datasets",
]

_exported = lazy_exports(__name__, "ppf-core", _EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS or name == "__version__":
        return _exported(name)
    from pyspark_pipeline_framework.core.deprecation import deprecated_names
    from pyspark_pipeline_framework.core.spec import RENAMED

    # Renamed public names keep working, with a DeprecationWarning, for at least one minor release.
    replacements = {entry.replacement: _exported(entry.replacement) for entry in RENAMED.values()}
    return deprecated_names(__name__, RENAMED, replacements)(name)


def __dir__() -> list[str]:
    # The lazy names too: what dir(), completion and Sphinx's autodoc list.
    return sorted({*globals(), *__all__})
