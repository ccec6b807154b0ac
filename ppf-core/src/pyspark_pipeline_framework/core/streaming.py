"""Streaming pipelines: which steps run on the stream, which once per micro-batch, and in which query.

A pipeline with a streaming source (``Source.reads_stream``) is a streaming pipeline.  Its steps
fall into three groups, decided before any JVM starts:

- **on the stream**: the streaming sources and the transforms marked ``on_stream = true``
  (stateful operations Spark runs on the stream itself: windowed aggregation or de-duplication
  with a watermark, stream-static joins);
- **per micro-batch**: every other step downstream of the stream, run once per micro-batch on that
  batch's rows as an ordinary batch pipeline (Spark's ``foreachBatch``); every batch component works
  unchanged there;
- **static**: steps that read no stream (reference data): read again for each micro-batch that
  uses them, or once, when the stream is defined, for an on-stream step that joins them.

Each on-stream step whose output a per-micro-batch step reads starts one streaming query, whose
checkpoint lives under ``streaming.checkpoint_location`` in ``<pipeline>/<step>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

import attrs

from pyspark_pipeline_framework.core.durations import parse_duration
from pyspark_pipeline_framework.core.errors import ConfigIssue

if TYPE_CHECKING:
    from pyspark_pipeline_framework.core.dag import PipelineGraph
    from pyspark_pipeline_framework.core.pipeline import ResolvedStep
    from pyspark_pipeline_framework.core.spec import PipelineSpec

#: Where a step runs in a streaming pipeline.
Placement = Literal["stream", "micro_batch", "static"]


@attrs.frozen
class MicroBatch:
    """The micro-batch a step runs in: ``context.micro_batch`` (``None`` outside streaming runs).

    Sinks make their writes idempotent with it: a batch replayed after a crash carries the same
    ``batch_id`` as the attempt that may have written before the crash.
    """

    #: The streaming query's name (``<pipeline>.<step>``); stable across runs of the same file.
    query: str
    #: Spark's id of the micro-batch within its query: 0, 1, 2... continued across restarts.
    batch_id: int

    def transaction_app_id(self, step_name: str) -> str:
        """An id for idempotent writes of ``step_name`` in this query, the same in every run."""
        return f"ppf/{self.query}/{step_name}"


@attrs.frozen
class StreamQuery:
    """One streaming query: the on-stream step whose output feeds micro-batches, and what runs per batch."""

    #: The query's name, ``<pipeline>.<step>``.
    name: str
    #: The on-stream step whose micro-batches the query hands to the per-batch steps.
    step: str
    #: The per-micro-batch steps of this query (and the static steps they read), in execution order.
    batch_steps: tuple[str, ...]
    #: Checkpoint directory of the query (``None`` when ``checkpoint_location`` is not set).
    checkpoint: str | None


@attrs.frozen
class StreamingPlan:
    """Where each step of a streaming pipeline runs and which queries it starts."""

    placement: Mapping[str, Placement]
    queries: tuple[StreamQuery, ...]

    def on_stream(self, name: str) -> bool:
        return self.placement.get(name) == "stream"


def slug(name: str) -> str:
    """A directory name for a pipeline or step name."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) or "_"


def reads_stream(step: ResolvedStep) -> bool:
    component = step.component_class
    return component.kind == "source" and bool(getattr(component, "reads_stream", lambda _: False)(step.config))


def streaming_plan(spec: PipelineSpec, graph: PipelineGraph, steps: Mapping[str, ResolvedStep]) -> StreamingPlan | None:
    """The plan of a streaming pipeline, ``None`` for a batch pipeline (no streaming source)."""
    order = graph.topological_order()
    sources = [name for name in order if name in steps and reads_stream(steps[name])]
    if not sources:
        return None
    placement: dict[str, Placement] = {}
    for name in order:
        upstream = [placement.get(u, "static") for u in graph.inputs[name]]
        if name in sources or (spec.step(name).on_stream and "stream" in upstream and "micro_batch" not in upstream):
            placement[name] = "stream"
        elif "stream" in upstream or "micro_batch" in upstream:
            placement[name] = "micro_batch"
        else:
            placement[name] = "static"
    root = spec.streaming.checkpoint_location
    queries = []
    for name in order:
        if placement[name] != "stream":
            continue
        consumers = [c for c in graph.consumers(name) if placement[c] == "micro_batch"]
        if not consumers:
            continue
        downstream = {name, *graph.downstream_of(name)}
        per_batch = {s for s in downstream if placement[s] == "micro_batch"}
        needed = set(per_batch)
        stack = list(per_batch)
        while stack:  # the static steps the per-batch steps read
            for producer in graph.inputs[stack.pop()]:
                if placement[producer] == "static" and producer not in needed:
                    needed.add(producer)
                    stack.append(producer)
        checkpoint = f"{root.rstrip('/')}/{slug(spec.name)}/{slug(name)}" if root else None
        queries.append(StreamQuery(f"{spec.name}.{name}", name, tuple(s for s in order if s in needed), checkpoint))
    return StreamingPlan(placement, tuple(queries))


def streaming_issues(spec: PipelineSpec, graph: PipelineGraph, steps: Mapping[str, ResolvedStep]) -> list[ConfigIssue]:
    """Pre-flight problems of the ``streaming`` block and of where steps run."""
    issues: list[ConfigIssue] = []
    index_of = {step.name: i for i, step in enumerate(spec.steps)}
    trigger = spec.streaming.trigger
    if trigger is not None and trigger not in ("available_now", "once"):
        try:
            if parse_duration(trigger) <= 0:
                raise ValueError("a processing-time trigger must be longer than 0s")
        except ValueError as error:
            issues.append(
                ConfigIssue(
                    "pipeline.streaming.trigger",
                    f"invalid trigger {trigger!r}: {error}",
                    'use "available_now", "once" or an interval such as "10s"',
                )
            )
    if spec.streaming.stop_timeout <= 0:
        issues.append(ConfigIssue("pipeline.streaming.stop_timeout", "must be longer than 0s"))
    plan = streaming_plan(spec, graph, steps) if set(graph.order) <= set(steps) else None
    if plan is None:
        for step in spec.steps:
            if step.on_stream and step.name in steps:
                issues.append(
                    ConfigIssue(
                        f"pipeline.steps[{index_of[step.name]}].on_stream",
                        "only applies to steps downstream of a streaming source",
                        "remove it: this pipeline reads no stream",
                    )
                )
        return issues
    for step in spec.steps:
        path = f"pipeline.steps[{index_of[step.name]}]"
        kind = graph.kinds.get(step.name)
        where = plan.placement.get(step.name)
        if step.on_stream and kind != "transform":
            issues.append(
                ConfigIssue(
                    f"{path}.on_stream",
                    f"only transforms run on the stream; this step is a {kind}",
                    "remove on_stream: validators and sinks run once per micro-batch",
                )
            )
        elif step.on_stream and where != "stream":
            issues.append(
                ConfigIssue(
                    f"{path}.on_stream",
                    "this step reads no stream, or reads a step that runs per micro-batch",
                    "on-stream steps read the streaming source or other on-stream steps (and static reference data)",
                )
            )
        if where == "static" and not graph.consumers(step.name):
            issues.append(
                ConfigIssue(
                    path,
                    "in a streaming pipeline every sink writes what a stream produces; this one reads no stream",
                    "move this batch branch to a pipeline of its own",
                )
            )
        if where == "micro_batch":
            streams = {q.step for q in plan.queries if step.name in q.batch_steps}
            if len(streams) > 1:
                issues.append(
                    ConfigIssue(
                        path,
                        f"reads micro-batches of several streams ({', '.join(sorted(streams))})",
                        "join streams on the stream (on_stream = true) with watermarks",
                    )
                )
    if spec.streaming.checkpoint_location is None:
        issues.append(
            ConfigIssue(
                "pipeline.streaming.checkpoint_location",
                "a streaming pipeline needs a checkpoint location (its queries resume from it)",
                'add streaming { checkpoint_location = "/some/durable/dir" } to the pipeline',
            )
        )
    seen: dict[str, str] = {}
    for query in plan.queries:
        if query.checkpoint in seen:
            issues.append(
                ConfigIssue(
                    f"pipeline.steps[{index_of[query.step]}].name",
                    f"its query would share the checkpoint {query.checkpoint} with step {seen[query.checkpoint]!r}",
                    "give the steps names that differ in letters or digits",
                )
            )
        elif query.checkpoint is not None:
            seen[query.checkpoint] = query.step
    return issues
