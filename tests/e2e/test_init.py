"""`ppf init pipeline|plugin NAME`: each scaffold passes its own tests right after creation; bad input exits 2."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from importlib.metadata import version

import pytest

from .conftest import ppf, probe

pytestmark = pytest.mark.e2e


def scaffold_tests(project):
    """The scaffold's own test suite, run as its README says (`pytest` in its folder)."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=900,
        env={key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")},
    )


def test_a_pipeline_scaffold_validates_runs_and_passes_its_own_tests(tmp_path):
    created = ppf("init", "pipeline", "sales-etl", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    project = tmp_path / "sales-etl"
    assert "ppf run pipeline.conf" in created.stdout and "pytest" in created.stdout
    readme = (project / "README.md").read_text()
    assert "ppf run pipeline.conf" in readme and "\npytest\n" in readme
    assert (project / "sales_etl" / "transforms.py").is_file() and (project / ".gitignore").is_file()

    validated = ppf("validate", "pipeline.conf", cwd=project)
    assert validated.returncode == 0 and "pipeline.conf: OK (3 steps)" in validated.stdout, validated.stderr

    tested = scaffold_tests(project)
    assert tested.returncode == 0 and "4 passed" in tested.stdout, tested.stdout + tested.stderr

    ran = ppf("run", "pipeline.conf", "--log-format", "json", cwd=project)
    assert ran.returncode == 0, ran.stderr
    import pyarrow.parquet as pq

    users = pq.read_table(project / "out" / "users").to_pylist()
    assert len(users) == 5 and all(len(user["email"]) == 64 and "@" not in user["email"] for user in users)


def test_a_plugin_scaffold_passes_its_own_tests(tmp_path):
    created = ppf("init", "plugin", "acme-tools", "--directory", tmp_path / "plugin", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    project = tmp_path / "plugin"
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    major, minor = (int(part) for part in version("ppf-core").split(".")[:2])
    assert meta["name"] == "acme-tools" and meta["version"] == "0.1.0"
    upper = f"{major}.{minor + 1}" if major == 0 else f"{major + 1}"  # before 1.0 a minor release may break
    assert meta["dependencies"] == [f"ppf-core>={major}.{minor},<{upper}"]
    assert set(meta["entry-points"]["ppf.components"]) == {"AcmeToolsSource", "AcmeToolsTransform", "AcmeToolsSink"}
    assert meta["entry-points"]["ppf.plugins"] == {"acme_tools": "acme_tools.hook:AcmeToolsHook"}
    for path in ("README.md", "CHANGELOG.md", "src/acme_tools/py.typed", "src/acme_tools/hook.py"):
        assert (project / path).is_file(), path

    tested = scaffold_tests(project)
    assert tested.returncode == 0 and "6 passed" in tested.stdout, tested.stdout + tested.stderr


@pytest.mark.parametrize("kind", ["pipeline", "plugin"])
def test_a_non_empty_folder_is_refused_with_exit_2_and_left_as_it_was(kind, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")

    done = ppf("init", kind, "demo", "-d", "mine", cwd=tmp_path)

    assert done.returncode == 2, done.stdout + done.stderr
    assert "mine exists and is not empty; nothing was written" in done.stderr and "--force" in done.stderr
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]


def test_force_writes_the_scaffold_beside_the_files_already_there(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")

    done = ppf("init", "pipeline", "demo", "-d", "mine", "--force", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
    assert (tmp_path / "mine" / "pipeline.conf").is_file()


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("9lives", "invalid name '9lives': a name starts with a letter"),
        ("my plugin", "invalid name 'my plugin'"),
        ("double--dash", "invalid name 'double--dash'"),
        ("json", "its package 'json' would hide Python's or ppf's own 'json'"),
        ("PySpark", "its package 'pyspark' would hide"),
    ],
)
def test_a_bad_name_exits_2_saying_what_to_do_and_writes_nothing(name, problem, tmp_path):
    done = ppf("init", "plugin", name, cwd=tmp_path)

    assert done.returncode == 2, done.stdout + done.stderr
    assert problem in done.stderr and "hint:" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_plugin_whose_names_are_installed_already_is_refused(tmp_path):
    done = ppf("init", "plugin", "file", cwd=tmp_path)

    assert done.returncode == 2, done.stdout + done.stderr
    assert "component FileSink (ppf-core), component FileSource (ppf-core)" in done.stderr
    assert "hint: choose another name" in done.stderr and list(tmp_path.iterdir()) == []


def test_init_imports_no_pyspark(tmp_path):
    done, facts = probe("init", "plugin", "light", cwd=tmp_path)
    assert facts == {"exit": 0, "pyspark_imported": False, "jvm_started": False}, done.stderr
