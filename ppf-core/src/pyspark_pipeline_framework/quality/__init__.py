"""Data quality: declarative checks evaluated in one pass over a step's data.

    from pyspark_pipeline_framework.quality import RowCheck, CheckConfig

Custom checks are classes registered in the ``ppf.checks`` entry-point group (or named by dotted
path in ``type``), exactly like components.
"""

from pyspark_pipeline_framework.core.errors import DataQualityError
from pyspark_pipeline_framework.quality.check import Check, CheckConfig, DatasetCheck, RowCheck

__all__ = ["Check", "CheckConfig", "DataQualityError", "DatasetCheck", "RowCheck"]
