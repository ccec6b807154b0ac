"""Bad input: a clear message, exit code 2, no JVM, nothing written."""

from __future__ import annotations

import json

import pytest

from .conftest import probe

pytestmark = pytest.mark.e2e

GOOD = """
pipeline {
  name = "bad-inputs"
  steps = [
    { name = "extract", type = "CsvSource", config { path = "data/users.csv", options { header = "true" } } }
    { name = "anonymize", type = "my_pipelines.transforms.UserAnonymizer", config { pii_fields = ["email"] } }
    { name = "load", type = "ParquetSink", config { path = "out/bad" } }
  ]
}
"""

CASES = {
    "syntax error": (GOOD.replace('pii_fields = ["email"] }', 'pii_fields = ["email" }'), "HOCON syntax error", 6),
    "unknown key": (GOOD.replace("pii_fields", "pii_fieldz"), "pipeline.steps[1].config.pii_fieldz: unknown key", 6),
    "wrong type": (GOOD.replace('["email"]', '"email"'), "pipeline.steps[1].config.pii_fields: expected a list", 6),
    "missing required field": (GOOD.replace('config { pii_fields = ["email"] }', ""),
                               "pipeline.steps[1].config.pii_fields: required key is missing", 6),
    "unknown component type": (GOOD.replace("ParquetSink", "ParquetSinc"), "unknown component type 'ParquetSinc'", 7),
    "duplicate step name": (GOOD.replace('name = "load"', 'name = "extract"'), "duplicate step name 'extract'", 7),
    "unknown input": (GOOD.replace('name = "load",', 'name = "load", inputs = ["anonymise"],'),
                      "unknown input step 'anonymise'", 7),
    "cycle": (GOOD.replace('name = "anonymize",', 'name = "anonymize", inputs = ["anonymize-2"],').replace(
        '    { name = "load"', '    { name = "anonymize-2", type = "Filter", inputs = ["anonymize"], config { condition = "true" } }\n    { name = "load"'),
        "the steps form a cycle", 6),
    "missing environment variable": (GOOD.replace('path = "out/bad"', "path = ${PPF_E2E_UNSET_OUTPUT}"),
                                     "cannot resolve ${PPF_E2E_UNSET_OUTPUT}", 7),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("command", ["run", "validate"])
def test_bad_input_exits_2_without_jvm_and_writes_nothing(case, command, example_project):
    text, expected, line = CASES[case]
    (example_project / "bad.conf").write_text(text)
    args = ["run", "-c", "bad.conf"] if command == "run" else ["validate", "bad.conf"]
    done, facts = probe(*args, cwd=example_project)
    assert facts["exit"] == 2, done.stderr
    assert expected in done.stderr
    assert f"bad.conf:{line}:" in done.stderr, done.stderr
    assert facts["jvm_started"] is False
    assert not (example_project / "out").exists()


def test_validate_json_for_ci(example_project):
    (example_project / "bad.conf").write_text(CASES["unknown key"][0])
    done, facts = probe("validate", "--format", "json", "pipelines/user_etl.conf", "bad.conf", cwd=example_project)
    assert facts["exit"] == 2
    report = json.loads(done.stdout)
    assert [r["valid"] for r in report] == [True, False]
    issue = next(i for i in report[1]["issues"] if i["message"] == "unknown key")
    assert issue["path"] == "pipeline.steps[1].config.pii_fieldz" and issue["line"] == 6 and issue["hint"]


@pytest.mark.parametrize("args", [["--help"], ["components", "list"], ["components", "show", "SqlTransform"],
                                  ["plan", "pipelines/user_etl.conf", "--format", "mermaid"]])
def test_light_commands_import_no_pyspark(args, example_project):
    if args[0] == "plan":
        # The example's own component module imports pyspark at its top (the Quick Start's code does):
        # use a pipeline of built-ins only to check that ppf itself stays light.
        (example_project / "light.conf").write_text(GOOD.replace("my_pipelines.transforms.UserAnonymizer", "Filter")
                                                   .replace('pii_fields = ["email"]', 'condition = "true"'))
        args = ["plan", "light.conf", "--format", "mermaid"]
    done, facts = probe(*args, cwd=example_project)
    assert facts == {"exit": 0, "pyspark_imported": False, "jvm_started": False}, done.stderr
    if args[0] == "plan":
        assert "flowchart LR" in done.stdout and "s_extract --> s_anonymize" in done.stdout
    if args[:2] == ["components", "list"]:
        assert "ParquetSource  ppf-core" in done.stdout.replace("   ", "  ") or "ppf-core" in done.stdout


def test_validate_of_builtins_imports_no_pyspark(example_project):
    (example_project / "light.conf").write_text(GOOD.replace("my_pipelines.transforms.UserAnonymizer", "Filter")
                                               .replace('pii_fields = ["email"]', 'condition = "true"'))
    done, facts = probe("validate", "light.conf", cwd=example_project)
    assert facts == {"exit": 0, "pyspark_imported": False, "jvm_started": False}, done.stderr


def test_dry_run_starts_nothing(example_project):
    done, facts = probe("run", "-c", "pipelines/user_etl.conf", "--dry-run", cwd=example_project)
    assert facts["exit"] == 0 and facts["jvm_started"] is False
    assert "nothing was run" in done.stdout
    assert not (example_project / "out").exists()
