"""PySpark Pipeline Framework: declarative Spark pipelines from HOCON files.

The public API for component and hook authors lives in :mod:`pyspark_pipeline_framework.core`.
Importing this package is cheap: nothing here imports pyspark, nor reads package metadata until
``__version__`` is asked for.
"""

from pyspark_pipeline_framework.core.lazy_exports import lazy_exports

__all__ = ["__version__"]
__getattr__ = lazy_exports(__name__, "ppf-core", {})
