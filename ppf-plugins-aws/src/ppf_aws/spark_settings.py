"""The Spark settings S3 needs, for pipelines whose components or paths use S3.

Registered in the ``ppf.plugins`` entry-point group as ``aws`` and switched on by ``autoload``.
It answers for S3Source/S3Sink and for any step whose config holds an ``s3://``, ``s3a://`` or
``s3n://`` URI, so a ``DeltaSink`` (or core's file components) on S3 works too.  All values are
defaults: core lets the user's ``spark.conf`` win over every one of them.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from pyspark_pipeline_framework.core import hookimpl

from .uris import is_s3_uri

if TYPE_CHECKING:
    from pyspark_pipeline_framework.core import ResolvedStep

autoload = True

#: The Hadoop that pyspark 4.2.0 ships; used when pyspark's jars cannot be inspected.
FALLBACK_HADOOP_VERSION = "3.5.0"
S3A_FILESYSTEM = "org.apache.hadoop.fs.s3a.S3AFileSystem"
S3A_ABSTRACT_FILESYSTEM = "org.apache.hadoop.fs.s3a.S3A"


def pyspark_hadoop_version() -> str:
    """The Hadoop client version in pyspark's jars, found without importing pyspark."""
    spec = importlib.util.find_spec("pyspark")
    for location in (spec.submodule_search_locations or []) if spec else []:
        for jar in (Path(location) / "jars").glob("hadoop-client-api-*.jar"):
            match = re.fullmatch(r"hadoop-client-api-(.+)\.jar", jar.name)
            if match:
                return match.group(1)
    return FALLBACK_HADOOP_VERSION


def hadoop_aws_package() -> str:
    """hadoop-aws must match pyspark's Hadoop exactly; Ivy brings the AWS SDK bundle it declares."""
    return f"org.apache.hadoop:hadoop-aws:{pyspark_hadoop_version()}"


def s3_conf(environ: dict[str, str] | None = None) -> dict[str, str]:
    environ = dict(os.environ if environ is None else environ)
    conf = {}
    for scheme in ("s3", "s3n"):  # s3a:// is S3A already
        conf[f"spark.hadoop.fs.{scheme}.impl"] = S3A_FILESYSTEM
        conf[f"spark.hadoop.fs.AbstractFileSystem.{scheme}.impl"] = S3A_ABSTRACT_FILESYSTEM
    # The standard AWS variables for S3-compatible stores; S3A does not read them itself.
    endpoint = environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        conf["spark.hadoop.fs.s3a.endpoint"] = endpoint
        conf["spark.hadoop.fs.s3a.path.style.access"] = "true"
        if endpoint.lower().startswith("http://"):
            conf["spark.hadoop.fs.s3a.connection.ssl.enabled"] = "false"
        region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
        if region:
            conf["spark.hadoop.fs.s3a.endpoint.region"] = region
    return conf


def _strings(value: Any) -> Iterable[Any]:
    if attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            yield from _strings(getattr(value, field.name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
    else:
        yield value


def uses_s3(component_types: list[type], steps: list[ResolvedStep]) -> bool:
    from .sink import S3Sink
    from .source import S3Source

    if any(issubclass(t, (S3Source, S3Sink)) for t in component_types):
        return True
    return any(is_s3_uri(value) for step in steps for value in _strings(step.config))


@hookimpl
def ppf_spark_session_settings(component_types: list[type], steps: list[ResolvedStep]) -> dict[str, Any] | None:
    if not uses_s3(component_types, steps):
        return None
    return {"packages": [hadoop_aws_package()], "conf": s3_conf()}
