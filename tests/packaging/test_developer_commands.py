"""The documented installs and developer commands: ppf-core's extras, the Makefile, the pre-commit hooks."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import tomllib
from importlib.metadata import metadata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = {
    "delta": "ppf-plugins-delta",
    "aws": "ppf-plugins-aws",
    "vault": "ppf-plugins-vault",
    "metrics": "ppf-plugins-metrics",
}
MAKE_TARGETS = {
    "install-dev": ["dev"],
    "test": ["tests"],
    "test-unit": ["unit"],
    "test-spark": ["spark"],
    "test-stress": ["stress"],
    "test-scale-out": ["scale_out"],
    "test-cov": ["cov"],
    "lint": ["lint"],
    "format": ["format"],
    "docs": ["docs"],
    "check": ["lint", "typecheck", "docs", "tests", "stress", "scale_out", "airflow", "dagster"],
    "test-schedulers": ["airflow", "dagster"],
}
#: Extras that ``all`` leaves out: the schedulers are installed where they run, not with every ppf.
SCHEDULER_EXTRAS = {"airflow", "dagster"}


def nox_sessions() -> set[str]:
    """The session names noxfile.py defines (read from its source: nox need not be installed)."""
    names = set()
    for node in ast.parse((ROOT / "noxfile.py").read_text()).body:
        for decorator in getattr(node, "decorator_list", []):
            if isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "nox.session":
                given = {k.arg: k.value for k in decorator.keywords}
                names.add(given["name"].value if "name" in given else node.name)
    return names


def test_the_plugin_extras_pull_the_plugin_distributions_at_their_version():
    extras = tomllib.loads((ROOT / "ppf-core" / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for extra, distribution in PLUGINS.items():
        version = tomllib.loads((ROOT / distribution / "pyproject.toml").read_text())["project"]["version"]
        (requirement,) = extras[extra]
        name, low, high = re.fullmatch(r"([\w-]+)>=([\d.]+),<([\d.]+)", requirement).groups()
        assert name == distribution
        assert tuple(map(int, low.split("."))) <= tuple(map(int, version.split("."))) < tuple(map(int, high.split(".")))
    (everything,) = extras["all"]
    name, listed = re.fullmatch(r"([\w-]+)\[(.*)\]", everything).groups()
    assert name == "ppf-core" and set(listed.split(",")) == set(extras) - {"all"} - SCHEDULER_EXTRAS
    assert set(extras) >= SCHEDULER_EXTRAS


def test_the_connect_extra_pins_the_same_pyspark_as_the_spark_extra():
    extras = tomllib.loads((ROOT / "ppf-core" / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    (spark,) = extras["spark"]
    (connect,) = extras["connect"]
    assert connect == spark.replace("pyspark", "pyspark[connect]", 1)


def test_the_installed_core_offers_the_extras():
    offered = set(metadata("ppf-core").get_all("Provides-Extra") or [])
    assert offered >= {"spark", "connect", "age", "sops", "delta", "aws", "vault", "metrics", "all", *SCHEDULER_EXTRAS}


@pytest.mark.parametrize("target", sorted(MAKE_TARGETS))
def test_each_make_target_calls_its_nox_sessions(target):
    assert shutil.which("make"), "make is needed for the developer commands"
    done = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=True)
    (command,) = done.stdout.splitlines()
    assert command.startswith("python3 -m nox -s "), command
    sessions = command.removeprefix("python3 -m nox -s ").split()
    assert sessions == MAKE_TARGETS[target]
    assert set(sessions) <= nox_sessions()


def test_pre_commit_runs_the_linters_of_the_lint_session_at_the_same_versions():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = {hook["id"]: (repo, hook) for repo in config["repos"] for hook in repo["hooks"]}
    assert {"ruff-check", "ruff-format", "lint-imports"} <= set(hooks)
    source = (ROOT / "noxfile.py").read_text()
    pins = dict(re.findall(r'"([\w-]+)==([\d.]+)"', source[source.index("LINT_REQUIREMENTS") :].splitlines()[0]))
    assert hooks["ruff-check"][0]["rev"] == f"v{pins['ruff']}"
    assert hooks["lint-imports"][1]["additional_dependencies"] == [f"import-linter=={pins['import-linter']}"]
    # The hook finds every distribution's package from its sources.
    assert all(f"{dist}/src" in hooks["lint-imports"][1]["entry"] for dist in ["ppf-core", *PLUGINS.values()])


def test_ci_runs_every_session_make_check_runs_and_the_wheels():
    """CI (`.ci/run`) and `make check` test the same things; CI also checks the built wheels."""
    ci = [
        session
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.startswith("python3 -m nox -s ")
        for session in line.removeprefix("python3 -m nox -s ").split()
    ]
    assert len(ci) == len(set(ci)) and set(ci) <= nox_sessions()
    assert set(ci) == set(MAKE_TARGETS["check"]) | {"wheels"}
