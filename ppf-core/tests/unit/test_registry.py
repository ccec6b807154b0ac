"""The component registry: lazy, explicit about conflicts, helpful about typos."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pyspark_pipeline_framework.core.entry_points import InstalledEntryPoint
from pyspark_pipeline_framework.core.registry import ComponentNotFound, ComponentRegistry


def ep(name, value, dist="some-dist"):
    return InstalledEntryPoint(name, value, "ppf.components", dist, "1.0")


def test_lookup_imports_one_module_and_no_pyspark():
    code = (
        "import sys\n"
        "from pyspark_pipeline_framework.core.registry import ComponentRegistry\n"
        "r = ComponentRegistry()\n"
        "cls = r.resolve('ParquetSource')\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('pyspark_pipeline_framework.components.'))\n"
        "print(cls.__name__, loaded, 'pyspark' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["ParquetSource", "['pyspark_pipeline_framework.components.files']", "False"]


def test_compatible_spelling_resolves_through_the_registry():
    registry = ComponentRegistry()
    assert registry.resolve("pyspark_pipeline_framework.components.ParquetSink") is registry.resolve("ParquetSink")


def test_dotted_path_to_any_component_class():
    cls = ComponentRegistry().resolve("pyspark_pipeline_framework.components.sql.SqlTransform")
    assert cls.kind == "transform"


def test_two_distributions_registering_one_name_is_an_error_naming_both():
    registry = ComponentRegistry(
        [
            ep("Twin", "pkg_a.mod:Twin", "dist-a"),
            ep("Twin", "pkg_b.mod:Twin", "dist-b"),
        ]
    )
    with pytest.raises(ComponentNotFound) as caught:
        registry.resolve("Twin")
    assert "dist-a" in str(caught.value) and "dist-b" in str(caught.value)


def test_same_entry_seen_twice_is_not_a_conflict():
    registry = ComponentRegistry(
        [
            ep("Sql", "pyspark_pipeline_framework.components.sql:SqlTransform"),
            ep("Sql", "pyspark_pipeline_framework.components.sql:SqlTransform"),
        ]
    )
    assert registry.resolve("Sql").__name__ == "SqlTransform"


def test_unknown_name_suggests_close_matches():
    with pytest.raises(ComponentNotFound) as caught:
        ComponentRegistry().resolve("CsvSorce")
    assert "CsvSource" in caught.value.hint


def test_a_non_component_is_rejected():
    with pytest.raises(ComponentNotFound, match="not a component class"):
        ComponentRegistry().resolve("pathlib.Path")
    with pytest.raises(ComponentNotFound, match="not a component class") as caught:
        ComponentRegistry().resolve("ppf_test_components.KindlessComponent")
    assert "Source, Transform, Sink or Validator" in caught.value.hint


def test_components_module_exposes_registered_names():
    import pyspark_pipeline_framework.components as components

    assert components.SqlTransform.__name__ == "SqlTransform"
    with pytest.raises(AttributeError, match="unknown component type"):
        components.NoSuchThing  # noqa: B018


def test_installed_entry_points_are_read_once_per_process():
    code = (
        "import importlib.metadata as md\n"
        "reads = []\n"
        "original = md.entry_points\n"
        "md.entry_points = lambda **kw: reads.append(kw) or original(**kw)\n"
        "from pyspark_pipeline_framework.core.registry import ComponentRegistry\n"
        "from pyspark_pipeline_framework.core.plugins import hook_entry_points\n"
        "ComponentRegistry().resolve('ParquetSource'); hook_entry_points(); hook_entry_points()\n"
        "print(len(reads))\n"
    )
    uncached = {**os.environ, "PPF_CACHE_DIR": "off"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=uncached)
    assert out.stdout.split() == ["1"]
