"""``ppf doctor``: what is installed, and what of it is broken, without starting Spark.

Versions come from package metadata and the JDK's ``release`` file, so neither pyspark nor a JVM
starts.  Every installed distribution with a ``ppf.components``, ``ppf.plugins`` or ``ppf.checks``
entry point is a plugin: its ``ppf-core`` requirement is checked against the installed core before
anything of it is imported (as a pip resolver would have), then every entry point is loaded, which
imports the plugin's classes only, never pyspark.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import attrs

from pyspark_pipeline_framework.core.entry_points import InstalledEntryPoint, read_metadata
from pyspark_pipeline_framework.core.hook import Hook
from pyspark_pipeline_framework.core.plugins import PLUGIN_GROUP, hook_names, plugin_issues
from pyspark_pipeline_framework.core.registry import COMPONENT_GROUP, ComponentNotFound, ComponentRegistry
from pyspark_pipeline_framework.quality.registry import CHECK_GROUP

CORE = "ppf-core"
GROUPS = (COMPONENT_GROUP, PLUGIN_GROUP, CHECK_GROUP)


@attrs.frozen
class Finding:
    """One thing doctor found wrong (``error``: something will not work) or worth knowing (``warning``)."""

    level: Literal["error", "warning"]
    subject: str
    message: str
    #: What to do about it.
    hint: str


@attrs.frozen
class Environment:
    """The versions a run depends on; ``None`` where a piece is missing."""

    ppf: str | None
    python: str
    python_executable: str
    java: str | None
    java_executable: str | None
    java_home: str | None
    pyspark: str | None


@attrs.define
class HookPlugin:
    """An entry point of the ``ppf.plugins`` group and the hooks it implements."""

    name: str
    hooks: list[str] = attrs.field(factory=list)
    autoload: bool = False


@attrs.define
class PluginDistribution:
    """An installed distribution that registers components, hook plugins or checks."""

    name: str
    version: str
    #: The ``ppf-core`` requirement it declares (``>=0.1,<1``), empty when it declares none.
    requires_core: str = ""
    compatible: bool = True
    components: list[str] = attrs.field(factory=list)
    checks: list[str] = attrs.field(factory=list)
    hook_plugins: list[HookPlugin] = attrs.field(factory=list)
    secret_schemes: list[str] = attrs.field(factory=list)


@attrs.frozen
class JarPackage:
    """A JVM package the installed plugins ask Spark for, and whether the local jar cache holds it."""

    coordinate: str
    cached: bool


@attrs.define
class Report:
    """Everything ``ppf doctor`` prints."""

    environment: Environment
    distributions: list[PluginDistribution]
    jars_dir: str
    jar_packages: list[JarPackage]
    findings: list[Finding]

    @property
    def broken(self) -> bool:
        return any(f.level == "error" for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self) | {"broken": self.broken}


def diagnose() -> Report:
    """Look at the installation: versions, plugins, their compatibility and imports, the jar cache."""
    findings: list[Finding] = []
    environment = _environment(findings)
    distributions = _distributions(findings, environment.ppf)
    jars_dir, packages = _jar_packages(findings, [d.name for d in distributions if not d.compatible])
    return Report(environment, distributions, jars_dir, packages, list(dict.fromkeys(findings)))


def installed_version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _environment(findings: list[Finding]) -> Environment:
    from pyspark_pipeline_framework.runtime.session.java import (
        MINIMUM_JAVA,
        java_executable,
        java_release_version,
        major_version,
    )

    java_home = os.environ.get("JAVA_HOME")
    if java_home and not (Path(java_home) / "bin" / "java").exists():
        findings.append(
            Finding("warning", "JAVA_HOME", f"JAVA_HOME={java_home} holds no bin/java", "point JAVA_HOME at a JDK")
        )
    executable = java_executable()
    java = java_release_version(executable) if executable else None
    if executable is None:
        findings.append(
            Finding(
                "error",
                "Java",
                f"Java was not found; Spark needs Java {MINIMUM_JAVA} or newer",
                "install it (for example `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME",
            )
        )
    elif java is not None and (major_version(java) or 0) < MINIMUM_JAVA:
        findings.append(
            Finding(
                "error",
                "Java",
                f"Java {java} at {executable} is too old: Spark 4 needs Java {MINIMUM_JAVA} or newer",
                "install a newer JDK and point JAVA_HOME at it",
            )
        )
    pyspark = installed_version("pyspark")
    if pyspark is None and importlib.util.find_spec("pyspark") is None:
        findings.append(
            Finding("error", "pyspark", "pyspark is not installed", "pip install 'ppf-core[spark]' (or pyspark)")
        )
    elif pyspark is not None:
        supported = _requirement_of(CORE, "pyspark", extra="spark")
        if supported and not _contains(supported, pyspark):
            findings.append(
                Finding(
                    "warning",
                    "pyspark",
                    f"pyspark {pyspark} is outside the range ppf-core supports (pyspark{supported})",
                    f"pip install 'pyspark{supported}'",
                )
            )
    return Environment(
        ppf=installed_version(CORE),
        python=sys.version.split()[0],
        python_executable=sys.executable,
        java=java if java is not None else ("version unknown" if executable else None),
        java_executable=executable,
        java_home=java_home,
        pyspark=pyspark
        if pyspark is not None
        else ("unknown version" if importlib.util.find_spec("pyspark") else None),
    )


def _requirement_of(distribution: str, dependency: str, extra: str = "") -> str | None:
    """The version range ``distribution`` declares for ``dependency`` (``None``: it declares none)."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        requires = importlib.metadata.distribution(distribution).requires or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for line in requires:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if canonicalize_name(requirement.name) != canonicalize_name(dependency):
            continue
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": extra}):
            continue
        return str(requirement.specifier)
    return None


def _contains(specifier: str, version: str) -> bool:
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(specifier).contains(version, prereleases=True)


def _distributions(findings: list[Finding], core_version: str | None) -> list[PluginDistribution]:
    found: dict[str, PluginDistribution] = {}
    entries: dict[str, dict[str, list[InstalledEntryPoint]]] = {}
    installed = read_metadata()  # what is installed now, whatever a cache of it says
    for group in GROUPS:
        for ep in (ep for ep in installed if ep.group == group):
            name = ep.distribution
            if name not in found:
                found[name] = PluginDistribution(name, ep.version)
                entries[name] = {g: [] for g in GROUPS}
            if all(ep.name != other.name for other in entries[name][group]):
                entries[name][group].append(ep)
    registry = ComponentRegistry(ep for ep in installed if ep.group == COMPONENT_GROUP)
    for name, distribution in found.items():
        by_group = entries[name]
        distribution.components = sorted(ep.name for ep in by_group[COMPONENT_GROUP])
        distribution.checks = sorted(ep.name for ep in by_group[CHECK_GROUP])
        distribution.hook_plugins = [HookPlugin(ep.name) for ep in sorted(by_group[PLUGIN_GROUP], key=lambda e: e.name)]
        if name == CORE:
            from pyspark_pipeline_framework.quality.builtin_checks import BUILTIN_CHECKS

            distribution.checks = sorted({*distribution.checks, *BUILTIN_CHECKS})
            distribution.secret_schemes = ["env"]  # built into core.secrets
        else:
            distribution.requires_core = _requirement_of(name, CORE) or ""
            if distribution.requires_core and core_version and not _contains(distribution.requires_core, core_version):
                distribution.compatible = False
                findings.append(
                    Finding(
                        "error",
                        name,
                        f"{name} {distribution.version} requires ppf-core{distribution.requires_core}, "
                        f"but ppf-core {core_version} is installed; its entry points were not imported",
                        f"install a release of {name} made for ppf-core {core_version} (`pip install -U {name}`), "
                        f"or uninstall it (`pip uninstall {name}`)",
                    )
                )
                continue
        for ep in by_group[COMPONENT_GROUP]:
            try:
                registry.entry(ep.name).load()
            except ComponentNotFound as exc:
                findings.append(Finding("error", f"{name}: component {ep.name}", str(exc), exc.hint))
            except Exception as exc:
                findings.append(_import_failure(name, f"component {ep.name}", ep, exc))
        for ep in by_group[CHECK_GROUP]:
            try:
                ep.load()
            except Exception as exc:
                findings.append(_import_failure(name, f"check {ep.name}", ep, exc))
        for ep in by_group[PLUGIN_GROUP]:
            _inspect_hook_plugin(findings, name, ep, _by_name(distribution.hook_plugins, ep.name), distribution)
        distribution.secret_schemes = sorted(set(distribution.secret_schemes))
    return sorted(found.values(), key=lambda d: (d.name != CORE, d.name.lower()))


def _by_name(plugins: list[HookPlugin], name: str) -> HookPlugin:
    return next(p for p in plugins if p.name == name)


def _inspect_hook_plugin(
    findings: list[Finding],
    distribution_name: str,
    ep: InstalledEntryPoint,
    described: HookPlugin,
    distribution: PluginDistribution,
) -> None:
    try:
        plugin = ep.load()
    except Exception as exc:
        findings.append(
            _import_failure(
                distribution_name,
                f"hook plugin {ep.name}",
                ep,
                exc,
                f"PPF_DISABLE_PLUGINS={ep.name} skips it meanwhile",
            )
        )
        return
    described.autoload = bool(getattr(plugin, "autoload", False))
    described.hooks = [
        hook for hook in hook_names() if callable(getattr(plugin, hook, None)) and not hasattr(Hook, hook)
    ]
    for issue in plugin_issues(plugin, ep.name, f"entry point {ep.name}"):
        findings.append(Finding("error", f"{distribution_name}: hook plugin {ep.name}", issue.message, issue.hint))
    if "ppf_secret_resolvers" in described.hooks:
        distribution.secret_schemes.extend(_declared_schemes(plugin))


def _declared_schemes(plugin: object) -> list[str]:
    """The schemes of the resolver classes ``ppf_secret_resolvers`` is annotated to return.

    Read from the annotation, so that no plugin is built (its settings may need a store's address).
    """
    try:
        hints = typing.get_type_hints(plugin.ppf_secret_resolvers)  # type: ignore[attr-defined]
    except Exception:  # an annotation naming what only TYPE_CHECKING imports: the schemes stay unknown
        return []
    returned = hints.get("return")
    return [scheme for cls in _types_in(returned) if isinstance(scheme := getattr(cls, "scheme", None), str)]


def _types_in(annotation: object) -> Iterator[object]:
    """``list[A] | None`` -> A (and None's type)."""
    arguments = typing.get_args(annotation)
    if not arguments:
        yield annotation
    for argument in arguments:
        yield from _types_in(argument)


def _import_failure(
    distribution: str, what: str, ep: InstalledEntryPoint, exc: BaseException, also: str = ""
) -> Finding:
    return Finding(
        "error",
        f"{distribution}: {what}",
        f"cannot import {ep.value}: {type(exc).__name__}: {exc}",
        f"reinstall {distribution} (`pip install --force-reinstall {distribution}`) with its dependencies, "
        f"or uninstall it{'; ' + also if also else ''}",
    )


def _jar_packages(findings: list[Finding], incompatible: list[str]) -> tuple[str, list[JarPackage]]:
    from pyspark_pipeline_framework.runner.jars import DEFAULT_JARS_DIR, cached_packages, installed_plugin_packages

    jars_dir = Path(os.environ.get("PPF_JARS_DIR") or DEFAULT_JARS_DIR)
    try:
        packages = installed_plugin_packages(leave_out=incompatible)
    except Exception as exc:  # a broken plugin (reported above, by name) stops the listing
        findings.append(
            Finding(
                "warning",
                "JVM packages",
                f"the installed plugins' JVM packages could not be listed: {type(exc).__name__}: {exc}",
                "fix the plugins reported above",
            )
        )
        return str(jars_dir), []
    cached = cached_packages(jars_dir, packages)
    missing = [p for p in packages if not cached[p]]
    if missing:
        findings.append(
            Finding(
                "warning",
                "jar cache",
                f"{len(missing)} of {len(packages)} JVM packages are not in the jar cache {jars_dir}: "
                "Spark downloads them from Maven when a pipeline needs them",
                f"for runs without network access: `ppf jars fetch --dir {jars_dir}`, then export PPF_JARS_DIR={jars_dir}",
            )
        )
    return str(jars_dir), [JarPackage(p, cached[p]) for p in packages]


def version_lines() -> list[str]:
    """``ppf --version``: ppf's version, then Python's, pyspark's and Java's (read without starting either)."""
    from pyspark_pipeline_framework.runtime.session.java import java_executable, java_release_version

    executable = java_executable()
    java = (java_release_version(executable) or "version unknown") if executable else "not found"
    pyspark = installed_version("pyspark") or "not installed"
    return [
        f"ppf {installed_version(CORE) or 'unknown'}",
        f"Python {sys.version.split()[0]}, pyspark {pyspark}, Java {java}",
    ]


def cluster_lines(report: Report) -> list[str]:
    """What a cluster's nodes need: ppf and the plugins are installed there; the project's modules travel."""
    installed = [f"{CORE} {report.environment.ppf or 'unknown'}"]
    installed += [f"{dist.name} {dist.version}" for dist in report.distributions if dist.name != CORE]
    return [
        "on a cluster (spark://, yarn, k8s://, Spark Connect), every node's Python (PYSPARK_PYTHON) needs:",
        f"  pyspark {report.environment.pyspark or '(the driver has none)'} and {', '.join(installed)}",
        "  the project's own modules (dotted-path types) are shipped with each run: spark.ship_code, docs/cluster.md",
    ]


def render_text(report: Report) -> str:
    """The report as ``ppf doctor`` prints it."""
    env = report.environment
    java = (
        f"Java {env.java} at {env.java_executable}" if env.java_executable else "Java: not found"
    ) + f" (JAVA_HOME={env.java_home or 'not set'})"
    lines = [
        f"ppf {env.ppf or 'unknown'}",
        f"Python {env.python} at {env.python_executable}",
        java,
        f"pyspark {env.pyspark}" if env.pyspark else "pyspark: not installed",
        "",
        "plugins:",
    ]
    for dist in report.distributions:
        needs = f" (requires ppf-core{dist.requires_core})" if dist.requires_core else ""
        lines.append(f"  {dist.name} {dist.version}{needs}{'' if dist.compatible else '  INCOMPATIBLE'}")
        if dist.components:
            lines.append(f"    components: {', '.join(dist.components)}")
        if dist.checks:
            lines.append(f"    checks: {', '.join(dist.checks)}")
        for plugin in dist.hook_plugins:
            how = "autoload" if plugin.autoload else f"hooks {{ enable_{plugin.name} = true }}"
            hooks = ", ".join(plugin.hooks) if plugin.hooks else "not imported"
            lines.append(f"    hook plugin {plugin.name} ({how}): {hooks}")
        if dist.secret_schemes:
            lines.append(f"    secret schemes: {', '.join(f'secret://{s}/' for s in dist.secret_schemes)}")
    lines += ["", f"JVM packages of the installed plugins (jar cache {report.jars_dir}):"]
    lines += [f"  {p.coordinate}: {'cached' if p.cached else 'not cached'}" for p in report.jar_packages] or ["  none"]
    lines += ["", *cluster_lines(report)]
    lines.append("")
    for finding in report.findings:
        lines.append(f"{finding.level}: {finding.subject}: {finding.message}")
        lines.append(f"    hint: {finding.hint}")
    errors = sum(f.level == "error" for f in report.findings)
    warnings = len(report.findings) - errors
    lines.append(
        f"{errors} problem{'s' * (errors != 1)} and {warnings} warning{'s' * (warnings != 1)}"
        if report.findings
        else "no problems found"
    )
    return "\n".join(lines)
