"""OpenTelemetry traces and metrics for ppf runs: ``hooks { enable_metrics = true }``."""

from pyspark_pipeline_framework.core import lazy_exports

_EXPORTS = {  # public name -> submodule, imported on first use
    "MetricsHook": "hook",
    "MetricsSettings": "telemetry",
    "LineageHook": "lineage",
    "LineageSettings": "lineage",
}

__all__ = [*_EXPORTS, "__version__"]
__getattr__ = lazy_exports(__name__, "ppf-plugins-metrics", _EXPORTS)
