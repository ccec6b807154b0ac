"""``ppf jars fetch``: fill a local jar cache with the Maven packages the installed plugins need.

Sessions load jars from that cache instead of resolving ``spark.jars.packages`` over the network
when ``PPF_JARS_DIR`` (or the Spark property ``ppf.jars.dir``) points at it: the way to run on an
air-gapped cluster.  Resolution uses the Ivy that ships inside pyspark (``java -jar ivy.jar``),
the same resolver ``spark.jars.packages`` uses, so no Maven installation is needed.  The cache's
``manifest.txt`` lists, one line per package, ``<coordinate> jar1,jar2,...``: the package's jar and
its dependencies.  Jars that pyspark itself ships (Scala, Hadoop client, Parquet...) are left out:
Spark loads its own copies first anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyspark_pipeline_framework.runtime.session.jar_cache import (
    DEFAULT_JARS_DIR,
    MANIFEST,
    SPARK_IVY_CACHE,
    JarFetchError,
    artifact_name,
    fetch,
    ivy_jar,
    read_manifest,
    resolve,
)

__all__ = [
    "DEFAULT_JARS_DIR",
    "MANIFEST",
    "SPARK_IVY_CACHE",
    "JarFetchError",
    "artifact_name",
    "fetch",
    "installed_plugin_packages",
    "installed_plugin_settings",
    "ivy_jar",
    "read_manifest",
    "resolve",
]


def installed_plugin_settings() -> list[Mapping[str, Any]]:
    """What every installed plugin asks of a Spark session, as if a pipeline used all components."""
    from pyspark_pipeline_framework.core.plugins import load_hook_plugins
    from pyspark_pipeline_framework.core.registry import ComponentRegistry
    from pyspark_pipeline_framework.core.spec import HooksBlock

    registry = ComponentRegistry()
    types = []
    for name in registry.names():
        try:
            types.append(registry.entry(name).load())
        except Exception:
            continue
    manager = load_hook_plugins(HooksBlock()).manager
    return [a for a in manager.hook.ppf_spark_session_settings(component_types=types, steps=[]) if a]


def installed_plugin_packages() -> list[str]:
    packages: list[str] = []
    for answer in installed_plugin_settings():
        for package in answer.get("packages", ()):
            if package not in packages:
                packages.append(str(package))
    return packages
