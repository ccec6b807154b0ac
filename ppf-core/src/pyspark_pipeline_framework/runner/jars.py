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

from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from pyspark_pipeline_framework.runtime.session.jar_cache import (
    DEFAULT_JARS_DIR,
    MANIFEST,
    SPARK_IVY_CACHE,
    JarFetchError,
    artifact_name,
    cached_jars,
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
    "cached_jars",
    "cached_packages",
    "fetch",
    "installed_plugin_packages",
    "installed_plugin_settings",
    "ivy_jar",
    "read_manifest",
    "resolve",
]


def installed_plugin_settings(leave_out: Collection[str] = ()) -> list[Mapping[str, Any]]:
    """What every installed plugin asks of a Spark session, as if a pipeline used all components.

    The distributions named in ``leave_out`` are not imported (``ppf doctor``'s incompatible ones).
    """
    from pyspark_pipeline_framework.core.plugins import hook_entry_points, load_hook_plugins
    from pyspark_pipeline_framework.core.registry import ComponentRegistry
    from pyspark_pipeline_framework.core.spec import HooksBlock

    registry = ComponentRegistry()
    types = []
    for name in registry.names():
        try:
            entry = registry.entry(name)
            if entry.distribution not in leave_out:
                types.append(entry.load())
        except Exception:
            continue
    switched_off = {name: False for name, ep in hook_entry_points().items() if ep.distribution in leave_out}
    manager = load_hook_plugins(HooksBlock(enabled=switched_off)).manager
    return [a for a in manager.hook.ppf_spark_session_settings(component_types=types, steps=[]) if a]


def installed_plugin_packages(leave_out: Collection[str] = ()) -> list[str]:
    packages: list[str] = []
    for answer in installed_plugin_settings(leave_out):
        for package in answer.get("packages", ()):
            if package not in packages:
                packages.append(str(package))
    return packages


def cached_packages(jars_dir: Path, packages: Iterable[str]) -> dict[str, bool]:
    """Whether the cache holds each package, by the rule sessions use (:func:`.jar_cache.cached_jars`)."""
    packages = list(packages)
    _jars, missing = cached_jars(jars_dir, packages)
    return {package: package not in missing for package in packages}
