"""PySpark Pipeline Framework: declarative Spark pipelines from HOCON files.

The public API for component and hook authors lives in :mod:`pyspark_pipeline_framework.core`.
Importing this package is cheap: nothing here imports pyspark.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ppf-core")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["__version__"]
