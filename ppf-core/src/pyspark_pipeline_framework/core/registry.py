"""The component registry: names in the ``ppf.components`` entry-point group, loaded lazily.

Looking up one name imports one module.  A step's ``type`` may be

* a registered name: ``ParquetSource``;
* the compatible spelling of a registered name: ``pyspark_pipeline_framework.components.DeltaSink``;
* a dotted path to any component class: ``my_pipelines.transforms.UserAnonymizer``.
"""

from __future__ import annotations

import difflib
import importlib
from collections import defaultdict
from collections.abc import Iterable

import attrs

from pyspark_pipeline_framework.core.catalog import distribution_for_component
from pyspark_pipeline_framework.core.component import Component, ComponentKind
from pyspark_pipeline_framework.core.entry_points import InstalledEntryPoint, entry_points, load_target
from pyspark_pipeline_framework.core.errors import PpfError

COMPONENT_GROUP = "ppf.components"
COMPATIBLE_PREFIX = "pyspark_pipeline_framework.components."


class ComponentNotFound(PpfError, LookupError):
    """No component answers to a ``type``; the hint says what to do."""

    permanent = True

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message, hint=hint)


@attrs.frozen
class ComponentEntry:
    """A registered component, known by name before its module is imported."""

    name: str
    target: str  # "module:attribute"
    distribution: str
    version: str

    def load(self) -> type[Component]:
        return _check_component(load_target(self.target), self.name)


class ComponentRegistry:
    """Component names from entry points (or a given list, for tests)."""

    def __init__(self, eps: Iterable[InstalledEntryPoint] | None = None):
        found: dict[str, list[ComponentEntry]] = defaultdict(list)
        for ep in entry_points(group=COMPONENT_GROUP) if eps is None else eps:
            entry = ComponentEntry(ep.name, ep.value, ep.distribution, ep.version)
            if entry not in found[ep.name]:
                found[ep.name].append(entry)
        self._entries = dict(found)
        self._loaded: dict[str, type[Component]] = {}

    def names(self) -> list[str]:
        return sorted(self._entries)

    def entry(self, name: str) -> ComponentEntry:
        entries = self._entries.get(name)
        if not entries:
            raise self._not_found(name)
        if len({(e.distribution, e.target) for e in entries}) > 1:
            owners = " and ".join(f"{e.distribution} ({e.target})" for e in entries)
            raise ComponentNotFound(
                f"component name {name!r} is registered by more than one distribution: {owners}",
                "uninstall one of them, or name the class by its dotted path in `type`",
            )
        return entries[0]

    def resolve(self, type_name: str) -> type[Component]:
        """The component class a step's ``type`` names."""
        if type_name in self._loaded:
            return self._loaded[type_name]
        if "." not in type_name:
            cls = self.entry(type_name).load()
        elif type_name.startswith(COMPATIBLE_PREFIX) and "." not in type_name[len(COMPATIBLE_PREFIX) :]:
            cls = self.entry(type_name[len(COMPATIBLE_PREFIX) :]).load()
        else:
            cls = self._import_path(type_name)
        self._loaded[type_name] = cls
        return cls

    def _import_path(self, path: str) -> type[Component]:
        module_name, _, attribute = path.rpartition(".")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                raise ComponentNotFound(
                    f"cannot import module {module_name!r} for component {path!r}",
                    "check the spelling, install the package, or run ppf from the directory that contains it",
                ) from exc
            raise
        try:
            obj = getattr(module, attribute)
        except AttributeError:
            close = difflib.get_close_matches(attribute, [n for n in dir(module) if not n.startswith("_")], n=3)
            hint = f"did you mean {', '.join(f'{module_name}.{c}' for c in close)}?" if close else ""
            raise ComponentNotFound(f"module {module_name!r} has no component {attribute!r}", hint) from None
        return _check_component(obj, path)

    def _not_found(self, name: str) -> ComponentNotFound:
        dist = distribution_for_component(name)
        if dist:
            return ComponentNotFound(
                f"component {name!r} is provided by {dist}, which is not installed", f"pip install {dist}"
            )
        close = difflib.get_close_matches(name, self.names(), n=3, cutoff=0.5)
        hint = f"did you mean {' or '.join(close)}?" if close else "run `ppf components list` to see what is installed"
        return ComponentNotFound(f"unknown component type {name!r}", hint)


def _check_component(obj: object, name: str) -> type[Component]:
    # A direct subclass of Component has no kind: the executor would not know how to run it.
    if not (
        isinstance(obj, type) and issubclass(obj, Component) and isinstance(getattr(obj, "kind", None), ComponentKind)
    ):
        raise ComponentNotFound(
            f"{name!r} is not a component class",
            "a step's type must name a subclass of Source, Transform, Sink or Validator",
        )
    return obj
