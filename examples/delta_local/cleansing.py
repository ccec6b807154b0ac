"""Cleansing steps of the delta_local example: a Python UDF, defined at module level as usual."""

from pyspark.sql import DataFrame
from pyspark.sql.functions import udf

from pyspark_pipeline_framework.core import Transform, TransformConfig


@udf("string")
def digits_only(phone):
    """``+1-555-3471`` -> ``+15553471``: the leading ``+`` and the digits."""
    if phone is None:
        return None
    digits = "".join(ch for ch in phone if ch.isdigit())
    return ("+" if phone.strip().startswith("+") else "") + digits


class NormalizePhoneConfig(TransformConfig):
    column: str = "phone"


class NormalizePhone(Transform[NormalizePhoneConfig]):
    """Keep only the leading ``+`` and the digits of a phone number column."""

    def transform(self, df: DataFrame) -> DataFrame:
        return df.withColumn(self.config.column, digits_only(df[self.config.column]))
