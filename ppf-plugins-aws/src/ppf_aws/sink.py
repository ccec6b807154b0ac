"""S3Sink: files of any format Spark writes, to s3://, s3a:// or s3n:// paths."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

import attrs

from pyspark_pipeline_framework.core import Sink, SinkConfig
from pyspark_pipeline_framework.spark import writes_row_for_row

from .access_errors import access_error, is_access_failure
from .connection import S3ConnectionConfig, apply_bucket_settings
from .formats import check_format
from .uris import bucket_of, check_s3_uri

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

WriteMode = Literal["append", "overwrite", "error", "errorifexists", "ignore"]


class S3SinkConfig(S3ConnectionConfig, SinkConfig):
    #: Target directory: s3://bucket/prefix (s3a:// and s3n:// work too).
    path: str
    #: Any format Spark writes: parquet, csv, json, orc, text, avro (with its package)...
    format: str = "parquet"
    #: What to do when the target exists.
    mode: WriteMode = "error"
    #: Columns to partition the output by.
    partition_by: list[str] = attrs.field(factory=list)
    #: Writer options, e.g. { compression = "zstd" }.
    options: dict[str, str] = attrs.field(factory=dict)

    def check(self) -> Iterable[tuple[str, str]]:
        yield from check_s3_uri(self.path)
        yield from check_format(self.format)
        yield from super().check()


class S3Sink(Sink[S3SinkConfig]):
    """Writes files in any format Spark supports to Amazon S3 or an S3-compatible store."""

    @classmethod
    def written_records_are_input_rows(cls, config: Any) -> bool:
        return writes_row_for_row(config.format)

    def write(self, df: DataFrame) -> None:
        config = self.config
        apply_bucket_settings(df.sparkSession, bucket_of(config.path), config.bucket_settings(), self.logger)
        writer = df.write.format(config.format).mode(config.mode).options(**config.options)
        if config.partition_by:
            writer = writer.partitionBy(*config.partition_by)
        try:
            writer.save(config.path)
        except Exception as error:
            if not is_access_failure(error):
                raise
            raise access_error("write", config.path, self.config_path("path"), config.endpoint, error) from error
