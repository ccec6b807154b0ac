"""A plugin from `ppf init plugin`, built as a wheel and installed beside ppf-core in a fresh virtualenv,
is listed by `ppf components list`, and a pipeline uses its components and its hook by short name;
and `ppf init` works from an installed core wheel (its templates are package data).

Both wheels are built from source here (ppf-core from this checkout), and installed with pip into
a virtualenv that has nothing else; ppf-core's dependencies come from the package index (or pip's
cache), as for a user.  The run needs pyspark, which is not installed again: the fresh
environment sees this environment's pyspark and py4j packages through a path file (their
folders only, so no other distribution's metadata, entry points included, leaks in).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

DEMO = """
pipeline {
  name = "acme-demo"
  spark { master = "local[1]", conf { "spark.ui.enabled" = "false", "spark.sql.shuffle.partitions" = "1" } }
  steps = [
    { name = "numbers", type = "AcmeToolsSource", config { rows = 4 } }
    { name = "label", type = "AcmeToolsTransform", config { column = "source", value = "wheel" } }
    { name = "save", type = "AcmeToolsSink", config { path = "out/demo", mode = "overwrite" } }
  ]
  hooks {
    enable_acme_tools = true
    acme_tools { path = "out/runs.jsonl", min_duration_s = %s }
  }
}
"""


def run(*args, cwd, timeout=900):
    done = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH")},
    )
    assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def test_a_scaffolded_plugin_wheel_is_listed_and_used_by_short_name(tmp_path):
    run(BIN / "ppf", "init", "plugin", "acme-tools", "-d", tmp_path / "acme-tools", cwd=tmp_path)
    dist = tmp_path / "dist"
    for project in (REPO / "ppf-core", tmp_path / "acme-tools"):
        run(sys.executable, "-m", "build", "--wheel", "--outdir", dist, project, cwd=tmp_path)
    wheels = sorted(path.name for path in dist.glob("*.whl"))
    assert [re.sub(r"-.*", "", name) for name in wheels] == ["acme_tools", "ppf_core"], wheels

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python, ppf = venv / "bin" / "python", venv / "bin" / "ppf"
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *dist.glob("*.whl"), cwd=tmp_path)
    _share_pyspark(python, tmp_path / "spark-only")

    listed = run(ppf, "components", "list", "--format", "json", cwd=tmp_path)
    by_name = {row["name"]: row for row in json.loads(listed.stdout)}
    for name, module in (("AcmeToolsSource", "source"), ("AcmeToolsTransform", "transform"), ("AcmeToolsSink", "sink")):
        assert by_name[name]["distribution"] == "acme-tools" and by_name[name]["version"] == "0.1.0"
        assert by_name[name]["target"] == f"acme_tools.{module}:{name}"
    assert by_name["CsvSource"]["distribution"] == "ppf-core"  # the core's own, from its wheel

    project = tmp_path / "project"
    project.mkdir()
    (project / "bad.conf").write_text(DEMO % "-1")
    refused = subprocess.run([ppf, "validate", "bad.conf"], cwd=project, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "pipeline.hooks.acme_tools.min_duration_s" in refused.stderr, refused.stderr

    (project / "demo.conf").write_text(DEMO % "0")
    validated = run(ppf, "validate", "demo.conf", cwd=project)
    assert "demo.conf: OK (3 steps)" in validated.stdout
    run(ppf, "run", "demo.conf", "--log-format", "json", cwd=project)

    rows = [json.loads(line) for part in sorted((project / "out" / "demo").glob("part-*")) for line in part.open()]
    assert sorted(rows, key=lambda row: row["id"]) == [{"id": n, "source": "wheel"} for n in range(4)]
    (record,) = [json.loads(line) for line in (project / "out" / "runs.jsonl").open()]
    assert record["pipeline"] == "acme-demo" and record["succeeded"]
    assert [step["step"] for step in record["steps"]] == ["numbers", "label", "save"]


def test_the_templates_ship_in_the_core_wheel(tmp_path):
    """`ppf init` from an installed ppf-core wheel (not this checkout) writes a project that validates."""
    run(sys.executable, "-m", "build", "--wheel", "--outdir", tmp_path / "dist", REPO / "ppf-core", cwd=tmp_path)
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", *(tmp_path / "dist").glob("*.whl"), cwd=tmp_path)

    run(venv / "bin" / "ppf", "init", "pipeline", "sales-etl", cwd=tmp_path)

    validated = run(venv / "bin" / "ppf", "validate", "pipeline.conf", cwd=tmp_path / "sales-etl")
    assert "pipeline.conf: OK (3 steps)" in validated.stdout
    assert (tmp_path / "sales-etl" / "data" / "users.csv").read_text().startswith("user_id,")


def _share_pyspark(python: Path, folder: Path) -> None:
    """Make this environment's pyspark and py4j importable in the virtualenv of ``python``, nothing else of it."""
    folder.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for package in ("pyspark", "py4j"):
        (folder / package).symlink_to(site / package)
    for metadata in site.glob("pyspark-*.dist-info"):  # ppf checks the pyspark version it runs with
        (folder / metadata.name).symlink_to(metadata)
    venv_site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(venv_site) / "spark-only.pth").write_text(f"{folder}\n")
