"""Building the pluggy plugin manager for one run.

Hook plugins come from two places: the ``ppf.plugins`` entry-point group (installed plugins,
switched on by ``hooks { enable_<name> = true }`` or by declaring ``autoload = True``) and the
pipeline's ``hooks.plugins`` list of class paths.  ``PPF_DISABLE_PLUGINS=a,b`` blocks plugins by
name before they are imported.  A plugin that fails to import is reported and skipped unless the
pipeline asked for it by name.
"""

from __future__ import annotations

import importlib
import inspect
import os
from collections.abc import Callable, Iterable
from importlib.metadata import EntryPoint
from typing import Any

import attrs
import pluggy

from pyspark_pipeline_framework.core import hookspecs
from pyspark_pipeline_framework.core.entry_points import entry_points
from pyspark_pipeline_framework.core.errors import ConfigIssue
from pyspark_pipeline_framework.core.hook import Hook
from pyspark_pipeline_framework.core.secrets import SecretError, Secrets, parse_reference, references_in
from pyspark_pipeline_framework.core.spec import HooksSettings

PLUGIN_GROUP = "ppf.plugins"
BLOCK_ENV = "PPF_DISABLE_PLUGINS"


class PluginManager(pluggy.PluginManager):
    """A pluggy manager that also accepts :class:`Hook` subclasses written without markers."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.add_hookspecs(hookspecs)

    def parse_hookimpl_opts(self, plugin: object, name: str) -> pluggy.HookimplOpts | None:
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and isinstance(plugin, Hook) and not name.startswith("_"):
            if hasattr(self.hook, name) and callable(getattr(plugin, name, None)):
                return {}  # type: ignore[return-value]  # pluggy fills in the defaults
        return opts

    def notify(self, hook_name: str, on_error: Callable[[str, BaseException], None], **kwargs: Any) -> None:
        """Call every implementation of a notification hook; one failing plugin never stops the others."""
        caller = getattr(self.hook, hook_name)
        for impl in reversed(caller.get_hookimpls()):
            try:
                impl.function(*[kwargs[arg] for arg in impl.argnames])
            except Exception as exc:  # a broken observer must not break the pipeline
                on_error(impl.plugin_name, exc)


def blocked_plugins() -> set[str]:
    return {name.strip() for name in os.environ.get(BLOCK_ENV, "").split(",") if name.strip()}


@attrs.frozen
class PluginProblem:
    """A plugin that could not be loaded."""

    name: str
    error: str


@attrs.define
class LoadedPlugins:
    """What :func:`load_hook_plugins` found."""

    manager: PluginManager
    problems: list[PluginProblem] = attrs.field(factory=list)
    #: The run's secrets: the built-in ``env`` resolver and every plugin's (the references in hook
    #: settings are resolved with it, and the run goes on using it).
    secrets: Secrets = attrs.field(factory=Secrets)


def hook_entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=PLUGIN_GROUP)}


def check_hook_settings(hooks: HooksSettings, path: str = "pipeline.hooks") -> list[ConfigIssue]:
    """Pre-flight: every ``enable_<name> = true`` names an installed hook plugin (no import needed)."""
    available = hook_entry_points()
    issues = []
    for name, on in hooks.enabled.items():
        if on and name not in available:
            from pyspark_pipeline_framework.core.catalog import distribution_for_plugin

            dist = distribution_for_plugin(name)
            hint = f"pip install {dist}" if dist else f"installed hook plugins: {', '.join(sorted(available)) or 'none'}"
            issues.append(ConfigIssue(f"{path}.enable_{name}", f"no hook plugin named {name!r} is installed", hint))
    for index, target in enumerate(hooks.plugins):
        try:
            _import_object(target)
        except Exception as exc:
            issues.append(ConfigIssue(f"{path}.plugins[{index}]",
                                      f"cannot import hook plugin {target!r}: {type(exc).__name__}: {exc}",
                                      "give the dotted path of a Hook subclass, e.g. my_package.hooks.MetricsHook"))
    for name in hooks.settings:
        if name not in available and name not in hooks.plugins:
            issues.append(ConfigIssue(f"{path}.{name}", f"settings for unknown hook plugin {name!r}",
                                      f"installed hook plugins: {', '.join(sorted(available)) or 'none'}"))
    return issues


def load_hook_plugins(
    hooks: HooksSettings,
    extra: Iterable[object] = (),
    import_object: Callable[[str], Any] | None = None,
) -> LoadedPlugins:
    """Build a plugin manager with the built-in, installed and configured hook plugins."""
    manager = PluginManager()
    for name in blocked_plugins():
        manager.set_blocked(name)
    loaded = LoadedPlugins(manager)
    # Plugins whose settings hold secret references: built last, with the references resolved.
    deferred: list[tuple[str, str, Any, Any]] = []

    for name, ep in sorted(hook_entry_points().items()):
        if manager.is_blocked(name):
            continue
        requested = hooks.is_enabled(name)
        if name in hooks.enabled and not requested:
            continue  # explicitly switched off
        try:
            plugin_class = ep.load()
        except Exception as exc:
            if requested:
                raise
            loaded.problems.append(PluginProblem(name, f"{type(exc).__name__}: {exc}"))
            continue
        if not (requested or getattr(plugin_class, "autoload", False)):
            continue
        settings = hooks.settings.get(name)
        if holds_references(settings):
            deferred.append((name, name, plugin_class, settings))
            continue
        manager.register(_instantiate(plugin_class, settings), name=name)

    importer = import_object or _import_object
    for path in hooks.plugins:
        plugin_class = importer(path)
        name = plugin_class.plugin_name() if isinstance(plugin_class, type) and issubclass(plugin_class, Hook) else path
        if manager.is_blocked(name):
            continue
        settings = hooks.settings.get(path)
        if holds_references(settings):
            deferred.append((name, path, plugin_class, settings))
            continue
        manager.register(_instantiate(plugin_class, settings), name=name)
    for plugin in extra:
        manager.register(plugin)
    loaded.secrets = _register_with_resolved_settings(manager, deferred)
    return loaded


def holds_references(settings: Any) -> bool:
    return settings is not None and next(references_in(settings), None) is not None


def _register_with_resolved_settings(manager: PluginManager, deferred: list[tuple[str, str, Any, Any]]) -> Secrets:
    """Build the plugins whose settings hold secret references, once the resolvers they need exist.

    A plugin whose references are all of known schemes goes first; each one built may bring new
    schemes (a Vault plugin whose AppRole secret id is ``secret://env/...``).  What remains when
    none is ready fails on its first unknown scheme, naming it.
    """
    secrets = Secrets.from_plugins(manager)
    pending = list(deferred)
    while pending:
        ready = [item for item in pending if _schemes(item[3]) <= set(secrets.resolvers)] or pending[:1]
        for name, key, plugin_class, settings in ready:
            pending.remove((name, key, plugin_class, settings))
            resolved = secrets.resolve_all(settings, f"pipeline.hooks.{key}")
            manager.register(_instantiate(plugin_class, resolved), name=name)
            secrets.add_new_from_plugins(manager)
    return secrets


def _schemes(settings: Any) -> set[str]:
    schemes = set()
    for _, reference in references_in(settings):
        try:
            schemes.add(parse_reference(reference)[0])
        except SecretError:
            schemes.add("")  # never known: reported when it is resolved
    return schemes


def _instantiate(plugin: Any, settings: dict[str, Any] | None) -> object:
    if not isinstance(plugin, type):
        return plugin  # a module or an instance with @hookimpl functions
    try:
        takes_settings = len(inspect.signature(plugin).parameters) > 0
    except (TypeError, ValueError):
        takes_settings = False
    if settings and not takes_settings:
        raise TypeError(f"hook plugin {plugin.__qualname__} takes no settings, but the pipeline gives it some")
    return plugin(settings) if takes_settings else plugin()


def _import_object(path: str) -> Any:
    module_name, _, attr = path.rpartition(".")
    if not module_name:
        raise ImportError(f"{path!r} is not a dotted path such as 'my_package.hooks.MyHook'")
    return getattr(importlib.import_module(module_name), attr)
