"""Graceful degradation: on_failure = fail | skip | continue, partial success and its exit code."""

from __future__ import annotations

import ppf_test_components as tc
import pytest

from pyspark_pipeline_framework.core.errors import ConfigError
from pyspark_pipeline_framework.core.results import ExitCode, StepStatus
from pyspark_pipeline_framework.runner.config.preflight import validate
from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file
from pyspark_pipeline_framework.runtime.run.launch import run_pipeline

T = "ppf_test_components"
NO_SPARK = object()


def run(write_conf, on_failure: str):
    text = f"""
    pipeline {{
      name = "enrich"
      steps = [
        {{ name = "numbers", type = "{T}.Numbers", config {{ values = [1, 2] }} }}
        {{ name = "enrich", type = "{T}.Boom", on_failure = {on_failure} }}
        {{ name = "enriched-out", type = "{T}.Collect" }}
        {{ name = "plain-out", type = "{T}.Collect", inputs = ["numbers"] }}
      ]
    }}
    """
    return run_pipeline(validate(load_pipeline_file(write_conf(text))), spark=NO_SPARK)


def test_skip_an_optional_enrichment_is_partial_success(write_conf):
    result = run(write_conf, "skip")
    assert result.exit_code is ExitCode.PARTIAL_SUCCESS and int(result.exit_code) == 3
    assert result.partial and not result.succeeded
    enrich, out = result.step("enrich"), result.step("enriched-out")
    assert enrich.status is StepStatus.SKIPPED and "RuntimeError: boom" in enrich.error
    assert out.status is StepStatus.SKIPPED and out.reason == "an upstream step was skipped"
    assert tc.WRITTEN == {"plain-out": [1, 2]}  # the independent branch ran
    listed = result.to_dict()
    assert (listed["ran"], listed["failed"], listed["skipped"], listed["not_run"]) == (
        ["numbers", "enrich", "plain-out"],
        [],
        ["enrich", "enriched-out"],
        [],
    )


def test_continue_hands_the_input_on(write_conf):
    result = run(write_conf, "continue")
    assert result.exit_code is ExitCode.PARTIAL_SUCCESS
    enrich = result.step("enrich")
    assert enrich.status is StepStatus.FAILED and enrich.tolerated
    assert tc.WRITTEN == {"enriched-out": [1, 2], "plain-out": [1, 2]}
    assert result.to_dict()["failed"] == ["enrich"]


def test_fail_is_the_default_and_fails_the_run(write_conf):
    result = run(write_conf, "fail")
    assert result.exit_code is ExitCode.PIPELINE_FAILED
    assert result.step("enriched-out").status is StepStatus.NOT_RUN
    assert tc.WRITTEN == {"plain-out": [1, 2]}


def test_a_hard_failure_wins_over_a_skip(write_conf):
    text = f"""
    pipeline {{
      name = "mixed"
      steps = [
        {{ name = "a", type = "{T}.Numbers", config {{ values = [1] }} }}
        {{ name = "optional", type = "{T}.Boom", inputs = ["a"], on_failure = skip }}
        {{ name = "required", type = "{T}.Boom", inputs = ["a"] }}
        {{ name = "both", type = "{T}.Concat", inputs = ["optional", "required"] }}
      ]
    }}
    """
    result = run_pipeline(validate(load_pipeline_file(write_conf(text))), spark=NO_SPARK)
    assert result.exit_code is ExitCode.PIPELINE_FAILED
    assert result.step("both").status is StepStatus.NOT_RUN


def preflight_issues(write_conf, steps: str) -> dict:
    text = f"""
    pipeline {{
      name = "bad"
      steps = [
    {steps}
      ]
    }}
    """
    with pytest.raises(ConfigError) as caught:
        validate(load_pipeline_file(write_conf(text)))
    return {issue.path: issue for issue in caught.value.issues}


def test_preflight_rejects_continue_where_there_is_no_single_input(write_conf):
    issues = preflight_issues(
        write_conf,
        f"""
        {{ name = "a", type = "{T}.Numbers", config {{ values = [1] }}, on_failure = continue }}
        {{ name = "b", type = "{T}.Collect" }}""",
    )
    assert "use on_failure = skip" in issues["pipeline.steps[0].on_failure"].hint
    assert issues["pipeline.steps[0].on_failure"].line == 5


def test_preflight_rejects_an_unknown_on_failure(write_conf):
    issues = preflight_issues(
        write_conf,
        f"""
        {{ name = "a", type = "{T}.Numbers", config {{ values = [1] }} }}
        {{ name = "b", type = "{T}.Collect", on_failure = sometimes }}""",
    )
    assert "must be one of" in issues["pipeline.steps[1].on_failure"].message
