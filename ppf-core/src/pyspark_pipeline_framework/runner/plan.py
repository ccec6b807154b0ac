"""Rendering a validated pipeline's graph as text, Mermaid or JSON."""

from __future__ import annotations

import json
import re

from pyspark_pipeline_framework.core.component import ComponentKind
from pyspark_pipeline_framework.core.pipeline import ResolvedPipeline
from pyspark_pipeline_framework.core.streaming import StreamingPlan, streaming_plan

#: How ``ppf plan`` names where a step of a streaming pipeline runs.
PLACEMENT_TEXT = {"stream": "on the stream", "micro_batch": "per micro-batch", "static": "static, read by the stream"}


def _streams(pipeline: ResolvedPipeline) -> StreamingPlan | None:
    return streaming_plan(pipeline.spec, pipeline.graph, pipeline.steps)


def render_text(pipeline: ResolvedPipeline) -> str:
    graph = pipeline.graph
    streams = _streams(pipeline)
    lines = [f"pipeline {pipeline.spec.name!r}: {len(graph.order)} steps"]
    if streams is not None:
        settings = pipeline.spec.streaming
        lines[0] += f", streaming (trigger {settings.trigger or 'default: back to back'})"
    for number, name in enumerate(graph.topological_order(), start=1):
        step = pipeline.spec.step(name)
        kind = graph.kinds.get(name, "?")
        reads = f" <- {', '.join(graph.inputs[name])}" if graph.inputs[name] else ""
        where = f"  ({PLACEMENT_TEXT[streams.placement[name]]})" if streams is not None else ""
        lines.append(f"  {number}. {name} [{kind}: {step.type}]{reads}{where}")
    for query in streams.queries if streams is not None else ():
        lines.append(
            f"  query {query.name}: micro-batches of {query.step!r} -> {', '.join(query.batch_steps)}; "
            f"checkpoint {query.checkpoint}"
        )
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
    streams = _streams(pipeline)
    document = {
        "pipeline": pipeline.spec.name,
        "steps": [
            {
                "name": n,
                "kind": graph.kinds.get(n),
                "type": pipeline.spec.step(n).type,
                "inputs": list(graph.inputs[n]),
                **({"runs": streams.placement[n]} if streams is not None else {}),
            }
            for n in graph.topological_order()
        ],
    }
    if streams is not None:
        document["queries"] = [
            {"name": q.name, "step": q.step, "batch_steps": list(q.batch_steps), "checkpoint": q.checkpoint}
            for q in streams.queries
        ]
    return json.dumps(document, indent=2)
