"""Delta Lake for ppf: ``DeltaSource`` and ``DeltaSink`` plus the Spark settings Delta needs.

Nothing here imports pyspark or delta at import time, so ``ppf validate`` stays JVM-free.
"""

from pyspark_pipeline_framework.core import lazy_exports

_EXPORTS = {  # public name -> submodule, imported on first use
    "DeltaSink": "sink",
    "DeltaSinkConfig": "sink",
    "DeltaSource": "source",
    "DeltaSourceConfig": "source",
}

__all__ = [*_EXPORTS, "__version__"]
__getattr__ = lazy_exports(__name__, "ppf-plugins-delta", _EXPORTS)
