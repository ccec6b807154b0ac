"""The local jar cache: Maven packages resolved once, loaded as local jars ever after.

A Spark session asked for packages (``spark.jars.packages``) resolves them with Ivy on every
start, printing Ivy's resolution report.  ppf resolves each package once instead, with the Ivy
that ships inside pyspark (``java -jar ivy.jar``, the resolver ``spark.jars.packages`` uses; no
Maven installation needed), keeps its jars in a cache folder and gives the session local jars
(``spark.jars``): later runs start without resolving and without network.  Ivy's report goes to
``resolution.log`` in the cache, not to the console.

Resolution holds a lock file in the cache: Ivy's own cache is not safe for two downloads of one
artifact at a time (two first runs on a fresh machine leave truncated jars and failed resolutions),
and the process that waited finds the packages already cached.

The cache's ``manifest.txt`` lists, one line per package, ``<coordinate> jar1,jar2,...``: the
package's jar and its dependencies.  Jars that pyspark itself ships (Scala, Hadoop client,
Parquet...) are left out: Spark loads its own copies first anyway.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from pyspark_pipeline_framework.core.errors import PpfError
from pyspark_pipeline_framework.runtime.session.java import java_executable

DEFAULT_JARS_DIR = Path.home() / ".cache" / "ppf" / "jars"
#: Where spark.jars.packages (Spark 4) keeps its Ivy downloads; sharing it avoids downloading twice.
SPARK_IVY_CACHE = Path.home() / ".ivy2.5.2" / "cache"
MANIFEST = "manifest.txt"
RESOLUTION_LOG = "resolution.log"
FETCH_LOCK = ".fetch.lock"


class JarFetchError(PpfError, RuntimeError):
    """A package could not be resolved; the message says which and why."""


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


def resolve(coordinate: str, log_file: Path | None = None) -> list[Path]:
    """The jar of ``group:artifact:version`` and of its runtime dependencies, in Ivy's cache.

    Ivy's report is appended to ``log_file`` when given, and is never printed.
    """
    parts = coordinate.split(":")
    if len(parts) != 3 or not all(parts):
        raise JarFetchError(f"{coordinate!r} is not a Maven coordinate group:artifact:version")
    with tempfile.TemporaryDirectory(prefix="ppf-jars-") as scratch:
        classpath = Path(scratch) / "classpath.txt"
        done = subprocess.run(
            [
                java_executable() or "java",
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
        if log_file is not None:
            _log_resolution(log_file, coordinate, done.stdout + done.stderr)
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


def cached_jars(jars_dir: Path, packages: Iterable[str]) -> tuple[list[Path], list[str]]:
    """The cached jars of ``packages`` (with their dependencies), and the packages the cache lacks.

    A package is cached when every jar its manifest line lists is there, or when its own jar
    ``<artifact>-<version>.jar`` was dropped into the cache by hand, without a manifest line.
    """
    listed = read_manifest(jars_dir)
    jars: list[Path] = []
    missing: list[str] = []
    for package in packages:
        _group, artifact, version = [*package.split(":"), "", ""][:3]
        if _complete(listed, package, jars_dir):
            jars.extend(jars_dir / name for name in listed[package])
        elif (jars_dir / f"{artifact}-{version}.jar").is_file():
            jars.append(jars_dir / f"{artifact}-{version}.jar")
        else:
            missing.append(package)
    return list(dict.fromkeys(jars)), missing


def _complete(listed: dict[str, list[str]], package: str, jars_dir: Path) -> bool:
    """``package`` has a manifest line and every jar it lists is in the cache."""
    return package in listed and all((jars_dir / name).is_file() for name in listed[package])


def fetch(packages: Iterable[str], jars_dir: Path) -> dict[str, list[str]]:
    """Copy each package's jars into ``jars_dir`` and record them in its manifest.

    One process at a time resolves into a cache; a package another process cached meanwhile is
    not resolved again.
    """
    packages = list(packages)
    jars_dir.mkdir(parents=True, exist_ok=True)
    with _exclusive(jars_dir / FETCH_LOCK):
        return _fetch_locked(packages, jars_dir)


@contextlib.contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    """Held by one process at a time (released by the OS if the process dies)."""
    import fcntl

    with open(lock_file, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fetch_locked(packages: list[str], jars_dir: Path) -> dict[str, list[str]]:
    shipped = {artifact_name(j.name) for j in _pyspark_jars_dir().glob("*.jar")}
    listed = read_manifest(jars_dir)
    for coordinate in packages:
        if _complete(listed, coordinate, jars_dir):
            continue  # cached while this process waited for the lock
        names = []
        for jar in resolve(coordinate, jars_dir / RESOLUTION_LOG):
            # Ivy's cache layout: <cache>/<organisation>/<module>/jars/<module>-<revision>.jar
            module, organisation = jar.parent.parent.name, jar.parent.parent.parent.name
            if module in shipped:
                continue
            name = f"{organisation}_{jar.name}"
            if not (jars_dir / name).is_file():
                _link_or_copy(jar, jars_dir / name)
            names.append(name)
        listed[coordinate] = names
    # Re-read and replace atomically: several processes may fill one cache at the same time.
    merged = {**read_manifest(jars_dir), **{c: listed[c] for c in packages}}
    scratch = jars_dir / f".{MANIFEST}.{os.getpid()}"
    scratch.write_text("".join(f"{c} {','.join(n)}\n" for c, n in sorted(merged.items())))
    os.replace(scratch, jars_dir / MANIFEST)
    return merged


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)  # the AWS SDK bundle alone is ~600 MB: share it with Ivy's cache
    except OSError:
        shutil.copy2(source, target)


def _log_resolution(log_file: Path, coordinate: str, output: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    with open(log_file, "a", encoding="utf-8") as log:
        log.write(f"=== {stamp} {coordinate}\n{output}\n")
