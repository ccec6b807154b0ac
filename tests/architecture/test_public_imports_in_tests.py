"""The plugins' tests and the end-to-end tests use ppf as its users do: through the public modules only.

import-linter sees packages, not test folders, so this reads every test file's syntax tree: an
import of ``pyspark_pipeline_framework.runtime`` (the engine) or ``.runner`` (reading, pre-flight,
the CLI) fails, in any form (``import``, ``from ... import``, inside a function or under
``TYPE_CHECKING``), and so does a string naming one of their modules (``python -m ...``,
``importlib.import_module(...)``, code run in a child process).  What the tests need goes
through ``pyspark_pipeline_framework.testing``, ``.core``, ``.spark``, ``.components`` and the
``ppf`` command.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INTERNAL = ("pyspark_pipeline_framework.runtime", "pyspark_pipeline_framework.runner")
#: A module path of the engine or the runner inside any string (a child's code, ``-m``, import_module).
INTERNAL_IN_TEXT = re.compile(r"\bpyspark_pipeline_framework\.(runtime|runner)\b")


def checked_folders() -> list[Path]:
    """Every plugin's tests, and every test folder of the repository but this one (which names the layers)."""
    plugins = sorted(ROOT.glob("ppf-plugins-*/tests"))
    repository = sorted(p for p in (ROOT / "tests").iterdir() if p.is_dir() and p.name != "architecture")
    return plugins + [p for p in repository if p.name != "__pycache__"]


def internal_uses(source: str, filename: str = "<test>") -> list[str]:
    """``line: what`` for each import of, or string naming, an engine or runner module."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and INTERNAL_IN_TEXT.search(node.value):
            found.append(f"{node.lineno}: string naming {INTERNAL_IN_TEXT.search(node.value).group(0)}")
            continue
        for name in names:
            if name.startswith(INTERNAL) and name.split(".")[1] in ("runtime", "runner"):
                found.append(f"{node.lineno}: import of {name}")
                break
    return found


def test_the_checked_folders_are_the_plugin_and_end_to_end_tests():
    names = {str(folder.relative_to(ROOT)) for folder in checked_folders()}
    assert {"ppf-plugins-delta/tests", "ppf-plugins-aws/tests", "ppf-plugins-vault/tests"} <= names
    assert {"ppf-plugins-metrics/tests", "tests/e2e", "tests/streaming"} <= names


def test_plugin_and_end_to_end_tests_import_no_engine_or_runner_module():
    offenders = {
        str(path.relative_to(ROOT)): uses
        for folder in checked_folders()
        for path in sorted(folder.rglob("*.py"))
        if (uses := internal_uses(path.read_text(encoding="utf-8"), str(path)))
    }
    assert offenders == {}, "use pyspark_pipeline_framework.testing, .core, .spark or the ppf command instead"


@pytest.mark.parametrize(
    "code",
    [
        "import pyspark_pipeline_framework.runtime.run.executor",
        "from pyspark_pipeline_framework.runner.config.preflight import validate_raw",
        "from pyspark_pipeline_framework import runner",
        "from pyspark_pipeline_framework import core, runtime",
        "def helper():\n    from pyspark_pipeline_framework.runtime.run.context import RunContext",
        "if TYPE_CHECKING:\n    from pyspark_pipeline_framework.runtime.session import builder",
        'args = [sys.executable, "-m", "pyspark_pipeline_framework.runner.cli", "run"]',
        'importlib.import_module("pyspark_pipeline_framework.runtime.run.launch")',
    ],
)
def test_an_engine_or_runner_module_in_a_test_is_found(code):
    assert internal_uses(code), code


@pytest.mark.parametrize(
    "code",
    [
        "from pyspark_pipeline_framework.testing import run_without_spark, validate_pipeline",
        "from pyspark_pipeline_framework.core.plugins import load_hook_plugins",
        "from pyspark_pipeline_framework.components.files import FileSink",
        "import pyspark_pipeline_framework.spark",
        'message = "the runtime of the runner"',
        "from ppf_delta.runner_helpers import x",
    ],
)
def test_the_public_modules_pass(code):
    assert internal_uses(code) == []
