"""Running a streaming pipeline: the stream defined once, every micro-batch an ordinary batch pipeline.

The steps on the stream (see :mod:`pyspark_pipeline_framework.core.streaming`) are built once;
each query then hands its micro-batches (Spark's ``foreachBatch``) to a :class:`PipelineExecutor`
of the per-batch steps, in which the on-stream step appears as a source of that batch's rows.  So
retries, dead letters, data-quality checks and merges work per micro-batch exactly as in a batch
run; sinks see ``context.micro_batch`` and make their writes idempotent with its batch id.

Stopping (signals: :mod:`.signals`): the first SIGTERM or SIGINT (when the caller lets the run
handle signals, as ``ppf run`` does) lets the micro-batch in progress finish and commit, then stops
every query; the run ends as ``stopped`` with exit code 0.  A second signal, or
``streaming.stop_timeout`` passing first, cancels the run: Spark's jobs are cancelled, the run is
recorded as ``cancelled`` and the process ends by the signal.
A micro-batch that did not commit is processed again when the pipeline is restarted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from pyspark_pipeline_framework.core.component import Component, Source, SourceConfig
from pyspark_pipeline_framework.core.dag import PipelineGraph
from pyspark_pipeline_framework.core.dead_letters import CORRUPT_RECORD_COLUMN
from pyspark_pipeline_framework.core.durations import parse_duration
from pyspark_pipeline_framework.core.errors import PpfError, error_message, error_text
from pyspark_pipeline_framework.core.masking import secret_masker
from pyspark_pipeline_framework.core.pipeline import ResolvedPipeline, ResolvedStep
from pyspark_pipeline_framework.core.results import SUMMARY_METRICS, RunResult, StepResult, StepStatus
from pyspark_pipeline_framework.core.secrets import Secrets
from pyspark_pipeline_framework.core.streaming import MicroBatch, StreamingPlan, StreamQuery
from pyspark_pipeline_framework.runtime.resilience.circuit_breaker import BreakerBoard
from pyspark_pipeline_framework.runtime.resilience.dead_letter import DeadLetterQueue
from pyspark_pipeline_framework.runtime.run.context import RunContext
from pyspark_pipeline_framework.runtime.run.executor import PipelineExecutor
from pyspark_pipeline_framework.runtime.run.signals import StopSignals
from pyspark_pipeline_framework.spark.connect import cancel_jobs, is_connect

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.streaming import StreamingQuery

    from pyspark_pipeline_framework.core.plugins import PluginManager
    from pyspark_pipeline_framework.runtime.resilience.ledger import RunRecorder

#: Figures of a step summed over its micro-batches.
_SUMMED = (*SUMMARY_METRICS, "dead_letter_rows")
#: How often the run looks at its queries (progress, termination, signals); no Spark job.
_POLL_S = 0.25


class MicroBatchFailed(PpfError):
    """A step failed for good in a micro-batch; the batch was not committed and is processed again on restart."""


class StopRequested(PpfError):
    """A micro-batch that started after a stop was requested: not processed now, but on restart."""


class MicroBatchInputConfig(SourceConfig):
    #: The micro-batch's rows.
    frame: Any


class MicroBatchInput(Source[MicroBatchInputConfig]):
    """The rows of one micro-batch, standing in for the on-stream step that produced them.

    Rows that step marked unparsable (their raw text in ``_corrupt_record``) go to its dead-letter
    sink here, once per micro-batch, as a batch file source sends them.
    """

    produces_dead_letters = True
    _dead: dict[str, Any] | None = None
    _kept: DataFrame | None = None

    def read(self) -> DataFrame:
        from pyspark.sql import functions as F

        rows = self.config.frame
        dead_letters = self.context.dead_letters
        if CORRUPT_RECORD_COLUMN not in rows.columns:
            return rows
        if dead_letters is None or not dead_letters.configured(self.step_name):
            return rows.drop(CORRUPT_RECORD_COLUMN)
        # Read twice (dead rows now, good rows downstream): kept so the source is asked once.
        self._kept = rows = rows.persist()
        corrupt = F.col(CORRUPT_RECORD_COLUMN).isNotNull()
        self._dead = dead_letters.send(
            self.step_name, rows.filter(corrupt), error="unparsable record", failed_rules=["parse"]
        )
        return rows.filter(~corrupt).drop(CORRUPT_RECORD_COLUMN)

    def release(self) -> None:
        if self._kept is not None:
            self._kept.unpersist()
            self._kept = None

    def step_metrics(self, final: bool = False) -> dict[str, Any]:
        return dict(self._dead or {})


@attrs.define
class _QueryState:
    query: StreamQuery
    template: ResolvedPipeline
    handle: StreamingQuery | None = None
    last_reported: int = -1
    finished_batches: int = 0
    last_finished: int = -1
    failure: BaseException | None = None
    results: dict[int, RunResult] = attrs.field(factory=dict)


class StreamingRun:
    """Runs one validated streaming pipeline until its queries end, fail or are stopped."""

    def __init__(
        self,
        pipeline: ResolvedPipeline,
        plan: StreamingPlan,
        context: RunContext,
        plugins: PluginManager,
        *,
        recorder: RunRecorder | None = None,
        breakers: BreakerBoard | None = None,
        signals: StopSignals | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.pipeline = pipeline
        self.spec = pipeline.spec
        self.plan = plan
        self.context = context
        self.plugins = plugins
        self._recorder = recorder
        self._breakers = breakers or BreakerBoard()
        self._clock = clock
        self._log = context.logger
        #: Installed by the caller (``run_pipeline(handle_signals=True)``); without it only the queries' own end stops the run.
        self._signals = signals or StopSignals(clock)
        self._lock = threading.Condition()
        self._in_progress = 0
        self._stopped = False
        if context.secrets is None:
            context.secrets = Secrets.from_plugins(plugins)
        if context.dead_letters is None:
            context.dead_letters = DeadLetterQueue(pipeline.dead_letters, context)
        context.step_kinds = {name: step.component_class.kind for name, step in pipeline.steps.items()}
        self._states = [_QueryState(query, self._per_batch_pipeline(query)) for query in plan.queries]

    def _notify(self, hook: str, **kwargs: Any) -> None:
        self.plugins.notify_logging_failures(hook, self._log, **kwargs)

    # -- the run -----------------------------------------------------------------------------
    def run(self) -> RunResult:
        started = self._clock()
        order = self.pipeline.graph.topological_order()
        self._results = {name: StepResult(name) for name in order}
        self._notify("pipeline_start", pipeline_name=self.spec.name, pipeline=self.spec, context=self.context)
        self._log.info(
            "streaming_started",
            queries=[q.name for q in self.plan.queries],
            trigger=self.spec.streaming.trigger or "default",
        )
        try:
            if self._signals.requested.is_set():  # asked to stop while the session started
                self._stopped = True
                self._log.warning("streaming_stopped", batches={})
            else:
                outputs = self._define_streams(order)
                if outputs is not None and self._start_queries(outputs):
                    self._wait()
        finally:
            self._settle(order)
            result = RunResult(
                self.context.run_id,
                self.spec.name,
                [self._results[n] for n in order],
                round(self._clock() - started, 3),
                stopped=self._stopped,
            )
            self._log.info(
                "pipeline_finished",
                succeeded=result.succeeded,
                stopped=result.stopped,
                exit_code=int(result.exit_code),
                duration_s=result.duration_s,
                batches={s.query.name: s.finished_batches for s in self._states},
            )
            if self._recorder is not None:
                self._recorder.finished(result)
            self._notify(
                "pipeline_end", pipeline_name=self.spec.name, pipeline=self.spec, context=self.context, result=result
            )
        return result

    # -- the stream --------------------------------------------------------------------------
    def _define_streams(self, order: list[str]) -> dict[str, Any] | None:
        """Build the on-stream steps (and the static steps they join) once; ``None`` when one fails."""
        graph = self.pipeline.graph
        wanted = {name for name in order if self.plan.on_stream(name)}
        stack = list(wanted)
        while stack:
            for upstream in graph.inputs[stack.pop()]:
                if upstream not in wanted:
                    wanted.add(upstream)
                    stack.append(upstream)
        outputs: dict[str, Any] = {}
        for name in order:
            if name not in wanted:
                continue
            result = self._results[name]
            result.attempts = 1
            started = self._clock()
            try:
                component = self._component(name)
                inputs = {upstream: outputs[upstream] for upstream in graph.inputs[name]}
                if component.kind == "source":
                    outputs[name] = component.read()  # type: ignore[attr-defined]
                else:
                    outputs[name] = component.transform_inputs(inputs)  # type: ignore[attr-defined]
            except Exception as error:
                where = "on the stream" if self.plan.on_stream(name) else "for the stream"
                self._step_failed(name, error, f"step {name!r} ({where}): {error_text(error)}")
                return None
            result.duration_s = round(self._clock() - started, 3)
            result.status = StepStatus.SUCCEEDED
        return outputs

    def _component(self, name: str, context: Any = None) -> Component:
        resolved = self.pipeline.steps[name]
        context = context or self.context
        config = context.secrets.resolve_all(resolved.config, self.pipeline.config_path(name))
        return resolved.component_class(config, context, context.logger.bind(step=name), step_name=name)

    def _start_queries(self, outputs: Mapping[str, Any]) -> bool:
        for state in self._states:
            query = state.query
            try:
                writer = outputs[query.step].writeStream.queryName(query.name).foreachBatch(self._batch_function(state))
                if query.checkpoint is not None:
                    writer = writer.option("checkpointLocation", query.checkpoint)
                state.handle = _with_trigger(writer, self.spec.streaming.trigger).start()
            except Exception as error:
                self._step_failed(
                    query.step,
                    error,
                    f"step {query.step!r}: Spark cannot run the stream up to this step: {error_text(error)}",
                )
                self._stop_all()
                return False
            self._log.info("query_started", query=query.name, checkpoint=query.checkpoint, id=str(state.handle.id))
        return True

    def _step_failed(self, name: str, error: BaseException, message: str) -> None:
        result = self._results[name]
        result.status = StepStatus.FAILED
        # Masked here, as the batch executor masks its steps' errors: hooks and the ledger get this text.
        result.error = secret_masker().mask(message)
        self._log.error("step_failed", step=name, error=result.error)
        self._notify("on_step_error", step_name=name, step=self.spec.step(name), context=self.context, error=error)

    # -- micro-batches -----------------------------------------------------------------------
    def _per_batch_pipeline(self, query: StreamQuery) -> ResolvedPipeline:
        """The batch pipeline each micro-batch runs: the query's step becomes a source of the batch's rows."""
        graph = self.pipeline.graph
        names = (query.step, *query.batch_steps)
        steps = {name: self.pipeline.steps[name] for name in query.batch_steps}
        steps[query.step] = ResolvedStep(query.step, MicroBatchInput, MicroBatchInputConfig(frame=None))
        spec_steps = [
            attrs.evolve(
                step,
                type="micro-batch input",
                config={},
                inputs=[],
                retry=None,
                circuit_breaker=None,
                on_failure="fail",
                on_stream=False,
            )
            if step.name == query.step
            else step
            for step in self.spec.steps
            if step.name in names
        ]
        inputs = {name: () if name == query.step else graph.inputs[name] for name in names}
        kinds = {name: steps[name].component_class.kind for name in names}
        sub_graph = PipelineGraph(tuple(s.name for s in spec_steps), inputs, kinds)
        return ResolvedPipeline(
            attrs.evolve(self.spec, steps=spec_steps),
            sub_graph,
            steps,
            self.pipeline.config_file,
            self.pipeline.dead_letters,
        )

    def _batch_function(self, state: _QueryState) -> Callable[[DataFrame, int], None]:
        def process(frame: DataFrame, batch_id: int) -> None:
            self._process_batch(state, frame, batch_id)

        return process

    def _process_batch(self, state: _QueryState, frame: DataFrame, batch_id: int) -> None:
        if self._signals.requested.is_set():
            raise StopRequested(f"micro-batch {batch_id} of {state.query.name} started after the stop was requested")
        with self._lock:
            self._in_progress += 1
        try:
            result = self._run_batch(state, frame, batch_id)
        finally:
            with self._lock:
                self._in_progress -= 1
                self._lock.notify_all()
        if not (result.succeeded or result.partial):
            failed = [s for s in result.steps if s.failed_for_good]
            detail = "; ".join(f"step {s.name!r}: {s.error}" for s in failed) or "a step did not run"
            error = MicroBatchFailed(
                f"micro-batch {batch_id} of query {state.query.name} failed ({detail}); it was "
                "not committed and runs again when the pipeline is restarted"
            )
            state.failure = error
            raise error
        with self._lock:
            state.finished_batches += 1
            state.last_finished = batch_id

    def _run_batch(self, state: _QueryState, frame: DataFrame, batch_id: int) -> RunResult:
        query = state.query
        context = RunContext(
            self.context.run,
            self.spec,
            spark_factory=lambda: frame.sparkSession,
            metrics=self.context.metrics,
            secrets=self.context.secrets,
            logger=self._log.bind(query=query.name, batch_id=batch_id),
        )
        context.micro_batch = MicroBatch(query.name, batch_id)
        template = state.template
        steps = dict(template.steps)
        steps[query.step] = attrs.evolve(steps[query.step], config=MicroBatchInputConfig(frame=frame))
        pipeline = attrs.evolve(template, steps=steps)
        result = PipelineExecutor(pipeline, context, self.plugins, breakers=self._breakers, pipeline_hooks=False).run()
        with self._lock:
            state.results[batch_id] = result
            self._add_up(result)
        return result

    def _add_up(self, batch: RunResult) -> None:
        """A micro-batch's step results, added to the steps' results of the whole run."""
        for step in batch.steps:
            total = self._results[step.name]
            total.attempts += step.attempts
            total.duration_s = round(total.duration_s + step.duration_s, 3)
            for key in _SUMMED:
                value = step.metrics.get(key)
                if isinstance(value, (int, float)):
                    total.metrics[key] = total.metrics.get(key, 0) + value
            if step.status is StepStatus.FAILED and total.status is not StepStatus.FAILED:
                total.status, total.error, total.tolerated = StepStatus.FAILED, step.error, step.tolerated
                total.reason = step.reason
            elif step.status is StepStatus.SKIPPED and total.status is StepStatus.NOT_RUN:
                total.status, total.reason = StepStatus.SKIPPED, step.reason

    # -- waiting, progress, stopping ---------------------------------------------------------
    def _wait(self) -> None:
        try:
            self._wait_until_ended()
        except Exception as error:
            if not self._signals.requested.is_set():
                raise
            # A signal sent to every process of the service (systemd) stops Spark's JVM too: no
            # batch can finish, and what was not committed runs again on restart.
            reason = error_text(error).splitlines()[0][:200]
            self._cancel(
                f"Spark stopped with the signal, before the run could stop gracefully ({reason}); the batch "
                "in progress was not committed and runs again on restart. Send the signal to ppf alone "
                "(under systemd: KillMode=mixed) to let it finish the batch"
            )

    def _wait_until_ended(self) -> None:
        signals = self._signals
        while True:
            self._report_progress()
            if signals.requested.is_set():
                self._stop_gracefully()
                break
            if any(s.handle is not None and not s.handle.isActive for s in self._states):
                self._terminated()
                if self._failed_state() is not None or all(
                    s.handle is None or not s.handle.isActive for s in self._states
                ):
                    break
            signals.requested.wait(_POLL_S)
        self._report_progress()

    def _failed_state(self) -> _QueryState | None:
        return next((s for s in self._states if s.failure is not None), None)

    def _terminated(self) -> None:
        """Note why a query ended; a failure stops the other queries."""
        for state in self._states:
            if state.handle is None or state.handle.isActive or state.failure is not None:
                continue
            error = state.handle.exception()
            if error is None:
                self._log.info("query_finished", query=state.query.name, batches=state.finished_batches)
                continue
            if self._signals.requested.is_set() and "StopRequested" in error_message(error):
                continue
            state.failure = error
            if not any(self._results[n].status is StepStatus.FAILED for n in state.query.batch_steps):
                self._step_failed(state.query.step, error, f"query {state.query.name} failed: {error_message(error)}")
            first_line = secret_masker().mask(error_message(error)).splitlines()[0][:500]  # masked whole, then cut
            self._log.error("query_failed", query=state.query.name, error=first_line)
        if self._failed_state() is not None:
            self._stop_all()

    def _stop_gracefully(self) -> None:
        signals = self._signals
        timeout = self.spec.streaming.stop_timeout
        deadline = (signals.requested_at or self._clock()) + timeout
        signals.stopping = True
        self._log.warning(
            "stop_requested",
            signal=signals.signal_name,
            stop_timeout_s=timeout,
            batches_in_progress=self._in_progress,
        )
        with self._lock:
            while self._in_progress and not signals.cancel and self._clock() < deadline:
                self._lock.wait(min(_POLL_S, max(0.0, deadline - self._clock())))
        if signals.cancel or self._in_progress:
            self._cancel("a second signal arrived" if signals.cancel else f"stop_timeout ({timeout}s) passed")
            return
        # A finished batch commits right after its function returns: wait for Spark's progress to show it.
        for state in self._states:
            while (
                state.handle is not None
                and state.handle.isActive
                and state.last_finished >= 0
                and _last_batch_id(state.handle) < state.last_finished
                and self._clock() < deadline
                and not signals.cancel
            ):
                time.sleep(0.05)
        self._stop_all()
        self._stopped = True
        self._log.warning("streaming_stopped", batches={s.query.name: s.last_finished for s in self._states})

    def _cancel(self, why: str) -> None:
        """Spark's jobs are cancelled, the run recorded as cancelled, then the process ends by the signal."""
        self._log.error("streaming_cancelled", reason=why)
        spark = self.context.spark
        try:
            if is_connect(spark):
                cancel_jobs(spark)
            else:
                spark.sparkContext.cancelAllJobs()
        except Exception:  # the JVM or the Connect server is gone: the process ends anyway
            pass
        if self._recorder is not None:
            self._recorder.cancelled(why)
        self._signals.end_process()

    def _stop_all(self) -> None:
        for state in self._states:
            if state.handle is not None and state.handle.isActive:
                try:
                    state.handle.stop()
                except Exception as error:
                    self._log.warning(
                        "query_stop_failed", query=state.query.name, error=secret_masker().mask_error(error)[:300]
                    )

    def _report_progress(self) -> None:
        """Committed micro-batches from Spark's own progress reports, to the hooks and the run ledger."""
        for state in self._states:
            with self._lock:
                pending = sorted(state.results)
            if state.handle is None or not pending:
                continue  # nothing finished since the last look: no call into Spark at all
            last = state.handle.lastProgress
            # Usually the last report is the one batch that finished; after a slow poll, look further back.
            reports = [last] if last is not None and [last.batchId] == pending else state.handle.recentProgress
            for progress in reports:
                batch_id = progress.batchId
                with self._lock:
                    result = state.results.pop(batch_id, None) if batch_id > state.last_reported else None
                if result is None:
                    continue  # an idle report, or reported already
                state.last_reported = batch_id
                figures = micro_batch_figures(state.query, progress, result)
                if self._recorder is not None:
                    self._recorder.micro_batch_committed(state.query.name, state.query.checkpoint, figures)
                self._log.info("micro_batch_committed", **figures)
                self._notify(
                    "after_micro_batch",
                    query_name=state.query.name,
                    batch_id=batch_id,
                    figures=figures,
                    context=self.context,
                    result=result,
                )

    def _settle(self, order: list[str]) -> None:
        """Steps that ran in no failed batch succeeded; those never reached did not run."""
        ran = {name for state in self._states for name in (state.query.step, *state.query.batch_steps)}
        failed = any(r.failed_for_good for r in self._results.values())
        for name in order:
            result = self._results[name]
            if result.status is not StepStatus.NOT_RUN:
                continue
            if name in ran and not failed:
                result.status = StepStatus.SUCCEEDED
                batches = sum(s.finished_batches for s in self._states if name in (s.query.step, *s.query.batch_steps))
                result.reason = f"ran in {batches} micro-batch(es)"
            elif failed:
                result.reason = "the stream failed"


def micro_batch_figures(query: StreamQuery, progress: Any, result: RunResult) -> dict[str, Any]:
    """One committed micro-batch in figures: Spark's progress report and the batch's step results."""
    sinks = [s for s in result.steps if s.metrics.get("rows_written") is not None]
    behind = []
    for source in progress.sources or []:
        metrics = source.metrics or {}
        if metrics.get("maxOffsetsBehindLatest") is not None:
            behind.append(int(float(metrics["maxOffsetsBehindLatest"])))
    return {
        "query": query.name,
        "batch_id": progress.batchId,
        "rows_in": progress.numInputRows,
        "rows_written": sum(s.metrics["rows_written"] for s in sinks) if sinks else None,
        "dead_letter_rows": sum(s.metrics.get("dead_letter_rows", 0) for s in result.steps),
        "duration_s": round(progress.batchDuration / 1000, 3),
        "input_rows_per_s": round(progress.inputRowsPerSecond, 1),
        "processed_rows_per_s": round(progress.processedRowsPerSecond, 1),
        "offsets_behind_latest": max(behind) if behind else None,
        "succeeded": result.succeeded,
    }


def _last_batch_id(handle: StreamingQuery) -> int:
    progress = handle.lastProgress
    return progress.batchId if progress is not None else -1


def _with_trigger(writer: Any, trigger: str | None) -> Any:
    if trigger is None:
        return writer
    if trigger == "available_now":
        return writer.trigger(availableNow=True)
    if trigger == "once":
        return writer.trigger(once=True)
    return writer.trigger(processingTime=f"{parse_duration(trigger)} seconds")
