"""The layer contract in ``.importlinter`` holds, and it does catch an import that points the wrong way."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / ".importlinter"
PACKAGES = {
    "pyspark_pipeline_framework": ROOT / "ppf-core" / "src",
    "ppf_delta": ROOT / "ppf-plugins-delta" / "src",
    "ppf_aws": ROOT / "ppf-plugins-aws" / "src",
    "ppf_vault": ROOT / "ppf-plugins-vault" / "src",
    "ppf_metrics": ROOT / "ppf-plugins-metrics" / "src",
}

pytest.importorskip("importlinter", reason="import-linter is a test requirement (noxfile TEST_REQUIREMENTS)")


def lint_imports(source_root: Path) -> subprocess.CompletedProcess:
    """Run ``lint-imports`` on the packages found under ``source_root`` (put first on the import path)."""
    env = {**os.environ, "PYTHONPATH": str(source_root)}
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run(
        [sys.executable, "-c", code, "--config", str(CONTRACT), "--no-cache"],
        capture_output=True,
        text=True,
        env=env,
        cwd=source_root,
        timeout=300,
    )


@pytest.fixture
def copied_tree(tmp_path: Path) -> Path:
    for package, source in PACKAGES.items():
        shutil.copytree(source / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_the_repository_keeps_every_contract(copied_tree: Path):
    done = lint_imports(copied_tree)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "wrong_import", "contract"),
    [
        (
            "pyspark_pipeline_framework/core/dag.py",
            "from pyspark_pipeline_framework.runtime.run import executor",
            "Layers point down",
        ),
        (
            "pyspark_pipeline_framework/runtime/run/launch.py",
            "from pyspark_pipeline_framework.runner import cli",
            "Layers point down",
        ),
        (
            "ppf_delta/sink.py",
            "from pyspark_pipeline_framework.runtime.run import executor",
            "Plugins import only the public modules",
        ),
        (
            "pyspark_pipeline_framework/components/sql.py",
            "from pyspark_pipeline_framework.runtime.run import executor",
            "Built-in components",
        ),
    ],
)
def test_an_import_pointing_the_wrong_way_breaks_the_contract(copied_tree: Path, module, wrong_import, contract):
    target = copied_tree / module
    # Under TYPE_CHECKING too: a cycle hidden from the interpreter is still a cycle for a reader.
    target.write_text(target.read_text() + f"\n\nif False:\n    {wrong_import}  # noqa\n")
    done = lint_imports(copied_tree)
    assert done.returncode != 0
    assert contract in done.stdout and "BROKEN" in done.stdout, done.stdout
