"""Amazon S3 for ppf: ``S3Source`` and ``S3Sink`` plus the S3A settings Spark needs.

Nothing here imports pyspark or boto at import time, so ``ppf validate`` stays JVM-free.
"""

from importlib.metadata import PackageNotFoundError, version

from .sink import S3Sink, S3SinkConfig
from .source import S3Source, S3SourceConfig

try:
    __version__ = version("ppf-plugins-aws")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

__all__ = ["S3Sink", "S3SinkConfig", "S3Source", "S3SourceConfig", "__version__"]
