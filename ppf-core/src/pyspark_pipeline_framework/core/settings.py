"""The base of typed settings: a component's ``config { }`` and a hook plugin's ``hooks { <name> { } }``.

A subclass's annotated body becomes a frozen, keyword-only attrs class without a decorator, which
the strict converter (:mod:`.structuring`) fills from HOCON before any JVM starts;
:meth:`Settings.check` adds the cross-field rules a type cannot express.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, dataclass_transform

import attrs


# Type checkers learn from dataclass_transform that subclasses get a keyword-only __init__ of their fields.
@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(attrs.field,))
class Settings:
    """Base of :class:`~.component.ComponentConfig` and :class:`~.hook.HookSettings`."""

    if TYPE_CHECKING:  # set by attrs.define below and in __init_subclass__, which type checkers do not follow
        __attrs_attrs__: ClassVar[tuple[attrs.Attribute[Any], ...]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # slots=False patches the class in place, so the class the user defined is the attrs
        # class; kw_only lets a base with defaults be extended by fields without defaults.
        attrs.define(cls, slots=False, frozen=True, kw_only=True)

    def check(self) -> Iterable[tuple[str, str]]:
        """Cross-field checks, run by ``ppf validate`` before any JVM starts: yield ``(key, message)`` per problem."""
        return ()


attrs.define(Settings, slots=False, frozen=True, kw_only=True)


def required_fields(settings_class: type) -> list[str]:
    """The fields of a settings class that have no default (an empty block does not fill them)."""
    if not attrs.has(settings_class):
        return []
    return [field.name for field in attrs.fields(settings_class) if field.default is attrs.NOTHING]


def check_problems(settings: object) -> list[tuple[str, str]]:
    """What ``settings.check()`` finds, as ``(key, message)`` pairs (``key`` empty: the block itself).

    A check that raises, or yields something other than a pair, is reported as a problem of the
    block rather than escaping as a traceback.
    """
    check = getattr(settings, "check", None)
    if not callable(check):
        return []
    try:
        found = list(check())
    except Exception as exc:
        return [("", f"{type(exc).__name__}: {exc}")]
    problems = []
    for item in found:
        if isinstance(item, tuple) and len(item) == 2:
            problems.append((str(item[0] or ""), str(item[1])))
        else:
            problems.append(("", str(item)))
    return problems
