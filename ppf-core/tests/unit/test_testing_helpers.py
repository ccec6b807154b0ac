"""The helpers ``pyspark_pipeline_framework.testing`` gives plugin authors, without a JVM."""

from __future__ import annotations

import ppf_test_components as c
import pytest

from pyspark_pipeline_framework.core import ConfigError, Source, SourceConfig, StepStatus
from pyspark_pipeline_framework.testing import (
    InlineRegistry,
    build_component,
    load_and_validate,
    run_without_spark,
    session_conf,
    validate_pipeline,
)

COMPONENTS = InlineRegistry({"Numbers": c.Numbers, "Add": c.Add, "Collect": c.Collect})
PIPELINE = {
    "name": "sums",
    "steps": [
        {"name": "numbers", "type": "Numbers", "config": {"values": [1, 2]}},
        {"name": "plus", "type": "Add", "config": {"amount": 10}},
        {"name": "out", "type": "Collect"},
    ],
}


class SparkReader(Source[SourceConfig]):
    def read(self):
        return self.context.spark.range(3)


def test_a_pipeline_mapping_is_checked_as_a_file_is():
    with pytest.raises(ConfigError) as caught:
        validate_pipeline({**PIPELINE, "steps": [{**PIPELINE["steps"][0], "config": {"valus": [1]}}]}, COMPONENTS)
    assert [issue.path for issue in caught.value.issues] == [
        "pipeline.steps[0].config.values",  # required key is missing
        "pipeline.steps[0].config.valus",  # unknown key
    ]


def test_a_file_is_checked_with_the_given_components(write_conf):
    path = write_conf(
        "pipeline { name = f, steps = [ { name = n, type = Numbers, config { values = [1] } }, "
        "{ name = o, type = Collect } ] }"
    )
    assert sorted(load_and_validate(path, registry=COMPONENTS).steps) == ["n", "o"]


def test_run_without_spark_runs_every_step_and_hook_and_builds_no_session(ppf_hook_calls):
    result = run_without_spark(validate_pipeline(PIPELINE, COMPONENTS), plugins=[ppf_hook_calls], run_id="r-1")
    assert result.succeeded and result.run_id == "r-1"
    assert c.WRITTEN["out"] == [11, 12]
    assert [call["step_name"] for call in ppf_hook_calls.of("before_step")] == ["numbers", "plus", "out"]
    (end,) = ppf_hook_calls.of("pipeline_end")
    assert end["pipeline_name"] == "sums" and end["result"].succeeded
    assert "ppf_spark_session_settings" not in ppf_hook_calls.names()  # no session was planned

    registry = InlineRegistry({"Reader": SparkReader, "Collect": c.Collect})
    pipeline = {"name": "s", "steps": [{"name": "read", "type": "Reader"}, {"name": "out", "type": "Collect"}]}
    failed = run_without_spark(validate_pipeline(pipeline, registry))
    assert failed.step("read").status is StepStatus.FAILED and "no Spark session" in failed.step("read").error


def test_session_conf_is_what_the_run_would_build_the_session_with():
    pipeline = validate_pipeline(
        {**PIPELINE, "spark": {"conf": {"spark.sql.shuffle.partitions": 7, "spark.ui.enabled": False}}}, COMPONENTS
    )
    conf = session_conf(pipeline)
    assert conf["spark.sql.shuffle.partitions"] == "7" and conf["spark.ui.enabled"] == "false"
    # ppf's own default, below the pipeline's spark.conf
    assert conf["spark.sql.execution.arrow.pythonUDF.columnarInput.enabled"] == "false"


def test_build_component_checks_its_config_as_a_steps_and_builds_it_without_spark(monkeypatch):
    with pytest.raises(ConfigError) as caught:
        build_component(c.Numbers, {"values": ["one"], "dealy": 1})
    assert [issue.path for issue in caught.value.issues] == ["config.values[0]", "config.dealy"]
    with pytest.raises(ConfigError, match=r"type: unknown component type 'Numbrs'"):
        build_component("Numbrs", {}, registry=COMPONENTS)

    monkeypatch.setenv("PPF_TEST_SECRET", "s3cret")
    numbers = build_component("Numbers", {"values": [3, 4]}, registry=COMPONENTS, step_name="n")
    assert numbers.read() == [3, 4] and numbers.step_name == "n"
    with pytest.raises(RuntimeError, match="no Spark session"):
        _ = numbers.context.spark
    login = build_component(SecretHolder, {"token": "secret://env/PPF_TEST_SECRET"})
    assert login.config.token == "s3cret"  # resolved as the engine resolves a step's references


class SecretHolderConfig(SourceConfig):
    token: str


class SecretHolder(Source[SecretHolderConfig]):
    pass
