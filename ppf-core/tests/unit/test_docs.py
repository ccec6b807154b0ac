"""The reference docs keep up with the code: every hook and every schema field is documented."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import attrs
import pytest

from pyspark_pipeline_framework.core import hookspecs, spec
from pyspark_pipeline_framework.core.hookspecs import PROJECT

DOCS = Path(__file__).resolve().parents[3] / "docs"


def hook_specs() -> list:
    return [f for _, f in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(f, f"{PROJECT}_spec")]


def schema_classes() -> list[type]:
    return [c for _, c in inspect.getmembers(spec, inspect.isclass) if attrs.has(c) and c.__module__ == spec.__name__]


def hooks_doc_sections() -> dict[str, str]:
    """Hook name -> the text of its ``### `name``` section in docs/hooks.md."""
    text = (DOCS / "hooks.md").read_text(encoding="utf-8")
    parts = re.split(r"^#{2,3} `(\w+)`\s*$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_the_discovery_finds_the_hooks_and_schema_classes():
    # Guards the two tests below against passing vacuously.
    assert {"before_step", "after_step", "ppf_secret_resolvers"} <= {f.__name__ for f in hook_specs()}
    assert {"PipelineSpec", "StepSpec", "RetryPolicy"} <= {c.__name__ for c in schema_classes()}


@pytest.mark.parametrize("hook", hook_specs(), ids=lambda f: f.__name__)
def test_every_hook_and_each_of_its_arguments_is_documented(hook):
    sections = hooks_doc_sections()
    assert hook.__name__ in sections, f"docs/hooks.md has no section ### `{hook.__name__}`"
    for argument in inspect.signature(hook).parameters:
        assert f"`{argument}`" in sections[hook.__name__], (
            f"docs/hooks.md: section `{hook.__name__}` does not describe argument `{argument}`"
        )


@pytest.mark.parametrize("schema_class", schema_classes(), ids=lambda c: c.__name__)
def test_every_schema_field_is_documented(schema_class):
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = [f.name for f in attrs.fields(schema_class) if f"`{f.name}`" not in text]
    assert not missing, f"docs/configuration.md does not document {schema_class.__name__} fields {missing}"
    assert f"`{schema_class.__name__}`" in text, f"docs/configuration.md does not name {schema_class.__name__}"
