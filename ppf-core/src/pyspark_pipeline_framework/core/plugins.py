"""Building the pluggy plugin manager for one run, and checking hook plugins before it.

Hook plugins come from two places: the ``ppf.plugins`` entry-point group (installed plugins,
switched on by ``hooks { enable_<name> = true }`` or by declaring ``autoload = True``) and the
pipeline's ``hooks.plugins`` list of class paths.  ``PPF_DISABLE_PLUGINS=a,b`` blocks plugins by
name before they are imported.  A plugin that fails to import is reported and skipped unless the
pipeline asked for it by name.  A hook implementation that matches no hook specification (a
misspelled name) is a configuration error, found by ``ppf validate`` for the plugins a pipeline
names and when the run loads its plugins.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
import os
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import pluggy

from pyspark_pipeline_framework.core import hookspecs
from pyspark_pipeline_framework.core.entry_points import InstalledEntryPoint, entry_points
from pyspark_pipeline_framework.core.errors import ConfigError, ConfigIssue
from pyspark_pipeline_framework.core.hook import Hook
from pyspark_pipeline_framework.core.masking import secret_masker
from pyspark_pipeline_framework.core.secrets import SecretError, Secrets, parse_reference, references_in
from pyspark_pipeline_framework.core.settings import required_fields
from pyspark_pipeline_framework.core.spec import HooksBlock

PLUGIN_GROUP = "ppf.plugins"
BLOCK_ENV = "PPF_DISABLE_PLUGINS"
#: How close (difflib's ratio) a public ``Hook`` method's name must be to a hook's to count as a typo:
#: ``befor_step`` and ``on_error`` are, helpers such as ``before`` or ``flush`` are not.
NEAR_MISS = 0.75


class PluginManager(pluggy.PluginManager):
    """A pluggy manager that also accepts :class:`Hook` subclasses written without markers."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.add_hookspecs(hookspecs)

    def parse_hookimpl_opts(self, plugin: object, name: str) -> pluggy.HookimplOpts | None:
        opts = super().parse_hookimpl_opts(plugin, name)
        if (
            opts is None
            and _is_hook_style(plugin)
            and not name.startswith("_")
            and hasattr(self.hook, name)
            and callable(getattr(plugin, name, None))
        ):
            return {}  # type: ignore[return-value]  # pluggy fills in the defaults
        return opts

    def get_canonical_name(self, plugin: object) -> str:
        # A Hook given by code (extra_plugins) goes by its class's name in messages such as hook_failed.
        if isinstance(plugin, Hook):
            name = type(plugin).plugin_name()
            taken = self.get_plugin(name) is not None or self.is_blocked(name)
            return f"{name}#{id(plugin):x}" if taken else name
        return super().get_canonical_name(plugin)

    def register(self, plugin: object, name: str | None = None) -> str | None:
        if plugin is not None and not isinstance(plugin, Hashable):
            # pluggy keeps plugins in sets to call a subset of them (see notify).
            raise TypeError(
                f"hook plugin {name or plugin!r} must be hashable; an attrs or dataclass hook needs eq=False"
            )
        return super().register(plugin, name)

    def notify_logging_failures(self, hook_name: str, log: Any, **kwargs: Any) -> None:
        """:meth:`notify`, each failure logged to ``log`` as ``hook_failed`` with its error masked."""

        def report(plugin: str, error: BaseException) -> None:
            log.warning("hook_failed", hook=hook_name, plugin=plugin, error=secret_masker().mask_error(error))

        self.notify(hook_name, report, **kwargs)

    def notify(self, hook_name: str, on_error: Callable[[str, BaseException], None], **kwargs: Any) -> None:
        """Call a notification hook through pluggy; one failing implementation never stops the others.

        Wrapper implementations (``wrapper=True`` or ``hookwrapper=True``) run around the plain
        ones as pluggy defines.  A plain implementation that raises is reported to ``on_error``
        (with its plugin's name) and the others still run; to the wrappers it returned nothing.
        A wrapper that raises is reported the same way; plain implementations it kept from
        running (it failed before its ``yield``) are then called without wrappers.
        """
        impls = getattr(self.hook, hook_name).get_hookimpls()
        plain = [impl for impl in impls if not (impl.wrapper or impl.hookwrapper)]
        called: list[pluggy.HookImpl] = []
        guarded = [_guarded(impl, on_error, called) for impl in plain]
        # pluggy stops a call at the first exception, so the plain implementations take part as
        # guarded stand-ins (call_extra), in pluggy's own order, inside the wrappers.
        wrappers = self.subset_hook_caller(hook_name, remove_plugins=[impl.plugin for impl in plain])
        try:
            wrappers.call_extra(guarded, kwargs)
        except Exception as exc:  # a wrapper: the plain implementations cannot raise here
            failed = _raised_by(exc, [impl for impl in impls if impl.wrapper or impl.hookwrapper])
            on_error(failed.plugin_name if failed else "a hook wrapper", exc)
            skipped = [call for impl, call in zip(plain, guarded, strict=True) if not any(impl is c for c in called)]
            if skipped:
                bare = self.subset_hook_caller(hook_name, remove_plugins=[impl.plugin for impl in impls])
                bare.call_extra(skipped, kwargs)


def _guarded(
    impl: pluggy.HookImpl, on_error: Callable[[str, BaseException], None], called: list[pluggy.HookImpl]
) -> Callable[..., Any]:
    @functools.wraps(impl.function)  # pluggy reads the arguments to pass from the wrapped function
    def call(*args: Any, **kwargs: Any) -> Any:
        called.append(impl)
        try:
            return impl.function(*args, **kwargs)
        except Exception as exc:  # a broken observer must not break the pipeline or the other observers
            on_error(impl.plugin_name, exc)
            return None

    return call


def _raised_by(error: BaseException, impls: Sequence[pluggy.HookImpl]) -> pluggy.HookImpl | None:
    """The implementation whose frame is innermost in the error's traceback."""
    by_code = {}
    for impl in impls:
        function = inspect.unwrap(impl.function)
        code = getattr(getattr(function, "__func__", function), "__code__", None)
        if code is not None:
            by_code[code] = impl
    found, tb = None, error.__traceback__
    while tb is not None:
        found = by_code.get(tb.tb_frame.f_code, found)
        tb = tb.tb_next
    return found


def _is_hook_style(plugin: object) -> bool:
    return isinstance(plugin, Hook) or (isinstance(plugin, type) and issubclass(plugin, Hook))


@functools.cache
def hook_names() -> tuple[str, ...]:
    """The names of ppf's hook specifications."""
    reader = pluggy.PluginManager(hookspecs.PROJECT)
    return tuple(sorted(name for name in dir(hookspecs) if reader.parse_hookspec_opts(hookspecs, name) is not None))


@attrs.frozen
class HookNameProblem:
    """An attribute of a plugin that looks like a hook implementation but names no hook."""

    attribute: str
    message: str
    hint: str


def misnamed_hooks(plugin: object) -> list[HookNameProblem]:
    """Hook implementations of ``plugin`` (a class, an instance or a module) that name no ppf hook.

    An ``@hookimpl`` function whose hook does not exist, and, on a :class:`Hook` subclass, a public
    method whose name is close to a hook's (``befor_step``): pluggy would silently never call it.
    """
    names = hook_names()
    markers = pluggy.PluginManager(hookspecs.PROJECT)  # reads hookimpl markers, nothing else
    owner = plugin if isinstance(plugin, type) else type(plugin)
    problems = []
    for attribute in dir(plugin):
        opts = markers.parse_hookimpl_opts(plugin, attribute)
        if opts is not None:
            hook = opts.get("specname") or attribute
            if hook not in names and not opts.get("optionalhook"):
                close = difflib.get_close_matches(hook, names, n=1)
                problems.append(
                    HookNameProblem(
                        attribute,
                        f"{attribute!r} is marked @hookimpl but ppf has no hook {hook!r}",
                        f"did you mean {close[0]!r}?" if close else f"ppf's hooks: {', '.join(names)}",
                    )
                )
            continue
        if not _is_hook_style(plugin) or attribute.startswith("_") or attribute in names or hasattr(Hook, attribute):
            continue
        static = inspect.getattr_static(owner, attribute, None)
        if not (inspect.isfunction(static) or isinstance(static, (staticmethod, classmethod))):
            continue
        close = difflib.get_close_matches(attribute, names, n=1, cutoff=NEAR_MISS)
        if close:
            problems.append(
                HookNameProblem(
                    attribute,
                    f"method {attribute!r} is not a ppf hook, so it would never be called",
                    f"did you mean {close[0]!r}? (a helper method close to a hook's name needs a leading underscore)",
                )
            )
    return problems


def plugin_issues(plugin: object, plugin_name: str, path: str) -> list[ConfigIssue]:
    """Every reason pluggy would reject ``plugin`` or never call part of it, as config issues at ``path``."""
    issues = [ConfigIssue(path, f"hook plugin {plugin_name!r}: {p.message}", p.hint) for p in misnamed_hooks(plugin)]
    if issues:
        return issues
    probe = PluginManager()
    try:  # pluggy's own checks: arguments the hook does not have, a wrapper that is not a generator...
        probe.register(plugin, name=plugin_name)
        probe.check_pending()
    except (pluggy.PluginValidationError, TypeError) as exc:
        issues.append(_rejected(plugin_name, path, exc))
    return issues


def _rejected(plugin_name: str, path: str, error: Exception) -> ConfigIssue:
    detail = "; ".join(line.strip() for line in str(error).splitlines() if line.strip())
    return ConfigIssue(
        path,
        f"hook plugin {plugin_name!r} is invalid: {detail}",
        "hook methods take only the hook's own arguments (docs/hooks.md lists them)",
    )


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


@attrs.frozen
class NamedPlugin:
    """A hook plugin that a pipeline file names, loaded before the run to check it."""

    #: Its key in ``hooks { ... }``: the entry-point name, or the dotted path from ``plugins``.
    key: str
    #: The config path that names it, for messages.
    path: str
    #: The plugin class (or module, or object with ``@hookimpl`` functions).
    plugin: Any


def hook_entry_points() -> dict[str, InstalledEntryPoint]:
    return {ep.name: ep for ep in entry_points(group=PLUGIN_GROUP)}


def check_hook_plugins(hooks: HooksBlock, path: str = "pipeline.hooks") -> tuple[list[NamedPlugin], list[ConfigIssue]]:
    """Pre-flight: the hook plugins a pipeline names exist, import, and implement only real hooks.

    Loading a plugin's entry point imports its plugin class only (never pyspark or the plugin's
    heavy dependencies, which plugins import when they are used).  Returns the plugins found, so
    that their settings can be structured, and the problems.
    """
    available = hook_entry_points()
    blocked = blocked_plugins()
    issues = []
    found = []
    for name, on in hooks.enabled.items():
        if on and name not in available:
            from pyspark_pipeline_framework.core.catalog import distribution_for_plugin

            dist = distribution_for_plugin(name)
            hint = (
                f"pip install {dist}" if dist else f"installed hook plugins: {', '.join(sorted(available)) or 'none'}"
            )
            issues.append(ConfigIssue(f"{path}.enable_{name}", f"no hook plugin named {name!r} is installed", hint))
    for index, target in enumerate(hooks.plugins):
        try:
            found.append(NamedPlugin(target, f"{path}.plugins[{index}]", _import_object(target)))
        except Exception as exc:
            issues.append(
                ConfigIssue(
                    f"{path}.plugins[{index}]",
                    f"cannot import hook plugin {target!r}: {type(exc).__name__}: {exc}",
                    "give the dotted path of a Hook subclass, e.g. my_package.hooks.MetricsHook",
                )
            )
    for name in hooks.settings:
        if name not in available and name not in hooks.plugins:
            issues.append(
                ConfigIssue(
                    f"{path}.{name}",
                    f"settings for unknown hook plugin {name!r}",
                    f"installed hook plugins: {', '.join(sorted(available)) or 'none'}",
                )
            )
    named = sorted({name for name, on in hooks.enabled.items() if on} | set(hooks.settings))
    for name in named:
        if name not in available or name in blocked or name in hooks.plugins:
            continue
        where = f"{path}.enable_{name}" if hooks.is_enabled(name) else f"{path}.{name}"
        try:
            found.append(NamedPlugin(name, where, available[name].load()))
        except Exception as exc:
            if hooks.is_enabled(name):  # otherwise the run skips it with a warning, as for any broken plugin
                issues.append(
                    ConfigIssue(
                        where,
                        f"cannot import hook plugin {name!r}: {type(exc).__name__}: {exc}",
                        "reinstall the distribution that provides it",
                    )
                )
    for plugin in found:
        issues.extend(plugin_issues(plugin.plugin, plugin.key, plugin.path))
    issues.extend(_autoloaded_plugin_issues(hooks, available, blocked, path))
    return found, issues


def _autoloaded_plugin_issues(
    hooks: HooksBlock, available: Mapping[str, InstalledEntryPoint], blocked: set[str], path: str
) -> list[ConfigIssue]:
    """The plugins a run loads without being named (``autoload``), checked as the run would build them.

    A plugin that fails to import is left to the run, which skips it with a warning.
    """
    issues = []
    for name, entry_point in sorted(available.items()):
        if name in hooks.enabled or name in hooks.settings or name in blocked or name in hooks.plugins:
            continue  # named plugins are checked above; enable_<name> = false keeps it out of the run
        try:
            plugin = entry_point.load()
        except Exception:
            continue
        if not getattr(plugin, "autoload", False):
            continue
        issues.extend(plugin_issues(plugin, name, path))
        missing = missing_settings_issue(plugin, name)
        if missing is not None:
            issues.append(missing)
    return issues


def hook_settings_path(key: str) -> str:
    """``pipeline.hooks.<key>``, the key quoted when it is a dotted class path."""
    return f'pipeline.hooks."{key}"' if "." in key else f"pipeline.hooks.{key}"


def missing_settings_issue(plugin: Any, key: str) -> ConfigIssue | None:
    """The problem of building ``plugin`` without a settings block when its settings class has required fields."""
    if not (isinstance(plugin, type) and issubclass(plugin, Hook)) or plugin.settings_class is None:
        return None
    required = required_fields(plugin.settings_class)
    if not required:
        return None
    example = "; ".join(f"{field} = ..." for field in required)
    loads = "loads by itself (autoload) but " if getattr(plugin, "autoload", False) else ""
    return ConfigIssue(
        hook_settings_path(key),
        f"hook plugin {key!r} {loads}has no settings block, and its settings need {', '.join(required)}",
        f"add hooks {{ {key} {{ {example} }} }}, or switch it off with hooks {{ enable_{key} = false }}",
    )


def load_hook_plugins(
    hooks: HooksBlock,
    extra: Iterable[object] = (),
    settings: Mapping[str, object] | None = None,
    locate: Callable[[str], str | None] | None = None,
) -> LoadedPlugins:
    """Build a plugin manager with the built-in, installed and configured hook plugins.

    ``settings`` holds each plugin's structured settings by key (``ResolvedPipeline.hook_settings``);
    without it, the raw blocks of ``hooks.settings`` are given, which only plugins without a
    settings class accept.  A plugin with a hook implementation that matches no hook raises
    :class:`ConfigError`.  ``locate`` gives the ``"file:line"`` of a config path, for the
    messages of secret references that fail to resolve (the run's :class:`Secrets` keeps it).
    """
    configured: Mapping[str, object] = hooks.settings if settings is None else settings
    manager = PluginManager()
    for name in blocked_plugins():
        manager.set_blocked(name)
    loaded = LoadedPlugins(manager)
    issues: list[ConfigIssue] = []
    paths: dict[int, str] = {}  # id(plugin) -> the config path that brought it in, for messages
    # Plugins whose settings hold secret references: built last, with the references resolved.
    deferred: list[_DeferredPlugin] = []

    def add(plugin: object, name: str | None, path: str) -> None:
        problems = misnamed_hooks(plugin)
        if problems:
            issues.extend(ConfigIssue(path, f"hook plugin {name or plugin!r}: {p.message}", p.hint) for p in problems)
            return
        try:
            manager.register(plugin, name=name)
            paths[id(plugin)] = path
        except (pluggy.PluginValidationError, TypeError) as exc:
            issues.append(_rejected(name or repr(plugin), path, exc))

    def build(plugin_class: Any, name: str, key: str, path: str) -> None:
        plugin_settings = configured.get(key)
        if holds_references(plugin_settings):
            deferred.append(_DeferredPlugin(name, key, path, plugin_class, plugin_settings))
        else:
            try:
                add(_instantiate(plugin_class, plugin_settings, key), name, path)
            except ConfigError:
                raise
            except Exception as exc:  # its constructor failed: a missing dependency, settings it refuses
                issues.append(_not_set_up(name, path, exc))

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
                issues.append(
                    ConfigIssue(
                        f"pipeline.hooks.enable_{name}",
                        f"cannot import hook plugin {name!r}: {type(exc).__name__}: {exc}",
                        "reinstall the distribution that provides it",
                    )
                )
                continue
            loaded.problems.append(PluginProblem(name, f"{type(exc).__name__}: {exc}"))
            continue
        if not (requested or getattr(plugin_class, "autoload", False)):
            continue
        build(plugin_class, name, name, f"pipeline.hooks.enable_{name}" if requested else "pipeline.hooks")

    for index, path in enumerate(hooks.plugins):
        try:
            plugin_class = _import_object(path)
        except Exception as exc:
            issues.append(
                ConfigIssue(
                    f"pipeline.hooks.plugins[{index}]",
                    f"cannot import hook plugin {path!r}: {type(exc).__name__}: {exc}",
                    "give the dotted path of a Hook subclass, e.g. my_package.hooks.MetricsHook",
                )
            )
            continue
        name = plugin_class.plugin_name() if isinstance(plugin_class, type) and issubclass(plugin_class, Hook) else path
        if not manager.is_blocked(name):
            build(plugin_class, name, path, f"pipeline.hooks.plugins[{index}]")
    for plugin in extra:
        add(plugin, None, "pipeline.hooks")
    if not issues:
        loaded.secrets = _add_with_resolved_settings(manager, deferred, add, locate)
    if not issues:
        try:
            manager.check_pending()  # @hookimpl functions whose hook does not exist
        except pluggy.PluginValidationError as exc:
            name = manager.get_name(exc.plugin) or repr(exc.plugin)
            issues.append(_rejected(name, paths.get(id(exc.plugin), "pipeline.hooks"), exc))
    if issues:
        raise ConfigError(issues)
    return loaded


def _not_set_up(name: str, path: str, error: Exception) -> ConfigIssue:
    return ConfigIssue(
        path,
        f"hook plugin {name!r} could not be set up: {type(error).__name__}: {error}",
        "install what it needs, fix its settings, or switch it off (enable_<name> = false)",
    )


def holds_references(settings: Any) -> bool:
    return settings is not None and next(references_in(settings), None) is not None


@attrs.frozen
class _DeferredPlugin:
    name: str
    key: str  # its key under ``pipeline.hooks``
    path: str  # the config path that brought it in, for messages
    plugin_class: Any
    settings: Any


def _add_with_resolved_settings(
    manager: PluginManager,
    deferred: list[_DeferredPlugin],
    add: Callable[[object, str | None, str], None],
    locate: Callable[[str], str | None] | None = None,
) -> Secrets:
    """Build the plugins whose settings hold secret references, once the resolvers they need exist.

    A plugin whose references are all of known schemes goes first; each one built may bring new
    schemes (a Vault plugin whose AppRole secret id is ``secret://env/...``).  What remains when
    none is ready fails on its first unknown scheme, naming it.
    """
    secrets = Secrets.from_plugins(manager)
    secrets.locate = locate
    pending = list(deferred)
    while pending:
        ready = [item for item in pending if _schemes(item.settings) <= set(secrets.resolvers)] or pending[:1]
        for item in ready:
            pending.remove(item)
            resolved = secrets.resolve_all(item.settings, f"pipeline.hooks.{item.key}")
            try:
                plugin = _instantiate(item.plugin_class, resolved, item.key)
            except (ConfigError, SecretError):
                raise
            except Exception as exc:  # its constructor failed: a missing dependency, settings it refuses
                raise ConfigError([_not_set_up(item.name, item.path, exc)]) from None
            add(plugin, item.name, item.path)
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


def _instantiate(plugin: Any, settings: object, key: str) -> object:
    if not isinstance(plugin, type):
        return plugin  # a module or an instance with @hookimpl functions
    if issubclass(plugin, Hook) and plugin.settings_class is not None:
        missing = missing_settings_issue(plugin, key) if settings is None else None
        if missing is not None:
            raise ConfigError([missing])
        return plugin(settings)  # None: the settings class's defaults
    try:
        takes_settings = len(inspect.signature(plugin).parameters) > 0
    except (TypeError, ValueError):
        takes_settings = False
    if settings and not takes_settings:
        raise ConfigError(
            [
                ConfigIssue(
                    hook_settings_path(key),
                    f"hook plugin {plugin.__qualname__} takes no settings, but the pipeline gives it some",
                    "remove its settings block",
                )
            ]
        )
    return plugin(settings) if takes_settings else plugin()


def _import_object(path: str) -> Any:
    module_name, _, attr = path.rpartition(".")
    if not module_name:
        raise ImportError(f"{path!r} is not a dotted path such as 'my_package.hooks.MyHook'")
    return getattr(importlib.import_module(module_name), attr)
