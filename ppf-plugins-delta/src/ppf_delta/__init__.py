"""Delta Lake for ppf: ``DeltaSource`` and ``DeltaSink`` plus the Spark settings Delta needs.

Nothing here imports pyspark or delta at import time, so ``ppf validate`` stays JVM-free.
"""

from importlib.metadata import PackageNotFoundError, version

from .sink import DeltaSink, DeltaSinkConfig
from .source import DeltaSource, DeltaSourceConfig

try:
    __version__ = version("ppf-plugins-delta")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

__all__ = ["DeltaSink", "DeltaSinkConfig", "DeltaSource", "DeltaSourceConfig", "__version__"]
