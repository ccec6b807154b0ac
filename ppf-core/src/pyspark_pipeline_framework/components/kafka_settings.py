"""Spark's Kafka connector, added to the sessions of pipelines that use a Kafka component.

Registered in the ``ppf.plugins`` entry-point group as ``kafka`` (``autoload``).  The connector's
Maven artifact is versioned with Spark itself, so the running pyspark's version names it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyspark_pipeline_framework.core import hookimpl

if TYPE_CHECKING:
    from pyspark_pipeline_framework.core import ResolvedStep

autoload = True

#: Spark 4 is published for Scala 2.13 only.
SCALA_BINARY_VERSION = "2.13"


def kafka_package() -> str:
    """``org.apache.spark:spark-sql-kafka-0-10_2.13:<the installed pyspark's version>``."""
    from importlib.metadata import PackageNotFoundError, version  # only when a session is built

    try:
        spark_version = version("pyspark")
    except PackageNotFoundError:  # pyspark from a Spark distribution on the path
        import pyspark

        spark_version = pyspark.__version__
    return f"org.apache.spark:spark-sql-kafka-0-10_{SCALA_BINARY_VERSION}:{spark_version}"


@hookimpl
def ppf_spark_session_settings(component_types: list[type], steps: list[ResolvedStep]) -> dict[str, Any] | None:
    from pyspark_pipeline_framework.components.kafka import KafkaSink, KafkaSource

    uses_kafka = any(issubclass(t, (KafkaSource, KafkaSink)) for t in component_types) or any(
        str(getattr(step.config, "format", "")).lower() == "kafka" for step in steps
    )
    return {"packages": [kafka_package()]} if uses_kafka else None
