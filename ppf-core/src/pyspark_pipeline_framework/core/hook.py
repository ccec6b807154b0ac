"""Class-based hooks on top of pluggy, as in the README's hook example.

Subclass :class:`Hook` and define any of the hook methods by name; no decorator is needed::

    class MetricsHook(Hook):
        def before_step(self, step_name, context): ...
        def after_step(self, step_name, context, result): ...
"""

from __future__ import annotations

from typing import Any


class Hook:
    """Base class for hook plugins written as plain classes.

    Methods named like a hook specification (``pipeline_start``, ``pipeline_end``,
    ``before_step``, ``after_step``, ``on_step_error``, ``on_retry``) are called at those points,
    with whichever of the specification's arguments they declare.  ``settings`` holds the
    plugin's block from ``pipeline.hooks`` (``hooks { <name> { ... } }``), if any.
    """

    #: Registered under this name; used to block or enable the plugin.
    name: str | None = None
    #: Entry-point plugins with ``autoload = True`` run without ``enable_<name> = true``.
    autoload: bool = False

    def __init__(self, settings: dict[str, Any] | None = None):
        self.settings = dict(settings or {})

    @classmethod
    def plugin_name(cls) -> str:
        return cls.name or f"{cls.__module__}.{cls.__qualname__}"
