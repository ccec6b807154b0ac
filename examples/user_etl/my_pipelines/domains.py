from pyspark.sql import DataFrame
from pyspark.sql.functions import udf
from pyspark_pipeline_framework.core import Transform, TransformConfig


@udf("string")
def email_domain(email):
    return email.rsplit("@", 1)[1].lower() if email and "@" in email else None


class EmailDomainConfig(TransformConfig):
    column: str = "email"
    output: str = "email_domain"


class EmailDomain(Transform[EmailDomainConfig]):
    """Add the domain of an e-mail address column, computed by a Python UDF."""

    def transform(self, df: DataFrame) -> DataFrame:
        return df.withColumn(self.config.output, email_domain(df[self.config.column]))
