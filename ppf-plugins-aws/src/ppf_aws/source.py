"""S3Source: files of any format Spark reads, from s3://, s3a:// or s3n:// paths."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs

from pyspark_pipeline_framework.core import Source, SourceConfig

from .access_errors import access_error, is_access_failure
from .connection import S3ConnectionConfig, apply_bucket_settings
from .formats import check_format
from .uris import bucket_of, check_s3_uri

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class S3SourceConfig(S3ConnectionConfig, SourceConfig):
    #: s3://bucket/key, s3a://... or s3n://...; globs work, e.g. "s3://raw-data/users/*.parquet".
    path: str
    #: Any format Spark reads: parquet, csv, json, orc, text, avro (with its package), delta...
    format: str = "parquet"
    #: Reader options, e.g. { header = "true" } for CSV.
    options: dict[str, str] = attrs.field(factory=dict)
    #: Optional schema as a DDL string, e.g. "id INT, name STRING"; skips schema inference.
    schema: str | None = None

    def check(self) -> Iterable[tuple[str, str]]:
        yield from check_s3_uri(self.path)
        yield from check_format(self.format)
        yield from super().check()


class S3Source(Source[S3SourceConfig]):
    """Reads files in any format Spark supports from Amazon S3 or an S3-compatible store."""

    def read(self) -> DataFrame:
        config = self.config
        spark = self.context.spark
        apply_bucket_settings(spark, bucket_of(config.path), config.bucket_settings(), self.logger)
        reader = spark.read.format(config.format).options(**config.options)
        if config.schema:
            reader = reader.schema(config.schema)
        try:
            # Schema inference lists and opens the files here, so an unreachable store fails now.
            return reader.load(config.path)
        except Exception as error:
            if not is_access_failure(error):
                raise
            raise access_error("read", config.path, self.config_path("path"), config.endpoint, error) from error
