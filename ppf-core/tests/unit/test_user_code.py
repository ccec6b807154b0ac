"""Shipping the project's own code: which modules travel, the zip they travel in, the settings."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import attrs
import pytest

from pyspark_pipeline_framework.core.errors import ConfigError
from pyspark_pipeline_framework.core.spec import ShipCodeSettings, SparkSettings
from pyspark_pipeline_framework.runner.config.preflight import validate
from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file
from pyspark_pipeline_framework.runtime.run.failures import _udf_error
from pyspark_pipeline_framework.runtime.session.builder import plan_session
from pyspark_pipeline_framework.runtime.session.user_code import (
    CodeSource,
    build_bundle,
    component_top_levels,
    is_installed,
    path_issues,
    source_of,
    sources_to_ship,
)

T = "ppf_test_components"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder with a package, a single module and caches, importable like ``ppf`` makes it."""
    package = tmp_path / "shop_code"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "steps.py").write_text("VALUE = 1\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "lookup.csv").write_text("a,b\n")
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "steps.cpython-312.pyc").write_bytes(b"cache")
    (package / "sub" / "stale.pyc").write_bytes(b"cache")
    (package / ".work").mkdir()
    (package / ".work" / "data.parquet").write_bytes(b"data")
    (tmp_path / "shop_helpers.py").write_text("HELP = 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def pipeline_file(folder: Path, spark_block: str = "") -> Path:
    path = folder / "p.conf"
    path.write_text(
        f"""
pipeline {{
  name = "p"
  {spark_block}
  steps = [
    {{ name = "numbers", type = "{T}.Numbers", config {{ values = [1, 2] }} }}
    {{ name = "out", type = "{T}.Collect" }}
  ]
}}
"""
    )
    return path


def names_in(zip_path: Path) -> list[str]:
    with zipfile.ZipFile(zip_path) as bundle:
        return bundle.namelist()


def test_the_zip_holds_the_package_without_caches_in_a_fixed_order(project, tmp_path):
    bundle = build_bundle([source_of("shop_code"), source_of("shop_helpers")], tmp_path / "cache")
    assert names_in(bundle.path) == [
        "shop_code/__init__.py",
        "shop_code/steps.py",
        "shop_code/sub/__init__.py",
        "shop_code/sub/lookup.csv",
        "shop_helpers.py",
    ]
    with zipfile.ZipFile(bundle.path) as opened:
        assert opened.read("shop_code/steps.py") == b"VALUE = 1\n"


def test_the_same_code_gives_the_same_bytes_and_is_zipped_once(project, tmp_path):
    sources = [source_of("shop_code")]
    first = build_bundle(sources, tmp_path / "a")
    second = build_bundle(sources, tmp_path / "b")
    assert first.path.name == second.path.name
    assert first.path.read_bytes() == second.path.read_bytes()
    stamp = first.path.stat().st_mtime_ns
    assert build_bundle(sources, tmp_path / "a").path.stat().st_mtime_ns == stamp  # reused, not rewritten


def test_changed_code_gives_another_zip(project, tmp_path):
    before = build_bundle([source_of("shop_code")], tmp_path / "cache")
    (project / "shop_code" / "steps.py").write_text("VALUE = 2\n")
    after = build_bundle([source_of("shop_code")], tmp_path / "cache")
    assert before.path != after.path
    with zipfile.ZipFile(after.path) as opened:
        assert opened.read("shop_code/steps.py") == b"VALUE = 2\n"


def test_installed_distributions_and_the_standard_library_are_not_the_projects_code(project):
    assert is_installed("pyspark_pipeline_framework")
    assert is_installed("json")
    assert is_installed("attrs")  # an installed library
    assert not is_installed("shop_code")
    assert source_of("attrs") is None  # in site-packages
    assert source_of("no_such_module_anywhere") is None
    assert source_of("shop_code") == CodeSource("shop_code", (project / "shop_code").resolve())
    assert source_of("shop_helpers") == CodeSource("shop_helpers", (project / "shop_helpers.py").resolve())


def test_the_pipelines_own_packages_and_the_extra_paths_are_shipped(project):
    pipeline = validate(load_pipeline_file(pipeline_file(project)))
    assert component_top_levels(pipeline) == [T]
    # The test components' package is the project's code here: it is not an installed distribution.
    assert [s.name for s in sources_to_ship(pipeline, ShipCodeSettings())] == [T]
    shipped = sources_to_ship(pipeline, ShipCodeSettings(paths=["shop_code", "shop_helpers.py"]))
    assert [s.name for s in shipped] == [T, "shop_code", "shop_helpers"]


def test_ship_code_settings_are_read_and_type_checked(project):
    pipeline = validate(
        load_pipeline_file(pipeline_file(project, 'spark { ship_code { enabled = false, paths = ["shop_code"] } }'))
    )
    assert pipeline.spec.spark.ship_code == ShipCodeSettings(enabled=False, paths=["shop_code"])
    with pytest.raises(ConfigError) as caught:
        validate(load_pipeline_file(pipeline_file(project, 'spark { ship_code { enabled = "sometimes" } }')))
    assert [i.path for i in caught.value.issues] == ["pipeline.spark.ship_code.enabled"]
    with pytest.raises(ConfigError) as caught:
        validate(load_pipeline_file(pipeline_file(project, "spark { ship_code { path = [] } }")))
    assert "path" in caught.value.render()


def test_validate_rejects_an_extra_path_that_is_not_code(project):
    (project / "notes.txt").write_text("")
    with pytest.raises(ConfigError) as caught:
        validate(
            load_pipeline_file(
                pipeline_file(project, 'spark { ship_code { paths = ["shop_code", "missing", "notes.txt"] } }')
            )
        )
    issues = caught.value.issues
    assert [i.path for i in issues] == ["pipeline.spark.ship_code.paths[1]", "pipeline.spark.ship_code.paths[2]"]
    assert "does not exist" in issues[0].message and issues[0].line is not None
    assert path_issues(["shop_code", "shop_helpers.py"], project) == []


def test_a_missing_module_on_the_executors_gets_a_hint():
    worker_traceback = (
        "An exception was thrown from the Python worker.\nTraceback (most recent call last):\n"
        '  File "/x/pyspark/serializers.py", line 1, in loads\n'
        "ModuleNotFoundError: No module named 'my_pipelines'"
    )
    summary, _, _ = _udf_error(RuntimeError(worker_traceback))
    assert "No module named 'my_pipelines'" in summary
    assert "hint: the executors cannot import 'my_pipelines'" in summary and "spark.ship_code.paths" in summary


def test_a_submitted_session_keeps_spark_submits_master():
    settings = SparkSettings(master="local[2]", conf={"spark.master": "local[4]", "spark.sql.shuffle.partitions": "4"})
    plan = plan_session(settings, "p", submitted=True)
    assert plan.master is None and plan.submitted
    assert "spark.master" not in plan.conf and plan.conf["spark.sql.shuffle.partitions"] == "4"
    assert plan_session(settings, "p").master == "local[2]"


def test_settings_default_to_shipping():
    assert attrs.asdict(SparkSettings().ship_code) == {"enabled": True, "paths": []}


def test_nothing_of_pyspark_is_imported_by_the_shipping_module():
    assert "pyspark_pipeline_framework.runtime.session.user_code" in sys.modules
    import subprocess

    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, pyspark_pipeline_framework.runtime.session.user_code; print('pyspark' in sys.modules)",
        ],
        capture_output=True,
        text=True,
    )
    assert done.stdout.strip() == "False", done.stderr
