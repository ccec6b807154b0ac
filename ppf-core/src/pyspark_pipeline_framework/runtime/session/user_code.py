"""Shipping the project's own code to the executors of a cluster.

A pipeline names its own components by dotted path (``my_pipelines.transforms.UserAnonymizer``);
the driver imports them from the directory ``ppf`` runs from, but a cluster's executors have no
such directory: a Python UDF defined there fails on them with ``ModuleNotFoundError``.  So, when
the session's master is not local, the top-level packages (and single modules) those paths start
with are zipped and added to the session: ``SparkContext.addPyFile`` on a classic session,
``addArtifacts(..., pyfile=True)`` on a Spark Connect session.  Local mode is left alone: its
executors are threads of the driver and share its modules.

Only the project's code travels: a top-level name that an installed distribution provides
(ppf itself, a plugin, any library) is expected to be installed on the cluster, as ``ppf doctor``
and docs/cluster.md say.  ``spark.ship_code`` turns shipping off or names more paths.

The zip is deterministic (sorted entries, fixed timestamps and permissions, no caches), named by
the hash of what it holds, and built once: a later run with unchanged code reuses the file.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import os
import sys
import sysconfig
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from pyspark_pipeline_framework.core.errors import ConfigError, ConfigIssue
from pyspark_pipeline_framework.core.spec import ShipCodeSettings
from pyspark_pipeline_framework.spark.connect import is_connect

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from pyspark_pipeline_framework.core.pipeline import ResolvedPipeline

#: Top-level names that are never the project's own code, installed or not (an editable checkout).
FRAMEWORK_PACKAGES = frozenset({"pyspark_pipeline_framework", "pyspark", "py4j"})
#: Folders and files a package holds that executors never need (hidden folders, ``.git``, ``.venv``..., too).
_SKIPPED_DIRS = frozenset({"__pycache__"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo")
#: Zip timestamps are fixed so that the same code gives the same bytes (zip's epoch is 1980).
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
CACHE_ENV = "PPF_USER_CODE_DIR"


@attrs.frozen
class CodeSource:
    """One top-level package folder or module file, and its name in the zip."""

    name: str
    path: Path

    @property
    def is_package(self) -> bool:
        return self.path.is_dir()


@attrs.frozen
class CodeBundle:
    """The zip of the sources, named by the hash of its content."""

    path: Path
    sources: tuple[CodeSource, ...]


def component_top_levels(pipeline: ResolvedPipeline) -> list[str]:
    """The top-level module names the pipeline's components come from, in step order."""
    modules = [step.component_class.__module__ for step in pipeline.steps.values()]
    modules += [dead.component_class.__module__ for dead in pipeline.dead_letters.values()]
    modules += [step.type for step in pipeline.spec.steps if "." in step.type]
    return list(dict.fromkeys(module.split(".", 1)[0] for module in modules))


def is_installed(name: str) -> bool:
    """Whether ``name`` belongs to an installed distribution, the standard library or ppf itself."""
    if name in FRAMEWORK_PACKAGES or name in sys.stdlib_module_names:
        return True
    return name in _distribution_top_levels()


@functools.cache  # reads every installed distribution's file list: once per process
def _distribution_top_levels() -> frozenset[str]:
    return frozenset(importlib.metadata.packages_distributions())


def _site_roots() -> tuple[Path, ...]:
    paths = sysconfig.get_paths()
    return tuple({Path(paths[key]).resolve() for key in ("purelib", "platlib", "stdlib", "platstdlib") if key in paths})


def source_of(name: str) -> CodeSource | None:
    """Where the top-level module ``name`` is imported from, when that is a plain folder or ``.py`` file.

    ``None`` when it cannot be found, is built in, lives in site-packages or in a zip (it came with
    ``--py-files`` or a wheel, so it is on the executors already).  Finding a top-level package's
    spec does not run its code.
    """
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        locations = [Path(p) for p in spec.submodule_search_locations]
        path = locations[0]
    elif spec.origin and spec.origin.endswith(".py"):
        path = Path(spec.origin)
    else:
        return None
    if not path.exists():  # inside a zip or an egg
        return None
    resolved = path.resolve()
    if any(resolved.is_relative_to(root) for root in _site_roots()):
        return None
    return CodeSource(name, resolved)


def sources_to_ship(
    pipeline: ResolvedPipeline, settings: ShipCodeSettings, cwd: Path | None = None
) -> list[CodeSource]:
    """The project's own top-level packages the components come from, then ``settings.paths``.

    Raises :class:`ConfigError` for a path in ``settings.paths`` that is neither a folder nor a
    ``.py`` file.
    """
    found = [source_of(name) for name in component_top_levels(pipeline) if not is_installed(name)]
    sources = [source for source in found if source is not None]
    sources.extend(extra_sources(settings.paths, cwd or Path.cwd()))
    unique: dict[str, CodeSource] = {}
    for source in sources:
        unique.setdefault(source.name, source)
    return list(unique.values())


def extra_sources(paths: Iterable[str], cwd: Path) -> list[CodeSource]:
    """The sources ``spark.ship_code.paths`` names; raises :class:`ConfigError` for one that is not usable."""
    problems = path_issues(paths, cwd)
    if problems:
        raise ConfigError(problems)
    sources = []
    for raw in paths:
        path = (cwd / raw).resolve()
        sources.append(CodeSource(path.name if path.is_dir() else path.stem, path))
    return sources


def path_issues(paths: Iterable[str], cwd: Path) -> list[ConfigIssue]:
    """A problem for each of ``spark.ship_code.paths`` that is neither a folder nor a ``.py`` file."""
    problems = []
    for index, raw in enumerate(paths):
        path = (cwd / raw).resolve()
        if path.is_dir() or (path.is_file() and path.suffix == ".py"):
            continue
        problems.append(
            ConfigIssue(
                f"pipeline.spark.ship_code.paths[{index}]",
                f"{raw!r} is neither a package folder nor a .py module file"
                + ("" if path.exists() else f": {path} does not exist"),
                hint="name a folder or module relative to the directory ppf runs from",
            )
        )
    return problems


def _files_of(source: CodeSource) -> list[tuple[str, Path]]:
    """``(name in the zip, file)`` of every file of a source, sorted, caches left out."""
    if not source.is_package:
        return [(f"{source.name}.py", source.path)]
    files = []
    for folder, dirs, names in os.walk(source.path):
        dirs[:] = sorted(
            d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith(".") and not d.endswith(".egg-info")
        )
        for name in names:
            if name.endswith(_SKIPPED_SUFFIXES):
                continue
            file = Path(folder) / name
            relative = file.relative_to(source.path).as_posix()
            files.append((f"{source.name}/{relative}", file))
    return sorted(files)


def content_hash(sources: Iterable[CodeSource]) -> str:
    digest = hashlib.sha256()
    for source in sources:
        for arcname, file in _files_of(source):
            digest.update(arcname.encode() + b"\0")
            digest.update(file.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def default_cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path(tempfile.gettempdir()) / f"ppf-user-code-{os.getuid()}")


def build_bundle(sources: list[CodeSource], cache_dir: Path | None = None) -> CodeBundle:
    """The zip of ``sources``: reused when the same content was zipped before, else written atomically."""
    cache_dir = cache_dir or default_cache_dir()
    target = cache_dir / f"ppf-user-code-{content_hash(sources)[:16]}.zip"
    if not target.is_file():
        cache_dir.mkdir(parents=True, exist_ok=True)
        scratch = cache_dir / f".{target.name}.{os.getpid()}"
        with zipfile.ZipFile(scratch, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for source in sources:
                for arcname, file in _files_of(source):
                    entry = zipfile.ZipInfo(arcname, date_time=_ZIP_TIME)
                    entry.external_attr = 0o644 << 16
                    entry.compress_type = zipfile.ZIP_DEFLATED
                    bundle.writestr(entry, file.read_bytes())
        os.replace(scratch, target)
    return CodeBundle(target, tuple(sources))


def needs_shipping(session: SparkSession) -> bool:
    """Whether the session's executors run apart from the driver: a Connect session, or a master that is not local.

    Only a pyspark session (classic or Connect) has executors; ``run_pipeline`` also runs pipelines
    whose components need no Spark with any object as their session.
    """
    if not type(session).__module__.startswith("pyspark.sql."):
        return False
    if is_connect(session):
        return True
    return not (session.sparkContext.master or "local").startswith("local")


def ship_user_code(session: SparkSession, pipeline: ResolvedPipeline, logger) -> CodeBundle | None:
    """Add the project's own code to ``session`` when its executors need it; the bundle shipped, if any."""
    settings = pipeline.spec.spark.ship_code
    if not settings.enabled or not needs_shipping(session):
        return None
    sources = sources_to_ship(pipeline, settings)
    if not sources:
        return None
    bundle = build_bundle(sources)
    if is_connect(session):
        session.addArtifacts(str(bundle.path), pyfile=True)
    else:
        session.sparkContext.addPyFile(str(bundle.path))
    logger.info(
        "user_code_shipped",
        modules=[source.name for source in sources],
        zip=str(bundle.path),
        bytes=bundle.path.stat().st_size,
    )
    return bundle
