"""Class-based hooks on top of pluggy, as in the README's hook example, with typed settings.

Subclass :class:`Hook` and define any of the hook methods by name; no decorator is needed::

    class AuditSettings(HookSettings):
        path: str = "audit.jsonl"

    class AuditHook(Hook[AuditSettings]):
        def before_step(self, step_name, context): ...
        def after_step(self, step_name, context, result): ...

The type argument of ``Hook[...]`` names the settings class, as ``Transform[...]`` names a
component's config class: ``ppf validate`` structures ``hooks { <name> { ... } }`` into it with
the same strictness, paths, file and line as a step's config.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

from pyspark_pipeline_framework.core.settings import Settings


class HookSettings(Settings):
    """Base of typed hook settings; subclasses are turned into frozen attrs classes (keyword-only)."""


SettingsT = TypeVar("SettingsT", bound=HookSettings)


class Hook(Generic[SettingsT]):
    """Base class for hook plugins written without pluggy markers.

    Methods named like a hook specification (``pipeline_start``, ``pipeline_end``,
    ``before_step``, ``after_step``, ``on_step_error``, ``on_retry``...) are called at those
    points, with whichever of the specification's arguments they declare.  A public method whose
    name is close to a hook's but is not one (``befor_step``) is a configuration error.

    ``settings`` holds the plugin's block from ``pipeline.hooks`` (``hooks { <name> { ... } }``):
    an instance of the settings class named by ``Hook[SettingsClass]``, structured and checked
    before the run; without a settings class, a plain dict.
    """

    #: Registered under this name; used to block or enable the plugin.
    name: str | None = None
    #: Entry-point plugins with ``autoload = True`` run without ``enable_<name> = true``.
    autoload: bool = False
    #: The settings class found from ``Hook[SettingsClass]``; ``None``: settings are a plain dict.
    settings_class: ClassVar[type[HookSettings] | None] = None

    settings: SettingsT

    def __init__(self, settings: SettingsT | Mapping[str, Any] | None = None):
        settings_class = type(self).settings_class
        if settings_class is None:
            self.settings = dict(settings or {})  # type: ignore[arg-type,assignment]
        elif settings is None:
            try:
                self.settings = settings_class()  # type: ignore[assignment]
            except TypeError as exc:
                raise TypeError(f"{type(self).__qualname__} needs settings: {exc}") from None
        elif isinstance(settings, settings_class):
            self.settings = settings
        else:
            raise TypeError(
                f"{type(self).__qualname__} takes a {settings_class.__qualname__}, not {type(settings).__name__}: "
                f"build one, or let pre-flight structure hooks {{ {self.plugin_name()} {{ ... }} }} "
                "(ResolvedPipeline.hook_settings)"
            )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in cls.__dict__.get("__orig_bases__", ()):
            args = typing.get_args(base)
            if args and isinstance(args[0], type) and issubclass(args[0], HookSettings):
                cls.settings_class = args[0]

    @classmethod
    def plugin_name(cls) -> str:
        return cls.name or f"{cls.__module__}.{cls.__qualname__}"
