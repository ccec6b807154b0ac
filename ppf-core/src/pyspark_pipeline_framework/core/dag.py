"""The pipeline as a graph of steps, checked before anything runs.

By default a step consumes the output of the nearest earlier step that is not a sink (the linear
form of the README's Quick Start, which also lets a pipeline end in several sinks in a row);
``inputs = [...]`` names other steps for fan-in and fan-out.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

import attrs

from pyspark_pipeline_framework.core.component import ComponentKind
from pyspark_pipeline_framework.core.errors import ConfigIssue
from pyspark_pipeline_framework.core.spec import PipelineSpec


@attrs.frozen
class PipelineGraph:
    """Steps in file order, each with the names of the steps it reads from."""

    order: tuple[str, ...]
    inputs: Mapping[str, tuple[str, ...]]
    kinds: Mapping[str, ComponentKind]

    def consumers(self, name: str) -> list[str]:
        return [step for step in self.order if name in self.inputs[step]]

    def topological_order(self) -> list[str]:
        """File order, adjusted only where a step reads from a later one (graph must be acyclic)."""
        done: set[str] = set()
        result: list[str] = []
        for root in self.order:
            stack = [(root, iter(self.inputs[root]))]  # iterative: pipelines can have 1000s of steps
            if root in done:
                continue
            done.add(root)
            while stack:
                name, upstreams = stack[-1]
                for upstream in upstreams:
                    if upstream not in done:
                        done.add(upstream)
                        stack.append((upstream, iter(self.inputs[upstream])))
                        break
                else:
                    stack.pop()
                    result.append(name)
        return result

    def downstream_of(self, name: str) -> set[str]:
        found: set[str] = set()
        stack = [name]
        while stack:
            for consumer in self.consumers(stack.pop()):
                if consumer not in found:
                    found.add(consumer)
                    stack.append(consumer)
        return found


def build_graph(spec: PipelineSpec, kinds: Mapping[str, ComponentKind]) -> tuple[PipelineGraph, list[ConfigIssue]]:
    """The graph and every structural problem: duplicates, unknown inputs, cycles, kind rules.

    ``kinds`` maps step names to component kinds where the component could be resolved; steps
    missing from it are checked for everything but kind rules.
    """
    issues: list[ConfigIssue] = []
    seen: dict[str, int] = {}
    for index, step in enumerate(spec.steps):
        if step.name in seen:
            issues.append(
                ConfigIssue(
                    f"pipeline.steps[{index}].name",
                    f"duplicate step name {step.name!r} (also pipeline.steps[{seen[step.name]}])",
                    "give every step a unique name",
                )
            )
        else:
            seen[step.name] = index

    inputs: dict[str, tuple[str, ...]] = {}
    previous: str | None = None
    for index, step in enumerate(spec.steps):
        kind = kinds.get(step.name)
        path = f"pipeline.steps[{index}]"
        if step.inputs is not None:
            names = tuple(step.inputs)
            for position, name in enumerate(names):
                if name not in seen:
                    close = difflib.get_close_matches(name, list(seen), n=1)
                    issues.append(
                        ConfigIssue(
                            f"{path}.inputs[{position}]",
                            f"unknown input step {name!r}",
                            f"did you mean {close[0]!r}?" if close else f"steps are: {', '.join(seen)}",
                        )
                    )
                elif name == step.name:
                    issues.append(ConfigIssue(f"{path}.inputs[{position}]", "a step cannot read its own output"))
            names = tuple(n for n in names if n in seen and n != step.name)
        elif kind == ComponentKind.SOURCE:
            names = ()
        else:
            names = (previous,) if previous else ()
        if step.name not in inputs:
            inputs[step.name] = names
        if kind != ComponentKind.SINK:
            previous = step.name

    order = tuple(seen)
    graph = PipelineGraph(order, inputs, dict(kinds))
    issues.extend(_kind_issues(spec, graph))
    issues.extend(_cycle_issues(spec, graph))
    return graph, issues


def _kind_issues(spec: PipelineSpec, graph: PipelineGraph) -> list[ConfigIssue]:
    issues = []
    index_of = {step.name: i for i, step in reversed(list(enumerate(spec.steps)))}
    for name in graph.order:
        kind = graph.kinds.get(name)
        path = f"pipeline.steps[{index_of[name]}]"
        count = len(graph.inputs[name])
        if kind == ComponentKind.SOURCE and count:
            issues.append(ConfigIssue(f"{path}.inputs", "a source takes no input", "remove `inputs` from this step"))
        if kind in (ComponentKind.TRANSFORM, ComponentKind.VALIDATOR, ComponentKind.SINK) and count == 0:
            issues.append(
                ConfigIssue(
                    path,
                    f"this {kind} has no input",
                    "put a source before it, or name the step it reads with `inputs = [...]`",
                )
            )
        # spec.steps[index_of[name]] is spec.step(name) (the first of that name) without a scan per step.
        if getattr(spec.steps[index_of[name]], "on_failure", "fail") == "continue" and (
            kind == ComponentKind.SOURCE or (kind == ComponentKind.TRANSFORM and count > 1)
        ):
            issues.append(
                ConfigIssue(
                    f"{path}.on_failure",
                    f"on_failure = continue passes the step's one input on, but this {kind} has "
                    f"{'none' if kind == ComponentKind.SOURCE else count}",
                    "use on_failure = skip",
                )
            )
        if getattr(spec.step(name), "isolate", None) and kind == ComponentKind.SINK:
            issues.append(
                ConfigIssue(
                    f"{path}.isolate",
                    "isolate = true computes a step's output within the step, but a sink's write does that already",
                    "remove isolate from this sink; set it on the step whose failures it should catch",
                )
            )
        if kind in (ComponentKind.VALIDATOR, ComponentKind.SINK) and count > 1:
            issues.append(
                ConfigIssue(
                    f"{path}.inputs",
                    f"a {kind} reads exactly one input, got {count}",
                    "combine the inputs in a transform first (for example SqlTransform)",
                )
            )
        for upstream in graph.inputs[name]:
            if graph.kinds.get(upstream) == ComponentKind.SINK:
                issues.append(
                    ConfigIssue(
                        f"{path}.inputs",
                        f"step {upstream!r} is a sink; a sink's output feeds nothing",
                        f"read from the step that feeds {upstream!r} instead",
                    )
                )
    return issues


def _cycle_issues(spec: PipelineSpec, graph: PipelineGraph) -> list[ConfigIssue]:
    white, grey, black = 0, 1, 2
    colour = {name: white for name in graph.order}
    cycles: list[list[str]] = []
    for root in graph.order:
        if colour[root] != white:
            continue
        colour[root] = grey
        path = [root]
        stack = [iter(graph.inputs[root])]
        while stack:
            for upstream in stack[-1]:
                if colour[upstream] == grey:
                    cycles.append([*path[path.index(upstream) :], upstream])
                elif colour[upstream] == white:
                    colour[upstream] = grey
                    path.append(upstream)
                    stack.append(iter(graph.inputs[upstream]))
                    break
            else:
                stack.pop()
                colour[path.pop()] = black
    index_of = {step.name: i for i, step in enumerate(spec.steps)}
    return [
        ConfigIssue(
            f"pipeline.steps[{index_of[cycle[0]]}].inputs",
            "the steps form a cycle: " + " -> ".join(reversed(cycle)),
            "a step may only read from steps that do not depend on it",
        )
        for cycle in cycles
    ]
