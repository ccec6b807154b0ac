"""Rendering a validated pipeline's graph as text, Mermaid or JSON."""

from __future__ import annotations

import json
import re

from pyspark_pipeline_framework.core.component import ComponentKind
from pyspark_pipeline_framework.core.pipeline import ResolvedPipeline


def render_text(pipeline: ResolvedPipeline) -> str:
    graph = pipeline.graph
    lines = [f"pipeline {pipeline.spec.name!r}: {len(graph.order)} steps"]
    for number, name in enumerate(graph.topological_order(), start=1):
        step = pipeline.spec.step(name)
        kind = graph.kinds.get(name, "?")
        reads = f" <- {', '.join(graph.inputs[name])}" if graph.inputs[name] else ""
        lines.append(f"  {number}. {name} [{kind}: {step.type}]{reads}")
    return "\n".join(lines)


def _node_id(name: str) -> str:
    return "s_" + re.sub(r"\W", "_", name)


_SHAPES = {
    ComponentKind.SOURCE: ('[("', '")]'),
    ComponentKind.SINK: ('[/"', '"/]'),
    ComponentKind.VALIDATOR: ('{{"', '"}}'),
    ComponentKind.TRANSFORM: ('["', '"]'),
}


def render_mermaid(pipeline: ResolvedPipeline) -> str:
    graph = pipeline.graph
    lines = ["flowchart LR"]
    for name in graph.order:
        left, right = _SHAPES.get(graph.kinds.get(name, ComponentKind.TRANSFORM), ('["', '"]'))
        lines.append(f"    {_node_id(name)}{left}{name}{right}")
    for name in graph.order:
        for upstream in graph.inputs[name]:
            lines.append(f"    {_node_id(upstream)} --> {_node_id(name)}")
    return "\n".join(lines)


def render_json(pipeline: ResolvedPipeline) -> str:
    graph = pipeline.graph
    return json.dumps(
        {
            "pipeline": pipeline.spec.name,
            "steps": [
                {
                    "name": n,
                    "kind": graph.kinds.get(n),
                    "type": pipeline.spec.step(n).type,
                    "inputs": list(graph.inputs[n]),
                }
                for n in graph.topological_order()
            ],
        },
        indent=2,
    )
