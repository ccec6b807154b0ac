"""The step graph: default linear inputs, fan-in/out, ordering at scale."""

from __future__ import annotations

from pyspark_pipeline_framework.core.dag import build_graph
from pyspark_pipeline_framework.core.spec import PipelineSpec, StepSpec


def spec(*steps):
    return PipelineSpec(name="p", steps=[StepSpec(name=n, type="T", inputs=i) for n, i in steps])


def test_default_input_is_nearest_earlier_non_sink():
    graph, issues = build_graph(
        spec(("src", None), ("t", None), ("sink-1", None), ("sink-2", None)),
        {"src": "source", "t": "transform", "sink-1": "sink", "sink-2": "sink"},
    )
    assert not issues
    assert graph.inputs == {"src": (), "t": ("src",), "sink-1": ("t",), "sink-2": ("t",)}
    assert graph.consumers("t") == ["sink-1", "sink-2"]


def test_explicit_inputs_reorder_execution():
    graph, issues = build_graph(
        spec(("join", ["b", "a"]), ("a", None), ("b", None)),
        {"join": "transform", "a": "source", "b": "source"},
    )
    assert not issues
    assert graph.topological_order() == ["b", "a", "join"]


def test_thousands_of_steps_do_not_hit_recursion_limits():
    steps = [("s0", None)] + [(f"s{i}", None) for i in range(1, 5000)]
    kinds = {"s0": "source", **{f"s{i}": "transform" for i in range(1, 5000)}}
    graph, issues = build_graph(spec(*steps), kinds)
    assert not issues
    assert graph.topological_order()[-1] == "s4999"
    assert len(graph.downstream_of("s0")) == 4999


def test_long_cycle_is_found():
    steps = [("s0", ["s999"])] + [(f"s{i}", [f"s{i - 1}"]) for i in range(1, 1000)]
    _, issues = build_graph(spec(*steps), {})
    assert len(issues) == 1 and "cycle" in issues[0].message
