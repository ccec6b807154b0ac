"""Built-in components, and the compatible spelling ``pyspark_pipeline_framework.components.<Name>``.

Any registered component, from core or a plugin, can be imported from here by its registry name
(``from pyspark_pipeline_framework.components import DeltaSink``); the lookup goes through the
entry-point registry, so core knows no plugin by name.
"""

from __future__ import annotations


def __getattr__(name: str):
    if name.startswith("_"):
        raise AttributeError(name)
    from pyspark_pipeline_framework.core.registry import ComponentNotFound, ComponentRegistry

    try:
        return ComponentRegistry().entry(name).load()
    except ComponentNotFound as exc:
        raise AttributeError(f"{exc}" + (f" ({exc.hint})" if exc.hint else "")) from None
