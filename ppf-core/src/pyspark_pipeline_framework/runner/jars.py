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

import importlib.util
import os
import shutil
import subprocess
import tempfile
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from pyspark_pipeline_framework.core.errors import PpfError

DEFAULT_JARS_DIR = Path.home() / ".cache" / "ppf" / "jars"
#: Where spark.jars.packages (Spark 4) keeps its Ivy downloads; sharing it avoids downloading twice.
SPARK_IVY_CACHE = Path.home() / ".ivy2.5.2" / "cache"
MANIFEST = "manifest.txt"


class JarFetchError(PpfError, RuntimeError):
    """A package could not be resolved; the message says which and why."""


def installed_plugin_settings(leave_out: Collection[str] = ()) -> list[Mapping[str, Any]]:
    """What every installed plugin asks of a Spark session, as if a pipeline used all components.

    The distributions named in ``leave_out`` are not imported (``ppf doctor``'s incompatible ones).
    """
    from pyspark_pipeline_framework.core.plugins import hook_entry_points, load_hook_plugins
    from pyspark_pipeline_framework.core.registry import ComponentRegistry
    from pyspark_pipeline_framework.core.spec import HooksSettings

    registry = ComponentRegistry()
    types = []
    for name in registry.names():
        try:
            entry = registry.entry(name)
            if entry.distribution not in leave_out:
                types.append(entry.load())
        except Exception:
            continue
    switched_off = {
        name: False
        for name, ep in hook_entry_points().items()
        if getattr(ep, "dist", None) is not None and ep.dist.metadata["Name"] in leave_out  # type: ignore[union-attr]
    }
    manager = load_hook_plugins(HooksSettings(enabled=switched_off)).manager
    return [a for a in manager.hook.ppf_spark_session_settings(component_types=types, steps=[]) if a]


def installed_plugin_packages(leave_out: Collection[str] = ()) -> list[str]:
    packages: list[str] = []
    for answer in installed_plugin_settings(leave_out):
        for package in answer.get("packages", ()):
            if package not in packages:
                packages.append(str(package))
    return packages


def _pyspark_jars_dir() -> Path:
    spec = importlib.util.find_spec("pyspark")
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / "jars").is_dir():
            return Path(location) / "jars"
    raise JarFetchError("pyspark is not installed; `pip install pyspark` (its jars include the Ivy resolver)")


def artifact_name(jar_file_name: str) -> str:
    """``json4s-jackson-core_2.13-4.0.7.jar`` -> ``json4s-jackson-core_2.13``."""
    parts = jar_file_name.removesuffix(".jar").split("-")
    name: list[str] = []
    for part in parts:
        if part[:1].isdigit() and name:
            break
        name.append(part)
    return "-".join(name)


def ivy_jar() -> Path:
    found = sorted(_pyspark_jars_dir().glob("ivy-*.jar"))
    if not found:
        raise JarFetchError("pyspark's jars contain no Ivy jar; reinstall pyspark")
    return found[-1]


def resolve(coordinate: str) -> list[Path]:
    """The jar of ``group:artifact:version`` and of its runtime dependencies, in Ivy's cache."""
    parts = coordinate.split(":")
    if len(parts) != 3 or not all(parts):
        raise JarFetchError(f"{coordinate!r} is not a Maven coordinate group:artifact:version")
    with tempfile.TemporaryDirectory(prefix="ppf-jars-") as scratch:
        classpath = Path(scratch) / "classpath.txt"
        done = subprocess.run(
            [
                "java",
                "-jar",
                str(ivy_jar()),
                "-dependency",
                *parts,
                "-confs",
                "default",
                "-cache",
                str(SPARK_IVY_CACHE),
                "-cachepath",
                str(classpath),
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0 or not classpath.is_file():
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
            raise JarFetchError(f"Ivy could not resolve {coordinate}:\n{tail}")
        return [Path(p) for p in classpath.read_text().strip().split(os.pathsep) if p.endswith(".jar")]


def read_manifest(jars_dir: Path) -> dict[str, list[str]]:
    manifest = jars_dir / MANIFEST
    listed: dict[str, list[str]] = {}
    if manifest.is_file():
        for line in manifest.read_text().splitlines():
            root, _, files = line.partition(" ")
            if root:
                listed[root] = [f for f in files.split(",") if f]
    return listed


def cached_packages(jars_dir: Path, packages: Iterable[str]) -> dict[str, bool]:
    """Whether the cache holds each package, by the rule sessions use: every jar its manifest line lists."""
    listed = read_manifest(jars_dir)
    return {
        package: (package in listed and all((jars_dir / name).is_file() for name in listed[package]))
        or _single_jar(jars_dir, package).is_file()
        for package in packages
    }


def _single_jar(jars_dir: Path, coordinate: str) -> Path:
    # A jar dropped into the cache by hand, without a manifest line: <artifact>-<version>.jar
    _group, artifact, version = [*coordinate.split(":"), "", ""][:3]
    return jars_dir / f"{artifact}-{version}.jar"


def fetch(packages: Iterable[str], jars_dir: Path) -> dict[str, list[str]]:
    """Copy each package's jars into ``jars_dir`` and record them in its manifest."""
    jars_dir.mkdir(parents=True, exist_ok=True)
    shipped = {artifact_name(j.name) for j in _pyspark_jars_dir().glob("*.jar")}
    listed = read_manifest(jars_dir)
    for coordinate in packages:
        names = []
        for jar in resolve(coordinate):
            # Ivy's cache layout: <cache>/<organisation>/<module>/jars/<module>-<revision>.jar
            module, organisation = jar.parent.parent.name, jar.parent.parent.parent.name
            if module in shipped:
                continue
            name = f"{organisation}_{jar.name}"
            if not (jars_dir / name).is_file():
                _link_or_copy(jar, jars_dir / name)
            names.append(name)
        listed[coordinate] = names
    (jars_dir / MANIFEST).write_text("".join(f"{c} {','.join(n)}\n" for c, n in sorted(listed.items())))
    return listed


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)  # the AWS SDK bundle alone is ~600 MB: share it with Ivy's cache
    except OSError:
        shutil.copy2(source, target)
