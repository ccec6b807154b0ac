"""Per-step figures (rows in and out, rows written, bytes written) from what Spark already measured.

A step's row count comes from the cheapest place that has it exactly, and never from an extra job:

* a **source** that is a plain scan: the scan's own row metric (``scanned_rows.py``); nothing is
  added to the plan, so code generation and filter pushdown work as without ppf;
* an output whose one consumer is a **sink that writes row for row** (plain file formats): the
  write's own record count (``written_output.py``);
* anything else: a ``count(1)`` observation on the output (``observed_rows.py``).

On Spark Connect the scans' metrics and the writes' output metrics are in the server's status
stores, out of this process's reach: every row count is an observation there, and ``bytes_written``
is ``None`` (unavailable), as ``docs/connect.md`` says.  Two more rules keep those figures exact:

* a **sink** counts its rows with an observation of its own on its input, which only its own
  write runs (an attempt's observation is new, so a failed attempt counts nothing);
* an output the executor **persists** for its several consumers is computed inside a cached plan
  that the consumers' concurrent actions share, and the server accumulates the observations in
  that plan over all of them: the rows of that output and of the steps upstream of it are
  ``None`` (missing) rather than an inflated count.

Fills :attr:`StepResult.metrics` and ``context.metrics`` (``record_row_count("step.<name>", ...)``)
without starting a Spark job.  Outputs are lazy, so the figures arrive in two waves:

* when a **sink** finishes, its write has computed every step upstream of it: the sink's
  ``rows_in``, ``rows_written`` (= ``rows_out``) and ``bytes_written`` are set before its
  ``after_step`` hooks run, and so are ``rows_out`` / ``rows_in`` of the steps it read through;
* at the **end of the run** (before ``pipeline_end``) every remaining figure is settled; one
  Spark never reported is set to ``None`` ("missing"), never estimated.

So a source's or transform's ``after_step`` usually sees no row counts yet (the keys are absent:
"not known yet"); ``pipeline_end`` sees them all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pyspark_pipeline_framework.core.component import ComponentKind
from pyspark_pipeline_framework.runtime.figures.observed_rows import RowObservations
from pyspark_pipeline_framework.runtime.figures.scanned_rows import ScannedRows
from pyspark_pipeline_framework.runtime.figures.written_output import written_output
from pyspark_pipeline_framework.spark.connect import is_connect
from pyspark_pipeline_framework.spark.jobs import jobs_so_far

if TYPE_CHECKING:
    from pyspark_pipeline_framework.core.dag import PipelineGraph
    from pyspark_pipeline_framework.core.results import StepResult
    from pyspark_pipeline_framework.runtime.run.context import RunContext


class StepMetrics:
    """Collects the observed figures of one run's steps."""

    def __init__(
        self,
        context: RunContext,
        graph: PipelineGraph,
        kinds: Mapping[str, str],
        *,
        observe_rows: bool = True,
        job_group: str = "",
        job_description: Callable[[str], str] = lambda step: step,
        row_for_row_sinks: frozenset[str] = frozenset(),
    ):
        self._context = context
        self._graph = graph
        self._kinds = dict(kinds)
        self._enabled = observe_rows
        self._rows = RowObservations(context.run_id, observe_rows)
        self._scans = ScannedRows(context.spark) if observe_rows and context.has_spark else None
        # On Spark Connect what a write wrote is in the server's status store, out of reach: the
        # rows a sink writes are observed on its input like any other step's output.
        connect = context.has_spark and is_connect(context.spark)
        self._row_for_row_sinks = frozenset() if connect else row_for_row_sinks
        self._connect = connect
        #: Each sink's own observations of its inputs (Connect), for its latest attempt: sink -> keys.
        self._sink_inputs = RowObservations(f"{context.run_id}-in", observe_rows)
        self._sink_input_keys: dict[str, list[str]] = {}
        self._sink_attempts: dict[str, int] = {}
        #: Steps whose observation lies inside a shared output's cached plan (Connect): rows missing.
        self._in_shared_plan: set[str] = set()
        self._job_group = job_group
        self._job_description = job_description
        self._lock = threading.Lock()
        self._results: dict[str, StepResult] = {}
        #: Outputs counted by the write of their one consumer: producer -> sink.
        self._counted_by_sink: dict[str, str] = {}
        #: Records each finished sink wrote (None: Spark did not report them).
        self._written_records: dict[str, int | None] = {}
        #: Jobs of the run started before a sink's current attempt: not what that attempt wrote.
        self._jobs_before_attempt: dict[str, frozenset[int]] = {}

    def observe(self, step_name: str, output: Any) -> Any:
        """The step's output, its row count taken care of (see the module docstring)."""
        if not self._enabled:
            return output
        if (
            self._kinds.get(step_name) == ComponentKind.SOURCE
            and self._scans is not None
            and self._scans.track(step_name, output)
        ):
            return output
        consumers = self._graph.consumers(step_name)
        if len(consumers) == 1 and consumers[0] in self._row_for_row_sinks:
            with self._lock:
                self._counted_by_sink[step_name] = consumers[0]
            return output
        return self._rows.observe(step_name, output)

    def inputs_for_attempt(self, step_name: str, inputs: Mapping[str, Any]) -> Mapping[str, Any]:
        """A sink's inputs for one attempt; on Connect each observed for this sink and attempt alone.

        The producer's observation may also be run by other consumers' actions (see the module
        docstring); this one is in no plan but the sink's own write.
        """
        if not (self._enabled and self._connect and self._kinds.get(step_name) == ComponentKind.SINK):
            return inputs
        with self._lock:
            attempt = self._sink_attempts[step_name] = self._sink_attempts.get(step_name, 0) + 1
            keys = self._sink_input_keys[step_name] = [f"{step_name}-{attempt}-{u}" for u in inputs]
        return {u: self._sink_inputs.observe(key, df) for key, (u, df) in zip(keys, inputs.items(), strict=True)}

    def output_shared(self, step_name: str) -> None:
        """The executor persists ``step_name``'s output for its consumers, whose actions may run at once."""
        if self._connect:
            with self._lock:
                self._in_shared_plan.update([step_name, *self._ancestors(step_name)])

    def attempt_started(self, step_name: str) -> None:
        """A sink's attempt begins: what it writes is counted from the jobs started after now."""
        if self._kinds.get(step_name) == ComponentKind.SINK and self._context.has_spark:
            jobs = jobs_so_far(self._context.spark, self._job_group)
            with self._lock:
                self._jobs_before_attempt[step_name] = jobs

    def _rows_out(self, name: str, *, executed: bool, final: bool) -> int | None:
        """Rows of a (non-sink) step's output as far as Spark has reported them, or ``None``."""
        with self._lock:
            if name in self._in_shared_plan:
                return None
            sink = self._counted_by_sink.get(name)
            if sink is not None:
                return self._written_records.get(sink)
        if self._scans is not None and self._scans.is_tracked(name):
            return self._scans.rows(name) if executed or final else None
        return self._rows.rows(name, executed=executed)

    def step_succeeded(self, step_name: str, result: StepResult) -> None:
        """Record what is known now; after a sink, everything its write computed."""
        with self._lock:
            self._results[step_name] = result
        if self._kinds.get(step_name) != ComponentKind.SINK:
            self._fill(step_name, executed=False, final=False)
            return
        self._fill_sink(step_name, result)
        for upstream in self._ancestors(step_name):
            self._fill(upstream, executed=True, final=False)

    def finish(self, results: Mapping[str, StepResult]) -> None:
        """Settle every figure at the end of the run; unknown ones become ``None``."""
        with self._lock:
            self._results.update({n: r for n, r in results.items() if r.status.value == "succeeded"})
            names = list(self._results)
        for name in names:
            if self._kinds.get(name) != ComponentKind.SINK:  # a sink's figures were settled when it finished
                self._fill(name, executed=False, final=True)
        for result in results.values():
            _lift_quarantined(result.metrics)

    # -- filling in ----------------------------------------------------------------------------
    def _fill(self, name: str, *, executed: bool, final: bool) -> None:
        result = self._results.get(name)
        if result is None:
            return
        if self._kinds.get(name) != ComponentKind.SINK:
            rows = self._rows_out(name, executed=executed, final=final)
            if rows is not None:
                result.metrics["rows_out"] = rows
                self._context.metrics.record_row_count(f"step.{name}", rows)
            elif final:
                result.metrics.setdefault("rows_out", None)
        if self._graph.inputs[name]:
            rows_in = self._sum_of_inputs(self._graph.inputs[name], executed=executed, final=final)
            if rows_in is not None:
                result.metrics["rows_in"] = rows_in
            elif final:
                result.metrics.setdefault("rows_in", None)

    def _fill_sink(self, name: str, result: StepResult) -> None:
        written = None
        if self._context.has_spark:
            with self._lock:
                earlier = self._jobs_before_attempt.get(name, frozenset())
            written = written_output(
                self._context.spark, self._job_group, self._job_description(name), earlier_jobs=earlier
            )
        with self._lock:
            self._written_records[name] = written.records if written else None
        if self._connect:
            rows_in = self._own_input_rows(name)
        else:
            rows_in = self._sum_of_inputs(self._graph.inputs[name], executed=True)
        rows_written = rows_in if rows_in is not None else (written.records if written else None)
        result.metrics["rows_in"] = rows_in
        result.metrics["rows_written"] = rows_written
        result.metrics["rows_out"] = rows_written  # what the sink put out: its "row count" for hooks
        result.metrics["bytes_written"] = written.bytes if written else None
        self._context.metrics.record_row_count(f"step.{name}", rows_written)

    def _own_input_rows(self, sink: str) -> int | None:
        with self._lock:
            keys = self._sink_input_keys.get(sink)
        if not keys:
            return None
        counts = [self._sink_inputs.rows(key, executed=True) for key in keys]
        return None if any(c is None for c in counts) else sum(counts)  # type: ignore[arg-type]

    def _sum_of_inputs(self, inputs: Sequence[str], *, executed: bool, final: bool = False) -> int | None:
        counts = [self._rows_out(u, executed=executed, final=final) for u in inputs]
        return None if any(c is None for c in counts) else sum(counts)  # type: ignore[arg-type]

    def _ancestors(self, name: str) -> list[str]:
        seen: list[str] = []
        stack = list(self._graph.inputs[name])
        while stack:
            step = stack.pop()
            if step not in seen:
                seen.append(step)
                stack.extend(self._graph.inputs[step])
        return seen


def _lift_quarantined(metrics: dict[str, Any]) -> None:
    """A validator's quarantined rows (inside its ``data_quality`` report) as ``rows_quarantined``."""
    report = metrics.get("data_quality")
    if isinstance(report, dict) and not report.get("pending") and report.get("rows_quarantined") is not None:
        metrics.setdefault("rows_quarantined", report["rows_quarantined"])
