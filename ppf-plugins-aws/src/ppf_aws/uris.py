"""S3 URIs: which schemes count as S3 and where the bucket is."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

#: All three are served by Hadoop's S3A connector (the plugin maps s3:// and s3n:// onto it).
S3_SCHEMES = ("s3", "s3a", "s3n")


def is_s3_uri(text: object) -> bool:
    return isinstance(text, str) and urlsplit(text.strip()).scheme.lower() in S3_SCHEMES


def bucket_of(uri: str) -> str:
    return urlsplit(uri.strip()).netloc


def check_s3_uri(uri: str) -> Iterable[tuple[str, str]]:
    """Problems of a path that must be an S3 URI with a bucket, as ``(key, message)``."""
    parts = urlsplit(uri.strip())
    if parts.scheme.lower() not in S3_SCHEMES:
        yield "path", f"{uri!r} is not an S3 URI; write s3://bucket/key (s3a:// and s3n:// work too)"
    elif not parts.netloc:
        yield "path", f"{uri!r} names no bucket; write s3://bucket/key"
