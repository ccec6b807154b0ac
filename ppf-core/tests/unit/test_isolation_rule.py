"""Which steps are isolated (their output computed within the step), and where ``isolate`` is refused."""

from __future__ import annotations

import pytest

from pyspark_pipeline_framework.core.component import ComponentKind
from pyspark_pipeline_framework.core.dag import build_graph
from pyspark_pipeline_framework.core.spec import CircuitBreakerSettings, PipelineSpec, RetryPolicy, StepSpec
from pyspark_pipeline_framework.runtime.run.isolation import compute_within_step, isolated


def step(**settings) -> StepSpec:
    return StepSpec(name="s", type="T", **settings)


@pytest.mark.parametrize("kind", [ComponentKind.SOURCE, ComponentKind.TRANSFORM, ComponentKind.VALIDATOR])
@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, False),
        ({"on_failure": "fail"}, False),
        ({"retry": RetryPolicy(max_attempts=3)}, True),
        ({"circuit_breaker": CircuitBreakerSettings()}, True),
        ({"on_failure": "skip"}, True),
        ({"on_failure": "continue"}, True),
        ({"isolate": True}, True),
        ({"retry": RetryPolicy(max_attempts=3), "isolate": False}, False),
    ],
)
def test_a_step_is_isolated_by_its_own_failure_settings_or_by_isolate(kind, settings, expected):
    assert isolated(step(**settings), kind) is expected


def test_a_sink_is_never_isolated_and_isolate_on_a_sink_is_a_config_error():
    assert isolated(step(retry=RetryPolicy(max_attempts=3), isolate=True), ComponentKind.SINK) is False
    spec = PipelineSpec(name="p", steps=[StepSpec(name="src", type="S"), StepSpec(name="out", type="K", isolate=True)])
    _, issues = build_graph(spec, {"src": "source", "out": "sink"})
    (issue,) = issues
    assert issue.path == "pipeline.steps[1].isolate" and "a sink's write does that already" in issue.message


def test_what_is_not_a_batch_dataframe_passes_through_untouched():
    rows = [1, 2, 3]
    assert compute_within_step(rows) is rows and compute_within_step(None) is None
