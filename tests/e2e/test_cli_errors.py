"""Bad input: a clear message, exit code 2, no JVM, nothing written."""

from __future__ import annotations

import json
import subprocess
import sys

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
    "missing required field": (
        GOOD.replace('config { pii_fields = ["email"] }', ""),
        "pipeline.steps[1].config.pii_fields: required key is missing",
        6,
    ),
    "unknown component type": (GOOD.replace("ParquetSink", "ParquetSinc"), "unknown component type 'ParquetSinc'", 7),
    "duplicate step name": (GOOD.replace('name = "load"', 'name = "extract"'), "duplicate step name 'extract'", 7),
    "unknown input": (
        GOOD.replace('name = "load",', 'name = "load", inputs = ["anonymise"],'),
        "unknown input step 'anonymise'",
        7,
    ),
    "cycle": (
        GOOD.replace('name = "anonymize",', 'name = "anonymize", inputs = ["anonymize-2"],').replace(
            '    { name = "load"',
            '    { name = "anonymize-2", type = "Filter", inputs = ["anonymize"], config { condition = "true" } }\n    { name = "load"',
        ),
        "the steps form a cycle",
        6,
    ),
    "dead letters on a source that cannot produce them": (
        GOOD.replace(
            '"CsvSource", config { path = "data/users.csv", options { header = "true" } } }',
            '"ParquetSource", config { path = "data" }, dead_letter { type = ParquetSink, config { path = "out/dead" } } }',
        ),
        "pipeline.steps[0].dead_letter: ParquetSource cannot produce dead letters",
        5,
    ),
    "missing environment variable": (
        GOOD.replace('path = "out/bad"', "path = ${PPF_E2E_UNSET_OUTPUT}"),
        "cannot resolve ${PPF_E2E_UNSET_OUTPUT}",
        7,
    ),
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


@pytest.mark.parametrize(
    "args, message, hint",
    [
        (
            ["components", "show", "ParquetSinc"],
            "error: unknown component type 'ParquetSinc'",
            "    hint: did you mean ParquetSink",
        ),
        (
            ["run", "-c", "pipelines/user_etl.conf", "--resume", "nope"],
            "error: cannot resume: no run 'nope' in .ppf/runs",
            "    hint: `ppf runs list` shows the runs",
        ),
    ],
)
def test_a_framework_error_prints_its_message_and_hint_and_exits_2(args, message, hint, example_project):
    done, facts = probe(*args, cwd=example_project)
    assert facts["exit"] == 2 and facts["jvm_started"] is False, done.stderr
    lines = done.stderr.splitlines()
    assert message in lines, done.stderr
    assert lines[lines.index(message) + 1].startswith(hint), done.stderr
    assert "Traceback" not in done.stderr


def test_an_unknown_log_level_is_a_usage_error(example_project):
    done, facts = probe("run", "-c", "pipelines/user_etl.conf", "--log-level", "loud", cwd=example_project)
    assert facts["exit"] == 2 and facts["jvm_started"] is False
    assert "'loud' is not one of" in done.stderr
    done, facts = probe(
        "run", "-c", "pipelines/user_etl.conf", "--log-level", "ERROR", "--dry-run", cwd=example_project
    )
    assert facts["exit"] == 0, done.stderr  # levels are case-insensitive, as before


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["components", "list"],
        ["components", "show", "SqlTransform"],
        ["plan", "pipelines/user_etl.conf", "--format", "mermaid"],
    ],
)
def test_light_commands_import_no_pyspark(args, example_project):
    if args[0] == "plan":
        # The example's own component module imports pyspark at its top (the Quick Start's code does):
        # use a pipeline of built-ins only to check that ppf itself stays light.
        (example_project / "light.conf").write_text(
            GOOD.replace("my_pipelines.transforms.UserAnonymizer", "Filter").replace(
                'pii_fields = ["email"]', 'condition = "true"'
            )
        )
        args = ["plan", "light.conf", "--format", "mermaid"]
    done, facts = probe(*args, cwd=example_project)
    assert facts == {"exit": 0, "pyspark_imported": False, "jvm_started": False}, done.stderr
    if args[0] == "plan":
        assert "flowchart LR" in done.stdout and "s_extract --> s_anonymize" in done.stdout
    if args[:2] == ["components", "list"]:
        assert "ParquetSource  ppf-core" in done.stdout.replace("   ", "  ") or "ppf-core" in done.stdout


def test_validate_of_builtins_imports_no_pyspark(example_project):
    (example_project / "light.conf").write_text(
        GOOD.replace("my_pipelines.transforms.UserAnonymizer", "Filter").replace(
            'pii_fields = ["email"]', 'condition = "true"'
        )
    )
    done, facts = probe("validate", "light.conf", cwd=example_project)
    assert facts == {"exit": 0, "pyspark_imported": False, "jvm_started": False}, done.stderr


def test_dry_run_starts_nothing(example_project):
    done, facts = probe("run", "-c", "pipelines/user_etl.conf", "--dry-run", cwd=example_project)
    assert facts["exit"] == 0 and facts["jvm_started"] is False
    assert "nothing was run" in done.stdout
    assert not (example_project / "out").exists()


LIGHT = GOOD.replace("my_pipelines.transforms.UserAnonymizer", "Filter").replace(
    'pii_fields = ["email"]', 'condition = "true"'
)
TYPO_HOOKS = """
from pyspark_pipeline_framework.core import Hook, HookSettings, hookimpl


class TimingHook(Hook):
    def befor_step(self, step_name):
        pass


class InstalledTypo(Hook):
    autoload = True

    @hookimpl
    def pipeline_ended(self, pipeline_name):
        pass


class NeedySettings(HookSettings):
    url: str
    token_env: str = "NEEDY_TOKEN"


class InstalledNeedy(Hook[NeedySettings]):
    autoload = True

    def pipeline_start(self, pipeline_name):
        pass
"""


def with_hooks(text: str, hooks: str) -> str:
    return text.replace('name = "bad-inputs"', f'name = "bad-inputs"\n  hooks {{ {hooks} }}')


@pytest.mark.parametrize(
    ("hooks", "expected", "hint"),
    [
        ('metrics { exportr = "console" }', "pipeline.hooks.metrics.exportr: unknown key", "did you mean 'exporter'?"),
        (
            'enable_audit_log = true, audit_log { pth = "audit.jsonl" }',
            "pipeline.hooks.audit_log.pth: unknown key",
            "did you mean 'path'?",
        ),
    ],
)
@pytest.mark.parametrize("command", ["run", "validate"])
def test_a_typo_in_hook_settings_exits_2_with_path_and_line(hooks, expected, hint, command, example_project):
    (example_project / "bad.conf").write_text(with_hooks(LIGHT, hooks))
    args = ["run", "-c", "bad.conf"] if command == "run" else ["validate", "bad.conf"]
    done, facts = probe(*args, cwd=example_project)
    assert facts["exit"] == 2 and facts["jvm_started"] is False, done.stderr
    assert f"bad.conf:4: {expected}" in done.stderr and hint in done.stderr
    assert "Traceback" not in done.stderr and not (example_project / "audit.jsonl").exists()


@pytest.mark.parametrize("command", ["run", "validate"])
def test_a_misspelled_hook_method_exits_2_naming_the_plugin_and_the_hook(command, example_project, tmp_path):
    (tmp_path / "typo_hooks.py").write_text(TYPO_HOOKS)
    (example_project / "bad.conf").write_text(with_hooks(LIGHT, 'plugins = ["typo_hooks.TimingHook"]'))
    args = ["run", "-c", "bad.conf"] if command == "run" else ["validate", "bad.conf"]
    done, facts = probe(*args, cwd=example_project, env={"PYTHONPATH": str(tmp_path)})
    assert facts["exit"] == 2 and facts["jvm_started"] is False, done.stderr
    assert (
        "bad.conf:4: pipeline.hooks.plugins[0]: hook plugin 'typo_hooks.TimingHook': method 'befor_step' "
        "is not a ppf hook"
    ) in done.stderr
    assert "did you mean 'before_step'?" in done.stderr and "Traceback" not in done.stderr


def install_plugin(folder, name: str, target: str) -> dict[str, str]:
    """An installed distribution with one ``ppf.plugins`` entry point, from ``folder`` on PYTHONPATH."""
    (folder / "typo_hooks.py").write_text(TYPO_HOOKS)
    dist = folder / f"{name}_hooks-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}-hooks\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[ppf.plugins]\n{name} = {target}\n")
    return {"PYTHONPATH": str(folder)}


@pytest.mark.parametrize("command", ["run", "validate"])
def test_an_installed_plugin_with_a_misspelled_hook_stops_the_run_before_spark(command, example_project, tmp_path):
    # A plugin that loads by itself (autoload) is not named in the file: pre-flight checks it all the same.
    env = install_plugin(tmp_path, "typo", "typo_hooks:InstalledTypo")
    (example_project / "light.conf").write_text(LIGHT)
    args = ["run", "-c", "light.conf"] if command == "run" else ["validate", "light.conf"]
    done, facts = probe(*args, cwd=example_project, env=env)
    assert facts["exit"] == 2 and facts["jvm_started"] is False, done.stderr
    assert (
        "hook plugin 'typo': 'pipeline_ended' is marked @hookimpl but ppf has no hook 'pipeline_ended'" in done.stderr
    )
    assert "did you mean 'pipeline_end'?" in done.stderr and "Traceback" not in done.stderr
    assert not (example_project / "out").exists()


@pytest.mark.parametrize("command", ["run", "validate"])
def test_an_autoloaded_plugin_whose_settings_need_a_value_is_a_config_error(command, example_project, tmp_path):
    env = install_plugin(tmp_path, "needy", "typo_hooks:InstalledNeedy")
    (example_project / "light.conf").write_text(LIGHT)
    args = ["run", "-c", "light.conf"] if command == "run" else ["validate", "light.conf"]
    done, facts = probe(*args, cwd=example_project, env=env)
    assert facts["exit"] == 2 and facts["jvm_started"] is False, done.stderr
    assert "pipeline.hooks.needy: hook plugin 'needy' loads by itself (autoload)" in done.stderr
    assert "its settings need url" in done.stderr
    assert (
        "hint: add hooks { needy { url = ... } }, or switch it off with hooks { enable_needy = false }" in done.stderr
    )
    assert "Traceback" not in done.stderr and not (example_project / "out").exists()

    # Given its settings, or switched off, the same plugin passes.
    for hooks in ('needy { url = "http://collector:4318" }', "enable_needy = false"):
        (example_project / "light.conf").write_text(with_hooks(LIGHT, hooks))
        done, facts = probe("validate", "light.conf", cwd=example_project, env=env)
        assert facts["exit"] == 0, done.stderr


HEAVY = (
    "pyspark",
    "opentelemetry",
    "openlineage",
    "prometheus_client",
    "hvac",
    "requests",
    "boto3",
    "botocore",
    "delta",
    "deltalake",
)
MODULES_PROBE = """
import json, sys
from importlib.metadata import entry_points
(ppf,) = entry_points(group="console_scripts", name="ppf")
sys.argv[0] = "ppf"
try:
    ppf.load()()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"exit": code, "loaded": sorted({m.split(".")[0] for m in sys.modules})}), file=sys.stderr)
"""


def test_validate_checks_every_shipped_hook_plugins_settings_without_their_dependencies(example_project):
    hooks = (
        'enable_audit_log = true, audit_log { path = "a.jsonl", sinks = ["jsonl"] }\n'
        '  enable_metrics = true, metrics { exporter = "console", pushgateway { url = "http://gw:9091" } }\n'
        '  enable_lineage = true, lineage { namespace = "etl", transport { type = "console" } }\n'
        '  vault { url = "http://vault:8200", mount = "kv" }'
    )
    (example_project / "hooked.conf").write_text(with_hooks(LIGHT, hooks))
    done = subprocess.run(
        [sys.executable, "-c", MODULES_PROBE, "validate", "hooked.conf"],
        cwd=example_project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    facts = json.loads(done.stderr.strip().splitlines()[-1])
    assert facts["exit"] == 0, done.stderr
    assert {"ppf_metrics", "ppf_vault"} <= set(facts["loaded"])  # the plugin classes were loaded and checked
    assert not set(HEAVY) & set(facts["loaded"])
