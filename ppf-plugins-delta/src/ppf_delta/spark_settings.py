"""The Spark settings Delta needs, contributed only to sessions of pipelines that use Delta.

Registered in the ``ppf.plugins`` entry-point group as ``delta``; ``autoload`` switches it on
without ``hooks { enable_delta = true }``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyspark_pipeline_framework.core import hookimpl

if TYPE_CHECKING:
    from pyspark_pipeline_framework.core import ResolvedStep

autoload = True

#: delta-spark 4.x is published for Scala 2.13 only, like Spark 4 itself.
SCALA_BINARY_VERSION = "2.13"

DELTA_CONF = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}


def delta_package() -> str:
    """The Maven artifact matching the installed delta-spark Python package (they ship in lockstep)."""
    from importlib.metadata import version  # only when a session is built: checking a file reads no metadata

    return f"io.delta:delta-spark_{SCALA_BINARY_VERSION}:{version('delta-spark')}"


def uses_delta(component_types: list[type], steps: list[ResolvedStep]) -> bool:
    from .sink import DeltaSink
    from .source import DeltaSource

    if any(issubclass(t, (DeltaSource, DeltaSink)) for t in component_types):
        return True
    # Core's own file and table components can read and write Delta too.
    return any(str(getattr(step.config, "format", "")).lower() == "delta" for step in steps)


@hookimpl
def ppf_spark_session_settings(component_types: list[type], steps: list[ResolvedStep]) -> dict[str, Any] | None:
    if not uses_delta(component_types, steps):
        return None
    return {"packages": [delta_package()], "conf": dict(DELTA_CONF)}
