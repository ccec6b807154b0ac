"""OpenTelemetry traces and metrics for ppf runs: ``hooks { enable_metrics = true }``."""

from importlib.metadata import PackageNotFoundError, version

from .hook import MetricsHook

try:
    __version__ = version("ppf-plugins-metrics")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["MetricsHook", "__version__"]
