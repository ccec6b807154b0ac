from pyspark.sql import DataFrame
from pyspark_pipeline_framework.core import Transform, TransformConfig

class UserAnonymizerConfig(TransformConfig):
    pii_fields: list[str]
    hash_algorithm: str = "sha256"

class UserAnonymizer(Transform[UserAnonymizerConfig]):
    """Anonymize PII fields using configurable hashing."""

    def transform(self, df: DataFrame) -> DataFrame:
        from pyspark.sql.functions import sha2

        result = df
        for field in self.config.pii_fields:
            result = result.withColumn(
                field,
                sha2(result[field], 256) if self.config.hash_algorithm == "sha256" else hash(result[field])
            )

        self.logger.info(
            "anonymized_pii",
            field_count=len(self.config.pii_fields),
            algorithm=self.config.hash_algorithm
        )

        return result
