"""docs/testing.md's samples pass as the tests of the example project, which has only ppf-core installed.

The samples run in a child pytest (``pytester``) in a copy of ``examples/user_etl``, with no
conftest: the fixtures come from ppf-core's pytest plugin, found through its entry point, and
``ppf_spark`` starts its own session there with the ``ppf_spark_conf`` the page shows.  The other
distributions' plugins, installed in the test environment, are blocked there
(``PPF_DISABLE_PLUGINS``): the project has ppf-core only, and its session loads no plugin's jars.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.spark
pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[3]
PAGE = ROOT / "docs" / "testing.md"
BLOCK = re.compile(r"```(\w+)[^\n]*\n(.*?)```", re.S)


def blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(PAGE.read_text(encoding="utf-8")) if lang == language]


def test_the_page_shows_test_modules_and_the_ini_settings():
    files = [body.splitlines()[0] for body in blocks("python")]
    assert files == [
        "# tests/test_anonymizer.py",
        "# tests/test_user_etl.py",
        "# tests/test_rules.py",
        "# tests/test_hooks.py",
    ]
    assert [body.splitlines()[0] for body in blocks("ini")] == ["[pytest]", "[pytest]"]


def test_the_samples_pass_as_a_projects_tests(pytester, monkeypatch):
    from pyspark_pipeline_framework.core.entry_points import entry_points

    others = [ep.name for ep in entry_points(group="ppf.plugins") if ep.distribution != "ppf-core"]
    monkeypatch.setenv("PPF_DISABLE_PLUGINS", ",".join(others))
    shutil.copytree(
        ROOT / "examples" / "user_etl",
        pytester.path,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("out", "__pycache__"),
    )
    ini, spark_conf = blocks("ini")
    (pytester.path / "pytest.ini").write_text(ini + spark_conf.removeprefix("[pytest]\n"), encoding="utf-8")
    for body in blocks("python"):
        name = body.splitlines()[0].removeprefix("# ")
        (pytester.path / name).parent.mkdir(exist_ok=True)
        (pytester.path / name).write_text(body, encoding="utf-8")
    # The session the page's ppf_spark_conf asks for, checked by one more test of the project.
    (pytester.path / "tests" / "test_session.py").write_text(
        "def test_settings(ppf_spark):\n"
        "    assert ppf_spark.conf.get('spark.sql.shuffle.partitions') == '4'\n"
        "    assert ppf_spark.conf.get('spark.sql.ansi.enabled') == 'true'\n"
        "    assert ppf_spark.conf.get('spark.ui.enabled') == 'false'\n",
        encoding="utf-8",
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "tests")
    result.assert_outcomes(passed=6)
    assert not (pytester.path / "out").exists()  # every sink was captured, the audit log switched off
