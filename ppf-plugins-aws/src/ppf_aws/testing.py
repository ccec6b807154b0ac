"""Test helpers: a real S3 API on 127.0.0.1 (a moto server) and the S3A settings to reach it.

    with moto_s3_server() as s3:
        s3.create_bucket("raw-data")
        route_bucket(spark, "raw-data", s3.endpoint)   # this bucket now lives on the moto server
        s3.create_secret("prod/db", '{"password": "..."}')   # moto serves Secrets Manager too

Needs the ``testing`` extra (``pip install ppf-plugins-aws[testing]``: moto[server], boto3).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: moto accepts any keys; these only keep the AWS SDK from searching for real ones.
TEST_ACCESS_KEY = "testing"
TEST_SECRET_KEY = "testing"
TEST_REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@attrs.frozen
class S3TestServer:
    """A running moto S3 server."""

    endpoint: str

    def client(self, service: str = "s3") -> Any:
        """A boto3 client of ``service`` ("s3", "secretsmanager", "iam"...) on this server, with test keys."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=TEST_REGION,
            aws_access_key_id=TEST_ACCESS_KEY,
            aws_secret_access_key=TEST_SECRET_KEY,
        )

    def create_secret(self, name: str, value: str | bytes) -> str:
        """A Secrets Manager secret (a string, or binary for bytes); returns its ARN."""
        field = "SecretBinary" if isinstance(value, bytes) else "SecretString"
        return self.client("secretsmanager").create_secret(Name=name, **{field: value})["ARN"]

    def secrets_manager_settings(self) -> dict[str, str]:
        """``hooks { aws_secrets_manager { ... } }`` settings that reach this server."""
        return {"endpoint": self.endpoint, "region": TEST_REGION}

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


@contextmanager
def moto_s3_server() -> Iterator[S3TestServer]:
    """Start a moto S3 server on a free port of 127.0.0.1; stopped when the block ends."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield S3TestServer(f"http://127.0.0.1:{port}")
    finally:
        server.stop()


def s3a_settings(endpoint: str, *, fail_fast: bool = False) -> dict[str, str]:
    """S3A settings (without prefix) for an S3-compatible store at ``endpoint`` with test keys.

    ``fail_fast`` turns S3A's retries off, for tests of an unreachable endpoint.
    """
    settings = {
        "endpoint": endpoint,
        "endpoint.region": TEST_REGION,
        "path.style.access": "true",
        "connection.ssl.enabled": "false",
        "aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
        "access.key": TEST_ACCESS_KEY,
        "secret.key": TEST_SECRET_KEY,
    }
    if fail_fast:
        settings.update(
            {
                "attempts.maximum": "0",
                "retry.limit": "0",
                "retry.interval": "10ms",
                "connection.establish.timeout": "2s",
            }
        )
    return settings


def route_bucket(spark: SparkSession, bucket: str, endpoint: str, *, fail_fast: bool = False) -> None:
    """Point one bucket of a running session at ``endpoint`` (per-bucket S3A settings).

    Per bucket, so one shared test session can hold buckets of several stores; set it before
    the bucket's first use, since S3A caches one filesystem per bucket.
    """
    for name, value in s3a_settings(endpoint, fail_fast=fail_fast).items():
        # Spark copies session settings into the Hadoop configuration of DataFrame reads and writes.
        spark.conf.set(f"fs.s3a.bucket.{bucket}.{name}", value)


def spark_conf_for(endpoint: str, *, fail_fast: bool = False) -> dict[str, str]:
    """The same settings as ``spark.conf`` entries for every bucket (one store per session)."""
    return {f"spark.hadoop.fs.s3a.{k}": v for k, v in s3a_settings(endpoint, fail_fast=fail_fast).items()}
