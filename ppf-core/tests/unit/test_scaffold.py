"""`ppf init`'s names, the ppf-core range a plugin declares, and a target folder that appears whole or not at all."""

from __future__ import annotations

import pytest

from pyspark_pipeline_framework.runner import scaffold as scaffolding
from pyspark_pipeline_framework.runner.scaffold import ScaffoldError, names_for, scaffold


def test_the_names_a_project_name_gives():
    names = names_for("Acme-tools_2")
    assert {k: names[k] for k in ("name", "distribution", "package", "prefix")} == {
        "name": "Acme-tools_2",
        "distribution": "acme-tools-2",
        "package": "acme_tools_2",
        "prefix": "AcmeTools2",
    }


@pytest.mark.parametrize(
    ("version", "expected"),
    [("0.1.0", ">=0.1,<0.2"), ("0.12.3.dev4", ">=0.12,<0.13"), ("1.4.2", ">=1.4,<2"), ("2.0.0rc1", ">=2.0,<3")],
)
def test_a_plugin_accepts_the_installed_cores_series(version, expected, monkeypatch):
    monkeypatch.setattr(scaffolding.metadata, "version", lambda name: version)
    assert names_for("acme")["core_range"] == expected


def test_an_unknown_placeholder_in_a_template_is_the_templates_mistake():
    with pytest.raises(KeyError, match=r"template x.py: unknown placeholder \{\{nmae\}\}"):
        scaffolding._render("{{nmae}}", {"name": "acme"}, scaffolding.PurePosixPath("x.py"))


def test_a_folder_that_cannot_be_created_leaves_nothing_behind(tmp_path):
    (tmp_path / "file").write_text("not a folder")

    with pytest.raises(ScaffoldError, match="cannot create"):
        scaffold("pipeline", "demo", tmp_path / "file" / "demo")

    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def test_every_template_is_rendered_with_no_placeholder_left(tmp_path):
    for kind in scaffolding.KINDS:
        created = scaffold(kind, "acme", tmp_path / kind)
        for path in created.files:
            assert "{{" not in path
            text = (created.directory / path).read_bytes().decode("utf-8")
            assert not scaffolding._PLACEHOLDER.search(text), path
