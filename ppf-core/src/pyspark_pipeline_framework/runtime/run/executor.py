"""Executing a validated pipeline: steps in dependency order, independent branches in parallel.

A producer read by several steps is persisted so that Spark computes it once, and unpersisted
when its last consumer is done; an isolated step (:mod:`.isolation`) computes and persists its
output within its own attempt.  A failed step (after its retries) stops only what depends on it.

A stop request (SIGTERM, SIGINT; see :mod:`.signals`) cancels the run: the run's Spark jobs (its
job group) are cancelled, a cancelled attempt is not retried, no further step starts, and the
run ends as ``cancelled`` once its running steps have given up (a staged write removes its
staging directory as it fails); hooks see the end of the run as usual.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any, cast

from pyspark_pipeline_framework.core.component import Component, ComponentKind, Sink
from pyspark_pipeline_framework.core.errors import DataQualityError, RunCancelled, error_text
from pyspark_pipeline_framework.core.masking import secret_masker
from pyspark_pipeline_framework.core.plugins import PluginManager
from pyspark_pipeline_framework.core.results import RunResult, StepResult, StepStatus
from pyspark_pipeline_framework.core.secrets import Secrets
from pyspark_pipeline_framework.core.spec import RetryPolicy, StepSpec
from pyspark_pipeline_framework.runtime.figures.step_metrics import StepMetrics
from pyspark_pipeline_framework.runtime.resilience.circuit_breaker import BreakerBoard
from pyspark_pipeline_framework.runtime.resilience.dead_letter import DeadLetterQueue
from pyspark_pipeline_framework.runtime.resilience.ledger import ResumePlan, RunRecorder
from pyspark_pipeline_framework.runtime.resilience.retry import call_with_retries
from pyspark_pipeline_framework.runtime.run.context import RunContext
from pyspark_pipeline_framework.runtime.run.failures import describe_failure
from pyspark_pipeline_framework.runtime.run.isolation import compute_within_step, isolated
from pyspark_pipeline_framework.runtime.run.lookahead import Lookahead
from pyspark_pipeline_framework.runtime.run.signals import StopSignals
from pyspark_pipeline_framework.runtime.run.summary import log_step_summaries
from pyspark_pipeline_framework.spark._jvm import only_fatal_spark_logs
from pyspark_pipeline_framework.spark.connect import analyze_now, cancel_jobs, is_connect, tag_jobs
from pyspark_pipeline_framework.spark.jobs import job_group

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from pyspark_pipeline_framework.core.pipeline import ResolvedPipeline

_NO_RETRY = RetryPolicy(max_attempts=1)
#: How often the scheduler looks for a stop request while steps run; no Spark job.
_POLL_S = 0.25


class PipelineExecutor:
    """Runs one validated pipeline once."""

    def __init__(
        self,
        pipeline: ResolvedPipeline,
        context: RunContext,
        plugins: PluginManager,
        *,
        breakers: BreakerBoard | None = None,
        recorder: RunRecorder | None = None,
        resume: ResumePlan | None = None,
        pipeline_hooks: bool = True,
        signals: StopSignals | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.pipeline = pipeline
        #: Whether ``pipeline_start`` / ``pipeline_end`` are called (not for each micro-batch of a stream).
        self._pipeline_hooks = pipeline_hooks
        self.spec = pipeline.spec
        self.graph = pipeline.graph
        self.context = context
        self.plugins = plugins
        if context.secrets is None:
            context.secrets = Secrets.from_plugins(plugins)
        if context.dead_letters is None:
            context.dead_letters = DeadLetterQueue(getattr(pipeline, "dead_letters", {}), context)
        self.breakers = breakers or BreakerBoard()
        self._clock = clock
        #: Stop requests (installed by the caller); without it the run is never cancelled.
        self._signals = signals or StopSignals(clock)
        self._cancelling = False
        self._outputs: dict[str, DataFrame | None] = {}
        self._log = context.logger
        self._persisted: set[str] = set()
        #: Outputs of isolated steps, persisted within their step; unpersisted like shared ones.
        self._materialized: dict[str, DataFrame] = {}
        #: Components whose output is still read downstream: released (``release()``) after that.
        self._holding: dict[str, Component] = {}
        self._recorder = recorder
        self._resume = resume
        #: Components that report their own figures (``step_metrics(final)``), read again at the end.
        self._reporting: dict[str, tuple[Any, StepResult]] = {}
        self._checkpoints: dict[str, str] = {}
        #: Dead letters each step committed, by step name (a resume must not write them twice).
        self._dead_letters_written: dict[str, int] = {}
        #: Full (masked) tracebacks of failed steps, for the ledger.
        self._tracebacks: dict[str, str] = {}
        #: Components prepared ahead (``prepare()``); started with the run, none before it.
        self._lookahead = Lookahead((), self._prepared_component, self._log)
        context.step_kinds = {name: step.component_class.kind for name, step in pipeline.steps.items()}
        #: Steps whose output is computed (and persisted) within the step: see :mod:`.isolation`.
        self._isolated = frozenset(
            name for name, step in pipeline.steps.items() if isolated(self.spec.step(name), step.component_class.kind)
        )
        self._step_metrics = StepMetrics(
            context,
            self.graph,
            context.step_kinds,
            observe_rows=self.spec.observe_rows,
            job_group=job_group(context.run_id),
            job_description=self._job_description,
            row_for_row_sinks=frozenset(
                name
                for name, step in pipeline.steps.items()
                if step.component_class.kind == ComponentKind.SINK
                and cast("type[Sink]", step.component_class).written_records_are_input_rows(step.config)
            ),
        )

    # -- hooks -------------------------------------------------------------------------------
    def _notify(self, hook: str, **kwargs: Any) -> None:
        self.plugins.notify_logging_failures(hook, self._log, **kwargs)

    # -- the run -----------------------------------------------------------------------------
    def run(self) -> RunResult:
        started = self._clock()
        order = self.graph.topological_order()
        results = {name: StepResult(name) for name in order}
        if self._pipeline_hooks:
            self._notify("pipeline_start", pipeline_name=self.spec.name, pipeline=self.spec, context=self.context)
        self._log.info("pipeline_started", steps=len(order))
        self._lookahead = Lookahead(self._preparable(order), self._prepared_component, self._log)
        try:
            self._schedule(order, results)
        finally:
            self._lookahead.close()
            self._final_component_metrics()
            self._step_metrics.finish(results)  # row counts of lazy outputs are final only now
            log_step_summaries(self._log, [results[n] for n in order])
            self._release_all()
            # A stop that came once every step had completed cancelled nothing: the run succeeded.
            cancelled = self._signals.requested.is_set() and any(
                r.status is not StepStatus.SUCCEEDED for r in results.values()
            )
            run_result = RunResult(
                self.context.run_id,
                self.spec.name,
                [results[n] for n in order],
                round(self._clock() - started, 3),
                cancelled_by=self._signals.signal_number if cancelled else None,
                cancel_cause=self._signals.cause if cancelled else None,
            )
            self._log.info(
                "pipeline_finished",
                status=run_result.status,
                succeeded=run_result.succeeded,
                partial=run_result.partial,
                exit_code=int(run_result.exit_code),
                duration_s=run_result.duration_s,
                failed=run_result.by_status(StepStatus.FAILED),
                skipped=run_result.by_status(StepStatus.SKIPPED),
                not_run=run_result.by_status(StepStatus.NOT_RUN),
                cancelled=run_result.by_status(StepStatus.CANCELLED),
            )
            if self._recorder is not None:
                self._recorder.finished(run_result)
            if self._pipeline_hooks:
                self._notify(
                    "pipeline_end",
                    pipeline_name=self.spec.name,
                    pipeline=self.spec,
                    context=self.context,
                    result=run_result,
                )
        return run_result

    def _schedule(self, order: list[str], results: dict[str, StepResult]) -> None:
        pending = list(order)
        remaining_consumers = {name: len(self.graph.consumers(name)) for name in order}
        running: dict[Future, str] = {}
        settled: set[str] = set()  # steps whose status is final
        with ThreadPoolExecutor(max_workers=self.spec.max_parallel_steps, thread_name_prefix="ppf-step") as pool:
            try:
                self._run_steps(pool, pending, running, settled, remaining_consumers, results)
            except BaseException as error:
                # Raised into the run's thread (a scheduler's timeout, Ctrl-C where ppf does not handle
                # signals): the run is cancelled in order, as on a stop request, then the error goes on.
                interrupted_by = signal.SIGINT if isinstance(error, KeyboardInterrupt) else None
                self._signals.interrupt(type(error).__name__, interrupted_by)
                while pending or running:
                    self._cancel(pending, running.values(), results, settled)
                    done, _ = wait(running, timeout=_POLL_S, return_when=FIRST_COMPLETED)
                    for future in done:
                        settled.add(running.pop(future))
                raise

    def _run_steps(
        self,
        pool: ThreadPoolExecutor,
        pending: list[str],
        running: dict[Future, str],
        settled: set[str],
        remaining_consumers: dict[str, int],
        results: dict[str, StepResult],
    ) -> None:
        """Start each step once its inputs exist, until every step has settled."""
        while pending or running:
            if self._signals.requested.is_set():
                self._cancel(pending, running.values(), results, settled)
            for name in list(pending):
                upstream = [results[u] for u in self.graph.inputs[name] if u in settled]
                all_settled = len(upstream) == len(self.graph.inputs[name])
                if any(u.failed_for_good or u.status is StepStatus.NOT_RUN for u in upstream):
                    pending.remove(name)  # its inputs will never exist
                    settled.add(name)
                    self._not_run(results[name], StepStatus.NOT_RUN, "an upstream step failed")
                elif all_settled and any(u.status is StepStatus.SKIPPED for u in upstream):
                    pending.remove(name)
                    settled.add(name)
                    self._not_run(results[name], StepStatus.SKIPPED, "an upstream step was skipped")
                elif all_settled and len(running) < self.spec.max_parallel_steps:
                    pending.remove(name)
                    running[pool.submit(self._run_step, name, results[name])] = name
            if not running:
                continue
            done, _ = wait(running, timeout=_POLL_S, return_when=FIRST_COMPLETED)
            for future in done:
                name = running.pop(future)
                settled.add(name)
                future.result()  # _run_step records failures itself; this surfaces bugs only
                for producer in self.graph.inputs[name]:
                    remaining_consumers[producer] -= 1
                    if remaining_consumers[producer] == 0:
                        self._release(producer)

    def _cancel(
        self, pending: list[str], running: Iterable[str], results: dict[str, StepResult], settled: set[str]
    ) -> None:
        """The run was asked to stop: no pending step starts, the running steps' Spark jobs are cancelled."""
        running = list(running)
        first = not self._cancelling
        self._cancelling = True
        if first:
            self._log.warning("run_cancelling", cause=self._signals.cause, running=sorted(running), not_started=pending)
        for name in pending:
            settled.add(name)
            self._not_run(results[name], StepStatus.NOT_RUN, f"the run was cancelled ({self._signals.cause})")
        pending.clear()
        if running:
            # Looked at on every poll: a running step may start a job after the previous cancellation.
            self._cancel_spark_jobs(first)

    def _cancel_spark_jobs(self, first: bool) -> None:
        """Cancel the run's active Spark jobs (none: no call, and no warning from Spark's scheduler)."""
        if not self.context.has_spark:
            return
        spark = self.context.spark
        group = job_group(self.context.run_id)
        if is_connect(spark):  # the server interrupts the run's operations (a no-op when none runs)
            try:
                cancel_jobs(spark, group)
            except Exception as error:  # the server or the connection is gone: nothing left to cancel
                self._log.warning("spark_jobs_not_cancelled", error=error_text(error).splitlines()[0][:300])
            return
        try:
            sc = spark.sparkContext
        except Exception:  # a stand-in session without a SparkContext (the engine's unit tests)
            return
        try:
            if first:
                # What Spark logs from now on is about the jobs being cancelled (a writer aborting with
                # its Java stack, killed tasks): not for the console of a run that is ending on request.
                only_fatal_spark_logs(self.context.spark)
            tracker = sc.statusTracker()
            if set(tracker.getJobIdsForGroup(group)) & set(tracker.getActiveJobsIds()):
                sc.cancelJobGroup(group)
        except Exception as error:  # the JVM is gone already (it got the signal too): nothing left to cancel
            self._log.warning("spark_jobs_not_cancelled", error=error_text(error).splitlines()[0][:300])

    def _not_run(self, result: StepResult, status: StepStatus, reason: str) -> None:
        result.status = status
        result.reason = reason
        self._log.warning(
            "step_not_run" if status is StepStatus.NOT_RUN else "step_skipped", step=result.name, reason=reason
        )

    def _run_step(self, name: str, result: StepResult) -> None:
        if self._resume is not None and name not in self._resume.rerun:
            self._reuse(name, result)
            return
        self._run_component(name, result)
        if self._recorder is not None:
            self._recorder.step_ended(
                result,
                checkpoint=self._checkpoints.get(name),
                traceback=self._tracebacks.get(name),
                dead_letters_written=self._dead_letters_written.get(name, 0),
            )

    def _reuse(self, name: str, result: StepResult) -> None:
        """A step that completed in the run being resumed: not run again; its checkpoint is read if needed."""
        assert self._resume is not None
        location = self._resume.reuse_outputs.get(name)
        self._outputs[name] = self.context.spark.read.parquet(location) if location else None
        result.status = StepStatus.SUCCEEDED
        result.reason = f"completed in run {self._resume.resumed_from}; not run again"
        self._log.info("step_reused", step=name, resumed_from=self._resume.resumed_from, checkpoint=location)
        if self._recorder is not None:
            self._recorder.step_ended(result, checkpoint=location, reused_from=self._resume.resumed_from)

    def _checkpoint(self, name: str, step: StepSpec, output: Any) -> Any:
        """Write a resumable run's step output under the ledger and read it back from there."""
        wanted = step.checkpoint if step.checkpoint is not None else self.spec.checkpoint
        if not wanted or self._recorder is None or not hasattr(output, "write") or getattr(output, "isStreaming", True):
            return output
        location = str(self._recorder.ledger.checkpoint_dir(self.context.run_id, name))
        output.write.mode("overwrite").parquet(location)
        self._checkpoints[name] = location
        return self.context.spark.read.parquet(location)

    def _run_component(self, name: str, result: StepResult) -> None:
        step = self.spec.step(name)
        resolved = self.pipeline.steps[name]
        log = self._log.bind(step=name)
        inputs = {upstream: self._outputs[upstream] for upstream in self.graph.inputs[name]}
        self._tag_spark_jobs(name)
        self._notify("before_step", step_name=name, step=step, context=self.context)
        log.info("step_started", type=step.type, kind=resolved.component_class.kind)
        started = self._clock()
        built: list[Component] = []
        prepared = self._lookahead.take(name)
        if prepared is not None:
            built.append(prepared)

        def component_for_attempt() -> Component:
            # Built within the attempts: a secret store that is down now is tried again by the retry policy.
            if not built:
                built.append(self._component(name, log))
            return built[0]

        try:
            output = self._attempts(step, component_for_attempt, inputs, result, log)
            component = built[0]
        except BaseException as error:
            result.duration_s = round(self._clock() - started, 3)
            if self._signals.requested.is_set() and isinstance(error, Exception):
                self._step_cancelled(step, result, error, log)
                return
            result.status = StepStatus.FAILED
            failure = describe_failure(error)
            masker = secret_masker()
            # Masked here, so hooks, the ledger and the audit log all get the masked text.
            result.error = masker.mask(failure.summary)
            self._tracebacks[name] = masker.mask(failure.traceback)
            log.error(
                "step_failed",
                attempts=result.attempts,
                duration_s=result.duration_s,
                error=result.error,
                on_failure=step.on_failure,
                **({"user_frames": [masker.mask(f) for f in failure.user_frames]} if failure.user_frames else {}),
            )
            log.debug(
                "step_failure_detail",
                traceback=self._tracebacks[name],
                **({"java_stack": masker.mask(failure.java_stack)} if failure.java_stack else {}),
            )
            self._notify("on_step_error", step_name=name, step=step, context=self.context, error=error)
            if isinstance(error, DataQualityError):
                result.metrics.update(error.metrics)
            if not isinstance(error, Exception):
                raise
            self._tolerate(step, result, inputs, log)
            return
        if component.kind == ComponentKind.SINK:
            written = next(iter(inputs.values()), None)
            self._outputs[name] = None
        else:
            written = output = self._step_metrics.observe(name, output)
            self._outputs[name] = self._keep(name, output)
            self._holding[name] = component
        result.status = StepStatus.SUCCEEDED
        result.duration_s = round(self._clock() - started, 3)
        self._step_metrics.step_succeeded(name, result)
        self._component_metrics(name, component, result)
        log.info("step_succeeded", attempts=result.attempts, duration_s=result.duration_s)
        self._notify("after_step", step_name=name, step=step, context=self.context, result=written, step_result=result)

    def _step_cancelled(self, step: StepSpec, result: StepResult, error: Exception, log: Any) -> None:
        """A step that ended because the run was cancelled: not a failure of its own, never tolerated."""
        result.status = StepStatus.CANCELLED
        result.reason = f"the run was cancelled ({self._signals.cause}) while this step ran"
        # The error is usually Spark's report of the cancelled job: kept for debugging only.
        log.warning("step_cancelled", attempts=result.attempts, duration_s=result.duration_s, reason=result.reason)
        log.debug("step_cancelled_error", error=secret_masker().mask_error(error))
        cancelled = RunCancelled(result.reason)
        cancelled.__cause__ = error
        self._notify("on_step_error", step_name=step.name, step=step, context=self.context, error=cancelled)

    def _component(self, name: str, log: Any) -> Component:
        resolved = self.pipeline.steps[name]
        # Secrets are fetched only now, so hooks and logs keep seeing the references.
        config = self.context.secrets.resolve_all(resolved.config, self.pipeline.config_path(name))
        component = resolved.component_class(config, self.context, log, step_name=name)
        component.step_name = name
        return component

    # -- look-ahead --------------------------------------------------------------------------
    def _preparable(self, order: list[str]) -> list[str]:
        """Steps whose component prepares ahead (overrides ``prepare``) and that this run executes."""
        return [
            name
            for name in order
            if self.pipeline.steps[name].component_class.prepare is not Component.prepare
            and (self._resume is None or name in self._resume.rerun)
        ]

    def _prepared_component(self, name: str) -> Component:
        """Runs on the look-ahead thread: the step's component, built and prepared."""
        self._tag_spark_jobs(name)  # jobs a preparation starts belong to its step
        component = self._component(name, self._log.bind(step=name))
        component.prepare()
        return component

    def _component_metrics(self, name: str, component: Any, result: StepResult) -> None:
        """Figures a component reports itself (a validator's check results), as far as known now."""
        report = getattr(component, "step_metrics", None)
        if callable(report):
            result.metrics.update(report(final=False) or {})
            self._reporting[name] = (component, result)

    def _final_component_metrics(self) -> None:
        for name, (component, result) in self._reporting.items():
            try:
                result.metrics.update(component.step_metrics(final=True) or {})
            except Exception as error:  # a report must never fail the run
                self._log.warning("step_metrics_failed", step=name, error=error_text(error))

    def _tolerate(self, step: StepSpec, result: StepResult, inputs: Mapping[str, Any], log: Any) -> None:
        """Apply ``on_failure``: ``skip`` marks the step skipped, ``continue`` passes its input on."""
        if step.on_failure == "skip":
            result.status = StepStatus.SKIPPED
            result.reason = "it failed and on_failure = skip"
            log.warning("step_skipped", reason=result.reason)
        elif step.on_failure == "continue":
            result.tolerated = True
            result.reason = "it failed and on_failure = continue: its input was passed on unchanged"
            # Pre-flight guarantees one input (or a sink, whose output feeds nothing).  Not persisted
            # again: it is the upstream's DataFrame, which that step persists and releases itself.
            is_sink = self.pipeline.steps[step.name].component_class.kind == ComponentKind.SINK
            self._outputs[step.name] = None if is_sink else next(iter(inputs.values()), None)
            log.warning("step_continued", reason=result.reason)

    def _tag_spark_jobs(self, step_name: str) -> None:
        """Jobs of this thread belong to the run's job group, described by the step (Spark UI, tests);
        on Spark Connect its operations carry the run's tag."""
        if not self.context.has_spark:  # a run without Spark (the engine's unit tests)
            return
        spark = self.context.spark
        if is_connect(spark):  # no job groups: the run's operations carry its tag (no description)
            tag_jobs(spark, job_group(self.context.run_id))
            return
        try:
            sc = spark.sparkContext
        except Exception:  # a stand-in session without a SparkContext (the engine's unit tests)
            return
        sc.setJobGroup(job_group(self.context.run_id), self._job_description(step_name))

    def _job_description(self, step_name: str) -> str:
        return f"{self.spec.name}: {step_name}"

    def _attempts(
        self,
        step: StepSpec,
        component: Callable[[], Component],
        inputs: Mapping[str, Any],
        result: StepResult,
        log: Any,
    ) -> Any:
        policy = step.retry or self.spec.retry or _NO_RETRY
        breaker = None
        if step.circuit_breaker is not None:
            breaker = self.breakers.get(step.circuit_breaker.name or step.name, step.circuit_breaker)

        def state_changed(breaker_name: str, old_state: str, new_state: str) -> None:
            log.warning("circuit_state_changed", breaker=breaker_name, old_state=old_state, new_state=new_state)
            self._notify(
                "on_circuit_state_change",
                breaker_name=breaker_name,
                old_state=old_state,
                new_state=new_state,
                step_name=step.name,
                context=self.context,
            )

        def before_attempt(attempt: int) -> None:
            if self._signals.requested.is_set():
                raise RunCancelled(f"the run was cancelled ({self._signals.cause}) before this attempt")
            result.attempts = attempt
            self._step_metrics.attempt_started(step.name)
            if breaker is not None:
                breaker.before_call(state_changed)

        def before_retry(attempt: int, wait_s: float, error: Exception) -> None:
            summary = secret_masker().mask(describe_failure(error).summary)
            log.warning("step_retry", attempt=attempt, wait_s=round(wait_s, 3), error=summary)
            self._notify(
                "on_retry",
                step_name=step.name,
                step=step,
                context=self.context,
                attempt=attempt,
                wait=wait_s,
                error=error,
            )

        dead_letters = self.context.dead_letters
        compute_now = step.name in self._isolated

        def attempt_once() -> Any:
            try:
                built = component()
                try:
                    output = built.run_step(self._step_metrics.inputs_for_attempt(step.name, inputs))
                    if built.kind != ComponentKind.SINK and is_connect(output):
                        analyze_now(output)
                    if compute_now:
                        output = compute_within_step(output)
                        if output is not None and getattr(output, "is_cached", False):
                            self._materialized[step.name] = output
                except Exception:
                    # A cancelled attempt says nothing about the health of what the breaker guards.
                    if breaker is not None and not self._signals.requested.is_set():
                        breaker.record_failure(state_changed)
                    raise
                if breaker is not None:
                    breaker.record_success(state_changed)
                if built.kind != ComponentKind.SINK:
                    output = self._checkpoint(step.name, step, output)
                # The attempt's dead letters are committed with its output: a failed attempt leaves none.
                written = dead_letters.commit(step.name)
                if written:
                    self._dead_letters_written[step.name] = written
            except BaseException:
                dead_letters.discard(step.name)
                raise
            return output

        return call_with_retries(
            attempt_once,
            policy,
            before_retry=before_retry,
            on_attempt=before_attempt,
            clock=self._clock,
            stop=self._signals.requested,
        )

    # -- shared outputs ----------------------------------------------------------------------
    def _keep(self, name: str, output: Any) -> Any:
        """Persist an output read by several steps so that Spark computes it once."""
        if name in self._materialized:
            return output  # persisted within its step already: every consumer reads that copy
        if output is not None and len(self.graph.consumers(name)) > 1 and not getattr(output, "isStreaming", True):
            from pyspark import StorageLevel

            output = output.persist(StorageLevel.MEMORY_AND_DISK)
            self._persisted.add(name)
            self._step_metrics.output_shared(name)
        return output

    def _release(self, name: str) -> None:
        output = self._outputs.pop(name, None)
        cached = [output] if name in self._persisted and output is not None else []
        self._persisted.discard(name)
        materialized = self._materialized.pop(name, None)
        cached += [materialized] if materialized is not None else []
        component = self._holding.pop(name, None)
        releases = [df.unpersist for df in cached] + ([component.release] if component is not None else [])
        for release in releases:
            try:
                release()
            except Exception as error:  # freeing memory never fails a run (the JVM may be gone: systemd signals it too)
                self._log.warning("step_release_failed", step=name, error=error_text(error))

    def _release_all(self) -> None:
        for name in list(self._persisted) + list(self._materialized) + list(self._holding):
            self._release(name)
