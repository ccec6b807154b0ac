"""``ppf init``: a new pipeline project or plugin distribution, written from the templates beside this module.

The templates live in ``templates/<kind>/``; a file ending in ``.tmpl`` is rendered (``{{name}}``
placeholders, in its path too), any other file is copied as it is, and a leading ``dot-`` in a
file name becomes ``.`` (a package-data glob does not match hidden files).  Every file is
rendered before the first one is written, and a new target folder is filled under a temporary
name and then renamed, so a failure leaves no half-written project behind.
"""

from __future__ import annotations

import keyword
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath

from pyspark_pipeline_framework.core.errors import PpfError
from pyspark_pipeline_framework.core.plugins import PLUGIN_GROUP
from pyspark_pipeline_framework.core.registry import COMPONENT_GROUP

__all__ = ["KINDS", "ScaffoldError", "Scaffolded", "names_for", "scaffold"]

#: What ``ppf init`` creates: a pipeline project, or a plugin distribution.
KINDS = ("pipeline", "plugin")

#: The short names ``templates/plugin`` registers in ``ppf.components``: ``{{prefix}}`` and each of these.
PLUGIN_COMPONENTS = ("Source", "Transform", "Sink")

#: A name a project and a Python package can both take: ``sales-etl``, ``acme_tools``, ``Geo2``.
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*")
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
#: Packages a project of that name would hide from its own code or from ppf.
_TAKEN = {"pyspark", "pyspark_pipeline_framework", "py4j", "pytest", "tests", "test", "conftest", "src", "data"}


class ScaffoldError(PpfError):
    """``ppf init`` cannot create the project: a bad name, or a target folder that is in use."""

    permanent = True


@dataclass(frozen=True)
class Scaffolded:
    """What ``ppf init`` wrote: the project's folder and its files (relative paths, sorted)."""

    directory: Path
    files: list[str]


def names_for(name: str) -> dict[str, str]:
    """The placeholders of the templates for a project called ``name``.

    ``name`` as given; ``distribution`` (``acme-tools``, as pip spells it); ``package`` (``acme_tools``,
    the import name); ``prefix`` (``AcmeTools``, of class names); ``core_range``, the ``ppf-core``
    versions a plugin accepts: the installed core's minor series before 1.0, its major series after.
    """
    if not _NAME.fullmatch(name):
        raise ScaffoldError(
            f"invalid name {name!r}: a name starts with a letter and holds letters, digits and single '-' or '_' between them",
            hint="for example: sales-etl, acme_tools or geo2",
        )
    package = name.lower().replace("-", "_")
    if keyword.iskeyword(package) or package in sys.stdlib_module_names or package in _TAKEN:
        raise ScaffoldError(
            f"invalid name {name!r}: its package {package!r} would hide Python's or ppf's own {package!r}",
            hint=f"choose a more specific name, e.g. {name}-etl or my-{name}",
        )
    return {
        "name": name,
        "distribution": package.replace("_", "-"),
        "package": package,
        "prefix": "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", name)),
        "core_range": _compatible_core_range(metadata.version("ppf-core")),
    }


def _compatible_core_range(version: str) -> str:
    """``>=0.1,<0.2`` for core 0.1.x (minor releases may break before 1.0); ``>=1.4,<2`` for 1.4.x."""
    major, minor = (int(part) for part in re.findall(r"\d+", version)[:2])
    upper = f"{major}.{minor + 1}" if major == 0 else str(major + 1)
    return f">={major}.{minor},<{upper}"


def scaffold(kind: str, name: str, directory: Path | None = None, *, force: bool = False) -> Scaffolded:
    """Write a new ``kind`` project called ``name`` into ``directory`` (default: ``./<name>``).

    The folder must be missing or empty; with ``force``, the scaffold's files are written into a
    non-empty folder, replacing files of the same names and keeping every other file.
    """
    if kind not in KINDS:
        raise ScaffoldError(f"unknown kind {kind!r}", hint=f"one of: {', '.join(KINDS)}")
    placeholders = names_for(name)
    if kind == "plugin":
        _refuse_names_in_use(placeholders)
    target = Path(directory) if directory is not None else Path(name)
    if target.exists() and not target.is_dir():
        raise ScaffoldError(f"{target} exists and is not a folder", hint="give another folder with --directory")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise ScaffoldError(
            f"{target} exists and is not empty; nothing was written",
            hint="give a new or empty folder with --directory, or add --force to write the scaffold's files into it",
        )
    rendered = _render_all(resources.files(__package__) / "templates" / kind, placeholders)
    if target.is_dir():
        _write(target, rendered)
    else:
        _write_new_folder(target, rendered)
    return Scaffolded(target, sorted(str(path) for path in rendered))


def _refuse_names_in_use(placeholders: Mapping[str, str]) -> None:
    """A plugin whose components or hook take names another installed distribution registers would make them ambiguous.

    The plugin's own distribution, installed already (regenerated with ``--force``), is no clash.
    """
    wanted = {
        COMPONENT_GROUP: {placeholders["prefix"] + suffix for suffix in PLUGIN_COMPONENTS},
        PLUGIN_GROUP: {placeholders["package"]},
    }
    taken = [
        f"{'component' if group == COMPONENT_GROUP else 'hook plugin'} {ep.name} ({ep.dist.name if ep.dist else '?'})"
        for group, names in wanted.items()
        for ep in metadata.entry_points(group=group)
        if ep.name in names and (ep.dist is None or _normalized(ep.dist.name) != placeholders["distribution"])
    ]
    if taken:
        raise ScaffoldError(
            f"the plugin {placeholders['name']!r} would register names already installed: {', '.join(sorted(taken))}",
            hint=f"choose another name, e.g. acme-{placeholders['distribution']} (`ppf components list` shows the names in use)",
        )


def _normalized(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def _render_all(root: Traversable, placeholders: Mapping[str, str]) -> dict[PurePosixPath, bytes]:
    rendered: dict[PurePosixPath, bytes] = {}
    for path, item in _walk(root, PurePosixPath()):
        data = item.read_bytes()
        if path.suffix == ".tmpl":
            path = path.with_suffix("")
            data = _render(data.decode("utf-8"), placeholders, path).encode("utf-8")
        parts = [_render(part, placeholders, path) for part in path.parts]
        parts[-1] = "." + parts[-1].removeprefix("dot-") if parts[-1].startswith("dot-") else parts[-1]
        rendered[PurePosixPath(*parts)] = data
    return rendered


def _walk(folder: Traversable, relative: PurePosixPath):
    for item in sorted(folder.iterdir(), key=lambda entry: entry.name):
        if item.name == "__pycache__":
            continue
        if item.is_dir():
            yield from _walk(item, relative / item.name)
        else:
            yield relative / item.name, item


def _render(text: str, placeholders: Mapping[str, str], where: PurePosixPath) -> str:
    def value(match: re.Match[str]) -> str:
        if match.group(1) not in placeholders:  # a template mistake, not the user's
            raise KeyError(f"template {where}: unknown placeholder {match.group(0)}")
        return placeholders[match.group(1)]

    return _PLACEHOLDER.sub(value, text)


def _write(target: Path, rendered: Mapping[PurePosixPath, bytes]) -> None:
    for path, data in rendered.items():
        destination = target.joinpath(*path.parts)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)


def _write_new_folder(target: Path, rendered: Mapping[PurePosixPath, bytes]) -> None:
    """Fill a temporary folder beside ``target``, then rename it: ``target`` appears complete or not at all."""
    parent = target.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".ppf-init", dir=parent))
    except OSError as exc:
        raise _cannot_create(target, exc) from None
    try:
        _write(staging, rendered)
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it private; a project folder is not
        staging.rename(target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise _cannot_create(target, exc) from None


def _cannot_create(target: Path, error: OSError) -> ScaffoldError:
    return ScaffoldError(f"cannot create {target}: {error.strerror}", hint="check the folder's path and permissions")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
