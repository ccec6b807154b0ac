"""Isolated steps: a step's output computed within the step, so that its failures are its own.

Spark is lazy: a source or transform only describes its output, which is computed by the first
action that needs it, usually a sink's write.  An error raised while computing it (a UDF that
raises, a corrupt file, a flaky service called from the executors) therefore surfaces in that
sink, and the failing step's own ``retry``, ``circuit_breaker`` and ``on_failure`` never apply.

An isolated step computes its output inside each of its attempts: the output is persisted, then
computed by a ``noop`` write (one Spark job that writes nothing), and its consumers read the
persisted rows, so nothing is computed twice.  A step is isolated when it sets ``retry``,
``circuit_breaker`` or ``on_failure = skip | continue`` itself (a pipeline-level ``retry`` is
not enough), or ``isolate = true``; ``isolate = false`` keeps it lazy.  Sinks compute their
input anyway and are never isolated.
"""

from __future__ import annotations

from typing import Any

from pyspark_pipeline_framework.core.component import ComponentKind
from pyspark_pipeline_framework.core.spec import StepSpec


def isolated(step: StepSpec, kind: ComponentKind | str) -> bool:
    """Whether ``step`` computes its output within the step (see the module docstring)."""
    if kind == ComponentKind.SINK:
        return False
    if step.isolate is not None:
        return step.isolate
    return step.retry is not None or step.circuit_breaker is not None or step.on_failure != "fail"


def compute_within_step(output: Any) -> Any:
    """``output`` persisted and computed now; an error of the computation is raised here.

    Anything that is not a batch DataFrame (``None``, a streaming DataFrame) is returned as it is.
    On failure the partly filled cache is dropped before the error propagates, so a retry starts clean.
    """
    if output is None or not hasattr(output, "persist") or not hasattr(output, "write"):
        return output
    if output.isStreaming:
        return output
    from pyspark import StorageLevel

    persisted = output.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        persisted.write.format("noop").mode("overwrite").save()
    except BaseException:
        persisted.unpersist()
        raise
    return persisted
