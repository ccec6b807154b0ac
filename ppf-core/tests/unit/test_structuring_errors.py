"""Whatever a pipeline file holds, structuring it ends in config issues written for the user.

cattrs and our own hooks raise internal exceptions (``WrongType``, ``TypeError: 'int' object is
not iterable``, ``AttributeError: ... 'keys'``); none of them may reach a user, neither as a
traceback nor as the text of an issue.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyspark_pipeline_framework.core import ConfigError, Source, SourceConfig
from pyspark_pipeline_framework.runner.config.preflight import validate_raw
from pyspark_pipeline_framework.testing import InlineRegistry

#: How an internal exception shows when it slips into an issue: "invalid value (TypeError: ...)".
INTERNAL = re.compile(r"\((?:\w+Error|WrongType|\w+Exception): ")

STEPS = [{"name": "read", "type": "Numbers"}, {"name": "out", "type": "Numbers"}]


class NumbersConfig(SourceConfig):
    start: int = 0


class Numbers(Source[NumbersConfig]):
    def read(self):
        return [self.config.start]


def issues(raw: dict, registry=None) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        validate_raw(raw, registry or InlineRegistry({"Numbers": Numbers}))
    return {issue.path: issue.message for issue in caught.value.issues}


@pytest.mark.parametrize(
    ("patch", "path", "message"),
    [
        ({"retry": 3}, "pipeline.retry", "expected an object { ... }, got 3"),
        ({"streaming": []}, "pipeline.streaming", "expected an object { ... }, got a list [ ... ]"),
        ({"steps": None}, "pipeline.steps", "expected a list [ ... ], got None"),
        ({"steps": [1, STEPS[1]]}, "pipeline.steps[0]", "expected an object { ... }, got 1"),
        ({"steps": [{**STEPS[0], "inputs": 3}]}, "pipeline.steps[0].inputs", "expected a list [ ... ], got 3"),
        ({"steps": [{**STEPS[0], "retry": "x"}]}, "pipeline.steps[0].retry", "expected an object { ... }, got 'x'"),
        ({"spark": {"conf": 3}}, "pipeline.spark.conf", "expected an object { ... }, got 3"),
        (
            {"hooks": {"enable_metrics": "maybe"}},
            "pipeline.hooks.enable_metrics",
            "expected true or false, got 'maybe'",
        ),
        ({"hooks": {"plugins": "a.B"}}, "pipeline.hooks.plugins", "expected a list of hook class paths, got 'a.B'"),
    ],
)
def test_a_value_of_the_wrong_kind_is_an_issue_at_its_own_path(patch, path, message):
    found = issues({"name": "p", "steps": STEPS, **patch})
    assert found.get(path) == message, found


class BrokenCheckConfig(SourceConfig):
    start: int = 0

    def check(self):
        if self.start < 0:
            yield "start must not be negative"  # a plain string, not a (key, message) pair
        if self.start > 100:
            raise RuntimeError("cannot check so far")


class BrokenCheck(Source[BrokenCheckConfig]):
    def read(self):
        return []


@pytest.mark.parametrize(
    ("start", "message"),
    [(-1, "start must not be negative"), (101, "RuntimeError: cannot check so far")],
)
def test_a_check_that_yields_a_string_or_raises_is_an_issue_of_its_block(start, message):
    raw = {"name": "p", "steps": [{"name": "read", "type": "Broken", "config": {"start": start}}]}
    assert issues(raw, InlineRegistry({"Broken": BrokenCheck})) == {"pipeline.steps[0].config": message}


# Any JSON-like value a HOCON file can hold, at any key of the pipeline or of a step.
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False, width=16)
    | st.sampled_from(["", "x", "5s"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "type", "name"]), inner, max_size=3)
    ),
    max_leaves=6,
)
PIPELINE_KEYS = ["name", "steps", "hooks", "spark", "retry", "dead_letter", "max_parallel_steps", "streaming"]
STEP_KEYS = ["name", "type", "config", "inputs", "retry", "circuit_breaker", "on_failure", "dead_letter"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.sampled_from(["pipeline", "step"]), key=st.sampled_from(PIPELINE_KEYS + STEP_KEYS), value=VALUES)
def test_no_internal_exception_reaches_the_user(where, key, value):
    if where == "pipeline":
        raw = {"name": "p", "steps": STEPS, key: value}
    else:
        raw = {"name": "p", "steps": [{**STEPS[0], key: value}, STEPS[1]]}
    try:
        validate_raw(raw, InlineRegistry({"Numbers": Numbers}))
    except ConfigError as error:
        leaked = [issue.render() for issue in error.issues if INTERNAL.search(issue.message)]
        assert not leaked, leaked
