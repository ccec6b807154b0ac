"""Launching a validated pipeline: hook plugins, Spark session, context, executor."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from pyspark_pipeline_framework.core.context import RunInfo
from pyspark_pipeline_framework.core.errors import EnvironmentProblem, PpfError, error_text
from pyspark_pipeline_framework.core.plugins import load_hook_plugins
from pyspark_pipeline_framework.core.results import RunResult
from pyspark_pipeline_framework.core.secrets import Secrets
from pyspark_pipeline_framework.core.state_storage import StateStorage
from pyspark_pipeline_framework.core.streaming import streaming_plan
from pyspark_pipeline_framework.runtime.resilience.circuit_breaker import BreakerBoard
from pyspark_pipeline_framework.runtime.resilience.ledger import ResumeRefused, RunLedger, RunRecorder, plan_resume
from pyspark_pipeline_framework.runtime.run.context import RunContext
from pyspark_pipeline_framework.runtime.run.executor import PipelineExecutor
from pyspark_pipeline_framework.runtime.run.failures import describe_failure
from pyspark_pipeline_framework.runtime.run.signals import StopSignals
from pyspark_pipeline_framework.runtime.run.streaming import StreamingRun
from pyspark_pipeline_framework.runtime.session.builder import (
    SessionPlan,
    build_session,
    plan_session,
    remote_of,
    with_secrets_resolved,
)
from pyspark_pipeline_framework.runtime.session.logs import quiet_spark_conf, spark_log_level
from pyspark_pipeline_framework.runtime.session.user_code import ship_user_code
from pyspark_pipeline_framework.spark.connect import is_connect

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from pyspark_pipeline_framework.core.pipeline import ResolvedPipeline


_STREAMING_RESUME = "a streaming pipeline resumes from its checkpoints by itself: run it again without --resume"


def _refuse_what_streaming_cannot(streams: object, resume: str | None, connect: bool) -> None:
    """What a streaming pipeline refuses: ``--resume`` (its checkpoints resume it), and Spark Connect
    (its micro-batches run ppf's steps in a ``foreachBatch`` function, which Connect would ship to
    the server, where the run's state (locks, hooks, the ledger) cannot go).  Checked before the
    session starts, and again once steps deferred until then are known."""
    if streams is None:
        return
    if resume is not None:
        raise ResumeRefused(_STREAMING_RESUME)
    if connect:
        raise EnvironmentProblem(
            "a streaming pipeline cannot run over Spark Connect: each micro-batch runs the pipeline's "
            "steps in this process, which a Connect server cannot call back",
            hint="run it with a Spark driver in this process (spark.master, without spark.remote / SPARK_REMOTE)",
        )


def session_plan_for(
    pipeline: ResolvedPipeline,
    plugin_manager,
    secrets: Secrets | None = None,
    checkpoints: StateStorage | None = None,
    *,
    submitted: bool = False,
) -> SessionPlan:
    """The session the pipeline asks for; with ``secrets``, ``spark.conf`` references are resolved.

    ``checkpoints`` is the run-state storage Spark writes or reads step checkpoints in: what it
    needs (S3A for a ledger on S3) is asked for too.  ``submitted``: the process is a
    ``spark-submit`` application, whose master stays spark-submit's.
    """
    steps = list(pipeline.steps.values())
    component_types = list({step.component_class for step in steps})
    answers = plugin_manager.hook.ppf_spark_session_settings(component_types=component_types, steps=steps)
    if checkpoints is not None:
        answers = [*answers, checkpoints.spark_settings()]
    settings = pipeline.spec.spark if secrets is None else with_secrets_resolved(pipeline.spec.spark, secrets)
    # A Connect server's driver logs as its operator set it up; these options are for a driver started here.
    own = [] if remote_of(settings) else [{"conf": quiet_spark_conf()}]
    return plan_session(settings, pipeline.spec.name, [*own, *answers], submitted=submitted)


def _touches_checkpoints(pipeline: ResolvedPipeline, resume: str | None) -> bool:
    """Whether Spark writes step checkpoints in the ledger (or reads a resumed run's back from it)."""
    return resume is not None or bool(pipeline.spec.checkpoint) or any(step.checkpoint for step in pipeline.spec.steps)


def resolve_deferred_steps(pipeline: ResolvedPipeline, logger) -> ResolvedPipeline:
    """The pipeline with the steps pre-flight left for the session imported and checked (a session exists now).

    Raises :class:`~pyspark_pipeline_framework.core.errors.ConfigError` when a deferred step's
    config (or a graph rule that depends on its kind) is wrong, as pre-flight would have.
    """
    if pipeline.resolve_in_session is None:
        raise ValueError(f"steps {sorted(pipeline.deferred)} are deferred but the pipeline has no resolve_in_session")
    resolved = pipeline.resolve_in_session()
    logger.info("steps_imported_in_session", steps=sorted(pipeline.deferred))
    return resolved


def run_pipeline(
    pipeline: ResolvedPipeline,
    *,
    spark: SparkSession | None = None,
    extra_plugins: Iterable[object] = (),
    run: RunInfo | None = None,
    breakers: BreakerBoard | None = None,
    ledger: RunLedger | None = None,
    resume: str | None = None,
    stop_session: bool = False,
    handle_signals: bool = False,
    stop: threading.Event | None = None,
    submitted: bool = False,
) -> RunResult:
    """Run a pipeline that passed pre-flight; ``spark`` reuses an existing session (tests, notebooks).

    ``breakers`` shares circuit breakers between runs of one process (and injects their clock in tests).
    ``ledger`` records the run (and keeps checkpoints); ``resume`` (a run id or ``"last"``) re-runs
    only what did not complete in that run: :class:`~.ledger.ResumeRefused` is raised before
    Spark starts when that is not possible (once the session exists when steps were deferred).
    Steps pre-flight deferred (``pipeline.deferred``) are imported and checked as soon as the
    session exists, before any hook or step runs.  ``stop_session`` stops a session this call built
    once the run ends (the CLI does: Spark then shuts down in order, as a hand-written job does).
    A pipeline with a streaming source runs as a streaming run (:mod:`.streaming`).  ``handle_signals``
    (only from the main thread; the CLI does) handles SIGTERM and SIGINT (:mod:`.signals`): a batch
    run is cancelled (``RunResult.cancelled``, exit code 128 + the signal), a streaming run stops
    gracefully; a second signal ends the process.  Setting ``stop`` (from any thread, or a signal
    handler of the caller's) cancels a batch run the same way.  An exception raised into a batch run's thread
    (a scheduler's timeout) cancels it in order too, then goes on to the caller.  ``submitted`` says the process runs under
    ``spark-submit`` (:mod:`~pyspark_pipeline_framework.runner.submit`): the session keeps the master
    and deploy mode spark-submit was given, whatever the pipeline file's ``spark.master`` says.
    """
    streams = streaming_plan(pipeline.spec, pipeline.graph, pipeline.steps)
    connect = is_connect(spark) if spark is not None else remote_of(pipeline.spec.spark) is not None
    _refuse_what_streaming_cannot(streams, resume, connect)
    plan = None
    record = None
    if resume is not None:
        if ledger is None:
            raise ResumeRefused("resuming needs the run ledger")
        record = ledger.load(resume)  # an unknown run, or one still running, is refused before Spark starts
        if record.get("status") == "running":
            raise ResumeRefused(
                f"run {record.get('run_id')} is still running (pid {record.get('pid')} on {record.get('host')}): "
                "two runs would write the same outputs",
                hint="wait for it to end, or stop it (SIGTERM) and resume it then",
            )
        if not pipeline.deferred:  # otherwise once every step is resolved, in the session
            plan = plan_resume(pipeline, record)
    # Hook settings' secret references are resolved here, spark.conf's when the session is built.
    loaded = load_hook_plugins(
        pipeline.spec.hooks, extra_plugins, settings=pipeline.hook_settings, locate=pipeline.locate
    )
    run = run or RunInfo(pipeline=pipeline.spec.name)

    def make_session() -> SparkSession:
        if spark is not None:
            return spark
        try:
            checkpoints = ledger.storage if ledger is not None and _touches_checkpoints(pipeline, resume) else None
            plan = session_plan_for(pipeline, loaded.manager, loaded.secrets, checkpoints, submitted=submitted)
        except PpfError:
            raise
        except Exception as exc:  # a plugin's ppf_spark_session_settings raised
            raise EnvironmentProblem(
                f"a plugin failed to say what the Spark session needs: {describe_failure(exc).summary}",
                hint="reinstall or update the plugin, or switch it off",
            ) from exc

        def not_applied(refused: Mapping[str, str]) -> None:
            context.logger.warning(
                "spark_settings_not_applied",
                remote=plan.remote,
                settings=dict(refused),
                hint="the Spark Connect server sets these itself: configure them where it is started",
            )

        try:
            session = build_session(plan, not_applied)
        except PpfError:
            raise
        except Exception as exc:  # the JVM did not start, a package could not be resolved...
            raise EnvironmentProblem(
                f"the Spark session could not start: {describe_failure(exc).summary}",
                hint="Spark's own messages are above; `--log-level debug` shows more",
            ) from exc
        if not is_connect(session):  # a Connect server's log level is its operator's
            session.sparkContext.setLogLevel(spark_log_level())
        return session

    context = RunContext(run, pipeline.spec, spark_factory=make_session, secrets=loaded.secrets)
    for problem in loaded.problems:
        context.logger.warning("plugin_skipped", plugin=problem.name, error=problem.error)
    with contextlib.ExitStack() as cleanup:  # every step of the clean-up runs, even when one fails
        signals = StopSignals(requested=stop) if stop is not None else None
        handling = handle_signals and threading.current_thread() is threading.main_thread()
        if handling:
            # From here on a stop request is honoured, even while the session starts.
            signals = signals or StopSignals()
            signals.install()
            cleanup.callback(signals.restore)  # last: a signal while the session stops is a second one
        if stop_session and spark is None:
            cleanup.callback(_stop_session, context)
        cleanup.callback(loaded.secrets.close)  # values forgotten, token renewals stopped
        if streams is not None and signals is not None:
            context.logger.info("streaming_run_starting", queries=[q.name for q in streams.queries])
        _ = context.spark  # the session exists before pipeline_start, as the hook spec promises
        if handling and signals is not None:
            signals.install()  # again: pyspark's context replaced the SIGINT handler with its own
        if pipeline.deferred:
            pipeline = resolve_deferred_steps(pipeline, context.logger)
            streams = streaming_plan(pipeline.spec, pipeline.graph, pipeline.steps)
            _refuse_what_streaming_cannot(streams, resume, is_connect(context.spark))
            if record is not None:
                plan = plan_resume(pipeline, record)
        ship_user_code(context.spark, pipeline, context.logger)  # before any step runs a UDF on an executor
        recorder = RunRecorder(ledger, pipeline, run.run_id, run.started_at, plan) if ledger is not None else None
        if recorder is not None:
            cleanup.callback(recorder.close)  # the run no longer holds its ledger entry's lock
        if plan is not None:
            context.logger.info(
                "run_resumed",
                resumed_from=plan.resumed_from,
                rerun=sorted(plan.rerun),
                reused=sorted(plan.reuse_outputs),
                done=sorted(plan.done),
            )
        if streams is not None:
            return StreamingRun(
                pipeline, streams, context, loaded.manager, recorder=recorder, breakers=breakers, signals=signals
            ).run()
        return PipelineExecutor(
            pipeline, context, loaded.manager, breakers=breakers, recorder=recorder, resume=plan, signals=signals
        ).run()


def _stop_session(context: RunContext) -> None:
    """Stop the session this run built, if it started.  Its JVM may be gone already (a SIGTERM sent
    to every process of the service, as systemd does, reaches the JVM too): the run's outcome is
    recorded by now either way."""
    if not context.has_spark:
        return
    try:
        context.spark.stop()
    except Exception as error:
        context.logger.warning("spark_stop_failed", error=error_text(error).splitlines()[0][:300])
