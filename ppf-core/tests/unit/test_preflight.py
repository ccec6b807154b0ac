"""Pre-flight validation: every bad input gets a clear, located error, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyspark_pipeline_framework.core.errors import ConfigError
from pyspark_pipeline_framework.runner.config.preflight import validate
from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file

T = "ppf_test_components"


def issues_of(path):
    with pytest.raises(ConfigError) as caught:
        validate(load_pipeline_file(path))
    return caught.value.issues


def only(issues, path):
    matching = [i for i in issues if i.path == path]
    assert matching, f"no issue at {path}: {[i.path for i in issues]}"
    return matching[0]


GOOD = f"""
pipeline {{
  name = "good"
  steps = [
    {{ name = "numbers", type = "{T}.Numbers", config {{ values = [1, 2] }} }}
    {{ name = "plus", type = "{T}.Add", config {{ amount = 2 }} }}
    {{ name = "out", type = "{T}.Collect" }}
  ]
}}
"""


def test_valid_pipeline_structures_component_configs(write_conf):
    pipeline = validate(load_pipeline_file(write_conf(GOOD)))
    assert pipeline.steps["plus"].config.amount == 2
    assert pipeline.graph.inputs["out"] == ("plus",)


def test_unknown_key_in_component_config_has_line_and_suggestion(write_conf):
    path = write_conf(GOOD.replace("amount = 2", "amout = 2"))
    issue = only(issues_of(path), "pipeline.steps[1].config.amout")
    assert issue.message == "unknown key"
    assert "amount" in issue.hint
    assert issue.line == 5 and issue.file == str(path)


def test_unknown_key_at_pipeline_level(write_conf):
    issue = only(issues_of(write_conf(GOOD.replace('name = "good"', 'name = "good"\n  stpes = []'))), "pipeline.stpes")
    assert "steps" in issue.hint


def test_wrong_type_is_reported_with_path(write_conf):
    issue = only(
        issues_of(write_conf(GOOD.replace("values = [1, 2]", 'values = "1,2"'))), "pipeline.steps[0].config.values"
    )
    assert "expected a list" in issue.message
    assert issue.line == 4


def test_missing_required_field(write_conf):
    issue = only(
        issues_of(write_conf(GOOD.replace("config { values = [1, 2] }", ""))), "pipeline.steps[0].config.values"
    )
    assert "required" in issue.message


def test_unknown_component_type_suggests_close_match(write_conf):
    issue = only(issues_of(write_conf(GOOD.replace(f"{T}.Add", "ParquetSorce"))), "pipeline.steps[1].type")
    assert "unknown component type 'ParquetSorce'" in issue.message
    assert "ParquetSource" in issue.hint


def test_component_of_uninstalled_plugin_names_the_distribution(write_conf, monkeypatch):
    from pyspark_pipeline_framework.core import registry as registry_module

    monkeypatch.setattr(registry_module.ComponentRegistry, "names", lambda self: [])
    monkeypatch.setattr(
        registry_module.ComponentRegistry, "entry", lambda self, name: (_ for _ in ()).throw(self._not_found(name))
    )
    path = write_conf(GOOD.replace(f"{T}.Collect", "pyspark_pipeline_framework.components.DeltaSink"))
    issue = only(issues_of(path), "pipeline.steps[2].type")
    assert "ppf-plugins-delta" in issue.message and issue.hint == "pip install ppf-plugins-delta"


def test_missing_module_in_dotted_type(write_conf):
    issue = only(
        issues_of(write_conf(GOOD.replace(f"{T}.Add", "no_such_pkg.transforms.Add"))), "pipeline.steps[1].type"
    )
    assert "cannot import module 'no_such_pkg.transforms'" in issue.message


def test_duplicate_step_name(write_conf):
    issue = only(issues_of(write_conf(GOOD.replace('name = "plus"', 'name = "numbers"'))), "pipeline.steps[1].name")
    assert "duplicate step name 'numbers'" in issue.message


def test_unknown_input(write_conf):
    path = write_conf(GOOD.replace('name = "out", type', 'name = "out", inputs = ["plu"], type'))
    issue = only(issues_of(path), "pipeline.steps[2].inputs[0]")
    assert "unknown input step 'plu'" in issue.message and "plus" in issue.hint


def test_cycle_names_the_cycle(write_conf):
    path = write_conf(f"""
    pipeline {{
      name = "cyclic"
      steps = [
        {{ name = "src", type = "{T}.Numbers", config {{ values = [1] }} }}
        {{ name = "a", type = "{T}.Add", inputs = ["c"] }}
        {{ name = "b", type = "{T}.Add", inputs = ["a"] }}
        {{ name = "c", type = "{T}.Add", inputs = ["b"] }}
      ]
    }}
    """)
    (issue,) = [i for i in issues_of(path) if "cycle" in i.message]
    assert (
        "a -> b -> c -> a" in issue.message
        or "b -> c -> a -> b" in issue.message
        or "c -> a -> b -> c" in issue.message
    )


def test_kind_rules(write_conf):
    path = write_conf(f"""
    pipeline {{
      name = "kinds"
      steps = [
        {{ name = "t", type = "{T}.Add" }}
        {{ name = "src", type = "{T}.Numbers", inputs = ["t"], config {{ values = [1] }} }}
        {{ name = "sink", type = "{T}.Collect", inputs = ["src"] }}
        {{ name = "after-sink", type = "{T}.Add", inputs = ["sink"] }}
      ]
    }}
    """)
    messages = {i.path: i.message for i in issues_of(path)}
    assert messages["pipeline.steps[0]"] == "this transform has no input"
    assert messages["pipeline.steps[1].inputs"] == "a source takes no input"
    assert "a sink's output feeds nothing" in messages["pipeline.steps[3].inputs"]


def test_all_problems_reported_at_once(write_conf):
    text = (
        GOOD.replace("amount = 2", "amount = two")
        .replace('name = "out", type', 'name = "numbers", type')
        .replace('name = "good"', 'name = "good"\n  max_parallel_steps = 0')
    )
    paths = {i.path for i in issues_of(write_conf(text))}
    assert {"pipeline.steps[1].config.amount", "pipeline.steps[2].name", "pipeline.max_parallel_steps"} <= paths


def test_retry_and_circuit_breaker_blocks_are_validated(write_conf):
    text = GOOD.replace(
        "config { amount = 2 }",
        'config { amount = 2 }, retry { max_attempts = 3, backoff = "quadratic", initial_delay = "5 parsecs" }, circuit_breaker { failure_threshold = 5, timeout = "30s" }',
    )
    paths = {i.path: i.message for i in issues_of(write_conf(text))}
    assert "must be one of" in paths["pipeline.steps[1].retry.backoff"]
    assert "duration" in paths["pipeline.steps[1].retry.initial_delay"]


def test_readme_style_retry_block_structures_durations(write_conf):
    text = GOOD.replace(
        "config { amount = 2 }",
        'config { amount = 2 }\n retry { max_attempts = 3, backoff = "exponential", initial_delay = "5s", max_delay = "60s" }\n circuit_breaker { failure_threshold = 5, timeout = "30s" }',
    )
    step = validate(load_pipeline_file(write_conf(text))).spec.step("plus")
    assert (step.retry.max_attempts, step.retry.initial_delay, step.retry.max_delay) == (3, 5.0, 60.0)
    assert step.circuit_breaker.timeout == 30.0


def test_spark_conf_keys_keep_their_dots(write_conf):
    text = GOOD.replace(
        'name = "good"',
        'name = "good"\n  spark { conf { "spark.sql.shuffle.partitions" = 4, spark.ui.enabled = false } }',
    )
    conf = validate(load_pipeline_file(write_conf(text))).spec.spark.conf
    assert conf == {"spark.sql.shuffle.partitions": "4", "spark.ui.enabled": "false"}


def test_hooks_enable_unknown_plugin_is_an_error(write_conf):
    text = GOOD.replace('name = "good"', 'name = "good"\n  hooks { enable_telepathy = true }')
    issue = only(issues_of(write_conf(text)), "pipeline.hooks.enable_telepathy")
    assert "no hook plugin named 'telepathy'" in issue.message


@pytest.mark.parametrize("remote", ["localhost:15002", "http://host:15002", "sc://", "sc://host:port"])
def test_a_spark_remote_that_is_no_connect_url_is_reported_with_its_line(write_conf, remote):
    text = GOOD.replace('name = "good"', f'name = "good"\n  spark {{ remote = "{remote}" }}')
    path = write_conf(text)
    issue = only(issues_of(path), "pipeline.spark.remote")
    assert "is not a Spark Connect URL" in issue.message and "sc://host:port" in issue.hint
    written = Path(path).read_text().splitlines()
    assert issue.file == str(path) and "remote" in written[issue.line - 1]


def test_a_spark_remote_url_passes_pre_flight(write_conf):
    text = GOOD.replace('name = "good"', 'name = "good"\n  spark { remote = "sc://spark.example.com:15002/;token=x" }')
    assert validate(load_pipeline_file(write_conf(text))).spec.spark.remote.startswith("sc://")
