"""Amazon S3 for ppf: ``S3Source`` and ``S3Sink`` plus the S3A settings Spark needs; and
``secret://aws-sm/...`` references to AWS Secrets Manager.

Nothing here imports pyspark or boto at import time, so ``ppf validate`` stays JVM-free.
"""

from pyspark_pipeline_framework.core import lazy_exports

_EXPORTS = {  # public name -> submodule, imported on first use
    "S3Sink": "sink",
    "S3SinkConfig": "sink",
    "S3Source": "source",
    "S3SourceConfig": "source",
    "SecretsManagerPlugin": "secrets_manager",
    "SecretsManagerResolver": "secrets_manager",
    "SecretsManagerSettings": "secrets_manager",
}

__all__ = [*_EXPORTS, "__version__"]
__getattr__ = lazy_exports(__name__, "ppf-plugins-aws", _EXPORTS)
