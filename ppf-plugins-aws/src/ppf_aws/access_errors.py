"""Turning S3A's deep stack traces into an error that names the path, the step and what to check."""

from __future__ import annotations

from pyspark_pipeline_framework.core import PpfError

#: Text fragments of S3A/AWS SDK failures to reach or authenticate with the store.
_ACCESS_FAILURES = (
    "AWSClientIOException",
    "SdkClientException",
    "Unable to execute HTTP request",
    "Connection refused",
    "ConnectException",
    "UnknownHostException",
    "AccessDenied",
    "403 Forbidden",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "NoSuchBucket",
    "UnknownStoreException",
    "AWSBadRequestException",
    "AWSNoResponseException",
    "timed out",
    "NoAwsCredentialsException",
    "No AWS Credentials",
)


class S3AccessError(PpfError):
    """The S3 store could not be reached, or refused the request; the step wrote nothing."""


def is_access_failure(error: BaseException) -> bool:
    text = str(error)
    return any(fragment in text for fragment in _ACCESS_FAILURES)


def access_error(action: str, uri: str, config_path: str, endpoint: str | None, error: BaseException) -> S3AccessError:
    lines = str(error).splitlines()
    cause = next(
        (line.strip() for line in lines if any(f in line for f in _ACCESS_FAILURES)),
        lines[0] if lines else type(error).__name__,
    )
    where = f"endpoint {endpoint}" if endpoint else "the configured S3 endpoint"
    return S3AccessError(
        f"{config_path}: cannot {action} {uri} through {where}: {cause[:500]}. "
        "Check that the endpoint is up and reachable, the bucket exists, and the credentials are valid "
        "(endpoint, region, path_style_access and credentials options, or spark.hadoop.fs.s3a.* in spark.conf)."
    )
