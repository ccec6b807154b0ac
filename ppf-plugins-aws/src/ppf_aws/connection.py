"""How a step reaches its bucket: endpoint, region, path-style access and credentials.

The options become S3A per-bucket settings (``fs.s3a.bucket.<bucket>.*``) of the session just
before the step first touches the bucket, so steps on different buckets (or an S3-compatible store
beside AWS) do not disturb each other.  They are set with ``spark.conf.set``: Spark copies a
session's SQL settings into the Hadoop configuration of every DataFrame read and write, Delta's
included, so no handle on the JVM's Hadoop configuration is needed (and Spark Connect works too).
A per-bucket setting that is already there (``spark.conf`` of the pipeline, as
``spark.hadoop.fs.s3a.bucket...`` or without the prefix, or an earlier step) is kept: the user's
settings always win.  S3A caches one filesystem per bucket, so settings must be in place before
the bucket's first use.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from pyspark_pipeline_framework.core import ComponentConfig

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

Credentials = Literal["default", "profile", "keys"]

PROFILE_PROVIDER = "org.apache.hadoop.fs.s3a.auth.ProfileAWSCredentialsProvider"
KEYS_PROVIDER = "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider"
SESSION_KEYS_PROVIDER = "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider"
#: Values of these settings never reach a log line.
SECRET_SETTINGS = {"access.key", "secret.key", "session.token"}


class S3ConnectionConfig(ComponentConfig):
    """Connection options shared by S3Source and S3Sink."""

    #: S3 endpoint URL for S3-compatible stores (MinIO, LocalStack, moto), e.g. "http://127.0.0.1:9000".
    #: Default: AWS itself, or AWS_ENDPOINT_URL / spark.hadoop.fs.s3a.endpoint when set.
    endpoint: str | None = None
    #: AWS region of the bucket, e.g. "eu-west-1".
    region: str | None = None
    #: Address buckets as endpoint/bucket instead of bucket.endpoint (most S3-compatible stores need it).
    path_style_access: bool | None = None
    #: "default": the AWS default provider chain (environment, profile, instance role);
    #: "profile": the named `profile` of ~/.aws/credentials; "keys": the keys below.
    credentials: Credentials = "default"
    #: credentials = "profile": the profile name.
    profile: str | None = None
    #: credentials = "keys": access key id (write secret://... to take it from a secret store).
    access_key_id: str | None = None
    #: credentials = "keys": secret access key (write secret://... to take it from a secret store).
    secret_access_key: str | None = None
    #: credentials = "keys": session token of temporary credentials.
    session_token: str | None = None

    def check(self) -> Iterable[tuple[str, str]]:
        return access_issues(self)

    def bucket_settings(self) -> dict[str, str]:
        """S3A settings (without the ``fs.s3a.bucket.<name>.`` prefix) these options ask for."""
        settings: dict[str, str] = {}
        if self.endpoint:
            settings["endpoint"] = self.endpoint
            if self.endpoint.lower().startswith("http://"):
                settings["connection.ssl.enabled"] = "false"
        if self.region:
            settings["endpoint.region"] = self.region
        if self.path_style_access is not None:
            settings["path.style.access"] = str(self.path_style_access).lower()
        if self.credentials == "profile":
            settings["aws.credentials.provider"] = PROFILE_PROVIDER
            settings["auth.profile.name"] = str(self.profile)
        elif self.credentials == "keys":
            settings["aws.credentials.provider"] = SESSION_KEYS_PROVIDER if self.session_token else KEYS_PROVIDER
            settings["access.key"] = str(self.access_key_id)
            settings["secret.key"] = str(self.secret_access_key)
            if self.session_token:
                settings["session.token"] = self.session_token
        return settings


def apply_bucket_settings(spark: SparkSession, bucket: str, settings: dict[str, str], logger: Any) -> None:
    """Set ``settings`` for ``bucket`` in the session's settings, keeping what is already set."""
    for name, value in settings.items():
        key = f"fs.s3a.bucket.{bucket}.{name}"
        existing = spark.conf.get(key, None)
        if existing is None:  # given to the session builder: Spark keeps the spark.hadoop. prefix here
            existing = spark.conf.get(f"spark.hadoop.{key}", None)
        if existing is None:
            spark.conf.set(key, value)
        elif existing != value:
            shown = "***" if name in SECRET_SETTINGS else value
            logger.warning(
                "s3_option_kept",
                key=key,
                wanted=shown,
                reason="already set by spark.conf or an earlier step; the existing value wins",
            )


def access_issues(options: Any) -> Iterable[tuple[str, str]]:
    """What is wrong with ``endpoint`` and the credential settings of ``options`` (an S3
    connection's or a Secrets Manager scheme's), as ``(key, message)`` pairs."""
    if options.endpoint is not None and "://" not in options.endpoint:
        yield "endpoint", f"{options.endpoint!r} is not a URL; write http://host:port or https://host"
    if options.credentials == "profile" and not options.profile:
        yield "profile", 'credentials = "profile" needs the profile name'
    if options.credentials != "profile" and options.profile:
        yield "profile", 'only applies with credentials = "profile"'
    keys = {"access_key_id": options.access_key_id, "secret_access_key": options.secret_access_key}
    if options.credentials == "keys":
        for key, value in keys.items():
            if not value:
                yield key, 'credentials = "keys" needs access_key_id and secret_access_key'
    else:
        for key, value in {**keys, "session_token": options.session_token}.items():
            if value:
                yield key, 'only applies with credentials = "keys"'
