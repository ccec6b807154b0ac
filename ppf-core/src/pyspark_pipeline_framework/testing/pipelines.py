"""Checking and running whole pipelines in tests.

    from pyspark_pipeline_framework.testing import run_pipeline

    run = run_pipeline("pipelines/users.conf", spark=spark, sources={"users": users_df})
    assert run.succeeded
    assert_dataframe_equal(run.sink("out"), expected_df)

:func:`run_pipeline` runs a pipeline file or HOCON text as ``ppf run`` would, with named source
steps reading given DataFrames instead of their data and sink steps captured instead of writing
(all of them unless told otherwise).  The pipeline is validated as written first, so the test
also checks its file.  The lower-level helpers check a pipeline (:func:`load_and_validate`,
:func:`validate_pipeline`), run a validated one (:func:`run_validated` in Spark,
:func:`run_without_spark` for hook and plugin tests with plain Python components), or tell which
Spark properties its session would get (:func:`session_conf`).

A step's dotted ``type`` (``my_pipelines.transforms.UserAnonymizer``) is imported from the test
process's own import path: unlike the ``ppf`` command line, these helpers do not add the working
directory to ``sys.path``.  Make the project's package importable the way its tests import it
anyway, e.g. pytest's ``pythonpath = ["."]`` setting, or an installed project.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

from pyspark_pipeline_framework.core.component import ComponentKind, Sink, SinkConfig, Source, SourceConfig
from pyspark_pipeline_framework.core.context import RunInfo
from pyspark_pipeline_framework.core.pipeline import ResolvedPipeline, ResolvedStep
from pyspark_pipeline_framework.core.plugins import load_hook_plugins
from pyspark_pipeline_framework.core.registry import ComponentRegistry
from pyspark_pipeline_framework.core.results import RunResult, StepResult
from pyspark_pipeline_framework.runner.config.preflight import validate, validate_raw
from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file
from pyspark_pipeline_framework.runtime.run import launch
from pyspark_pipeline_framework.runtime.run.context import RunContext
from pyspark_pipeline_framework.runtime.run.executor import PipelineExecutor
from pyspark_pipeline_framework.testing.capture import HookCalls

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def load_and_validate(
    path: str | Path, overrides: Iterable[str] = (), *, registry: ComponentRegistry | None = None
) -> ResolvedPipeline:
    """Read and check a pipeline file as ``ppf validate`` does; raises ``ConfigError`` with every problem.

    ``registry`` finds the steps' components (an :class:`InlineRegistry` for a test's own
    classes); by default the installed ones and dotted paths.
    """
    return validate(load_pipeline_file(path, list(overrides)), registry)


def validate_pipeline(pipeline: Mapping[str, Any], registry: ComponentRegistry | None = None) -> ResolvedPipeline:
    """Check a pipeline given as the contents of its ``pipeline { }`` block (a dict), as ``ppf validate`` would.

    Problems are raised together as ``ConfigError``, with config paths (no file and line: there is
    no file).  ``registry`` as for :func:`load_and_validate`.
    """
    return validate_raw(pipeline, registry)


def run_validated(
    pipeline: ResolvedPipeline,
    *,
    spark: SparkSession | None = None,
    plugins: Iterable[object] = (),
    run_id: str | None = None,
) -> RunResult:
    """Run a pipeline that passed validation, as ``ppf run`` would.

    ``plugins`` are hook plugins (objects) added to the installed and configured ones; ``spark``
    is an existing session to run in, otherwise one is built as the pipeline asks.
    """
    run = RunInfo(pipeline.spec.name, run_id=run_id) if run_id else None
    return launch.run_pipeline(pipeline, spark=spark, extra_plugins=plugins, run=run)


def run_without_spark(
    pipeline: ResolvedPipeline, *, plugins: Iterable[object] = (), run_id: str | None = None
) -> RunResult:
    """Run a validated pipeline whose components hand plain Python values to each other, with no Spark at all.

    For tests of hook plugins and of the run's logic: the hook plugins load, their settings'
    secret references resolve and every hook is called as in a real run, but no session is
    built (a component that asks for ``context.spark`` fails its step).  Streaming pipelines and
    steps deferred to a session need :func:`run_validated`.
    """
    loaded = load_hook_plugins(pipeline.spec.hooks, plugins, settings=pipeline.hook_settings)
    run = RunInfo(pipeline.spec.name, run_id=run_id) if run_id else RunInfo(pipeline.spec.name)
    try:
        return PipelineExecutor(pipeline, RunContext(run, pipeline.spec, secrets=loaded.secrets), loaded.manager).run()
    finally:
        loaded.secrets.close()


def session_conf(pipeline: ResolvedPipeline) -> dict[str, str]:
    """The Spark properties ``ppf run`` would build this pipeline's session with, without starting Spark.

    ppf's own defaults, what the installed hook plugins ask for the pipeline's steps, and the
    pipeline's ``spark.conf``, which wins over both.  Secret references in ``spark.conf`` stay as
    written.
    """
    loaded = load_hook_plugins(pipeline.spec.hooks, settings=pipeline.hook_settings)
    try:
        return dict(launch.session_plan_for(pipeline, loaded.manager).conf)
    finally:
        loaded.secrets.close()


def run_pipeline_file(
    path: str | Path,
    overrides: Iterable[str] = (),
    *,
    spark: SparkSession | None = None,
    plugins: Iterable[object] = (),
    run_id: str | None = None,
    registry: ComponentRegistry | None = None,
) -> RunResult:
    """Validate and run a pipeline file, optionally in an existing Spark session."""
    pipeline = load_and_validate(path, overrides, registry=registry)
    return run_validated(pipeline, spark=spark, plugins=plugins, run_id=run_id)


def run_pipeline_text(
    text: str,
    overrides: Iterable[str] = (),
    *,
    spark: SparkSession | None = None,
    plugins: Iterable[object] = (),
    directory: str | Path | None = None,
    registry: ComponentRegistry | None = None,
) -> RunResult:
    """Run a pipeline given as HOCON text (written to ``directory`` or a temporary one)."""
    folder = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="ppf-test-"))
    path = folder / "pipeline.conf"
    path.write_text(text, encoding="utf-8")
    return run_pipeline_file(path, overrides, spark=spark, plugins=plugins, registry=registry)


class GivenFrameConfig(SourceConfig):
    #: The DataFrame the step reads (given by the test).
    frame: Any


class GivenFrame(Source[GivenFrameConfig]):
    """A source step of a test run that reads the DataFrame the test gave for it."""

    @classmethod
    def reads_stream(cls, config: Any) -> bool:
        return bool(getattr(config.frame, "isStreaming", False))

    def read(self) -> DataFrame:
        return self.config.frame


class CapturedFramesConfig(SinkConfig):
    #: Where the step's rows go: a :class:`CapturedFrames` shared with the :class:`PipelineRun`.
    into: Any


class CapturedFrames:
    """What the captured sink steps of one run received, by step name (a streaming run: each micro-batch)."""

    def __init__(self) -> None:
        self.frames: dict[str, list[DataFrame]] = {}
        self._lock = threading.Lock()

    def add(self, step_name: str, frame: DataFrame) -> None:
        with self._lock:
            self.frames.setdefault(step_name, []).append(frame)


class CaptureSink(Sink[CapturedFramesConfig]):
    """A sink step of a test run that keeps its input instead of writing it.

    The rows are computed within the step (Spark's local checkpoint, one job, as a write would
    be), so a failure of the steps before it fails this step in the run, not the test's assertion
    later, and the captured DataFrame does not compute the pipeline again when a test reads it.
    """

    def write(self, df: DataFrame) -> None:
        self.config.into.add(self.step_name, df.localCheckpoint(eager=True))


@attrs.frozen
class PipelineRun:
    """The outcome of :func:`run_pipeline`: the run's result, what the captured sinks received, the hook calls."""

    result: RunResult
    #: The pipeline as it ran (sources and sinks replaced).
    pipeline: ResolvedPipeline
    #: Every hook call of the run, in order.
    hook_calls: HookCalls
    #: The names of the sink steps that were captured.
    captured: tuple[str, ...]
    _frames: CapturedFrames

    @property
    def succeeded(self) -> bool:
        return self.result.succeeded

    @property
    def status(self) -> str:
        """``succeeded``, ``partial``, ``failed`` (``stopped`` or ``cancelled`` by a signal), as ``ppf run`` reports it."""
        return str(self.result.status)

    @property
    def steps(self) -> list[StepResult]:
        return list(self.result.steps)

    def step(self, name: str) -> StepResult:
        """How step ``name`` ended: status, attempts, error, metrics."""
        return self.result.step(name)

    def sink(self, name: str) -> DataFrame:
        """The DataFrame captured sink step ``name`` received (every micro-batch's rows, in a streaming run).

        Raises ``LookupError`` when ``name`` was not captured or wrote nothing (its step did not
        succeed: the message says how it ended).
        """
        if name not in self.captured:
            raise LookupError(f"sink step {name!r} was not captured; captured: {', '.join(self.captured) or 'none'}")
        frames = self._frames.frames.get(name)
        if not frames:
            step = self.result.step(name)
            why = f": {step.error or step.reason}" if (step.error or step.reason) else ""
            raise LookupError(f"sink step {name!r} received nothing: it ended as {step.status}{why}")
        combined = frames[0]
        for frame in frames[1:]:
            combined = combined.unionByName(frame)
        return combined

    @property
    def sinks(self) -> dict[str, DataFrame]:
        """Each captured sink step that received rows, with its DataFrame."""
        return {name: self.sink(name) for name in self.captured if self._frames.frames.get(name)}


def run_pipeline(
    config: str | Path,
    *,
    spark: SparkSession,
    sources: Mapping[str, DataFrame] | None = None,
    capture_sinks: Iterable[str] | Literal["all"] = "all",
    overrides: Iterable[str] = (),
    plugins: Iterable[object] = (),
    registry: ComponentRegistry | None = None,
    run_id: str | None = None,
) -> PipelineRun:
    """Validate and run a pipeline in ``spark``, with given inputs and captured outputs.

    ``config`` is the path of a pipeline file (a :class:`~pathlib.Path`, or a string without a
    ``{`` or a line break) or the HOCON text of one.  ``overrides`` are ``key=value`` overrides as
    ``ppf run`` takes them.  The pipeline is validated as written (``ConfigError`` with every
    problem), then run with:

    - ``sources``: source step name -> DataFrame the step reads instead of its data;
    - ``capture_sinks``: the sink steps whose input is kept instead of written
      (:meth:`PipelineRun.sink`); ``"all"`` (the default, so a test never writes where the
      pipeline would) or names; ``()`` runs every sink as written;
    - ``plugins``: hook plugins added to the installed and configured ones, as for ``ppf run``.

    An unknown or wrong-kind step name raises ``ValueError`` naming the steps there are.
    """
    with _pipeline_path(config) as path:
        pipeline = load_and_validate(path, overrides, registry=registry)
        frames = CapturedFrames()
        sinks = capture_sinks if capture_sinks == "all" else tuple(capture_sinks)
        replace = _Replacements(dict(sources or {}), sinks, frames)
        replace.check(pipeline)
        ready = replace.apply(pipeline)
        calls = HookCalls()
        result = run_validated(ready, spark=spark, plugins=[calls, *plugins], run_id=run_id)
    return PipelineRun(result, ready, calls, replace.captured(pipeline), frames)


@contextlib.contextmanager
def _pipeline_path(config: str | Path) -> Iterator[Path]:
    """The file to read: ``config`` itself, or HOCON text written to a temporary file for the run."""
    if isinstance(config, Path) or ("{" not in config and "\n" not in config):
        yield Path(config)
        return
    with tempfile.TemporaryDirectory(prefix="ppf-test-") as folder:
        path = Path(folder) / "pipeline.conf"
        path.write_text(config, encoding="utf-8")
        yield path


@attrs.frozen
class _Replacements:
    """Which steps of a pipeline read given DataFrames and which sinks are captured."""

    sources: dict[str, Any]
    capture_sinks: tuple[str, ...] | Literal["all"]
    frames: CapturedFrames

    def _kind_of(self, pipeline: ResolvedPipeline, kind: ComponentKind, *, deferred: bool = False) -> list[str]:
        """The steps of that kind; with ``deferred``, also the steps whose kind is known only in the session."""
        named = [name for name, step in pipeline.steps.items() if step.component_class.kind == kind]
        return named + ([name for name in pipeline.deferred if name not in named] if deferred else [])

    def captured(self, pipeline: ResolvedPipeline) -> tuple[str, ...]:
        if self.capture_sinks == "all":
            return tuple(self._kind_of(pipeline, ComponentKind.SINK))
        return tuple(self.capture_sinks)

    def check(self, pipeline: ResolvedPipeline) -> None:
        for what, kind, names in (
            ("source", ComponentKind.SOURCE, list(self.sources)),
            ("sink", ComponentKind.SINK, list(self.captured(pipeline))),
        ):
            known = self._kind_of(pipeline, kind, deferred=True)
            unknown = [name for name in names if name not in known]
            if unknown:
                raise ValueError(
                    f"no {what} step named {', '.join(map(repr, unknown))} in pipeline {pipeline.spec.name!r}; "
                    f"its {what} steps: {', '.join(known) or 'none'}"
                )

    def apply(self, pipeline: ResolvedPipeline) -> ResolvedPipeline:
        sinks = set(self.captured(pipeline))
        steps: dict[str, ResolvedStep] = {}
        for name, step in pipeline.steps.items():
            kind = step.component_class.kind
            if name in self.sources and kind == ComponentKind.SOURCE:
                step = ResolvedStep(name, GivenFrame, GivenFrameConfig(frame=self.sources[name]))
            elif name in sinks and kind == ComponentKind.SINK:
                step = ResolvedStep(name, CaptureSink, CapturedFramesConfig(into=self.frames))
            steps[name] = step
        resolve_in_session = pipeline.resolve_in_session
        if resolve_in_session is not None:  # deferred steps are replaced once the session resolves them
            original = resolve_in_session

            def resolve_in_session() -> ResolvedPipeline:
                return self.apply(original())

        return attrs.evolve(pipeline, steps=steps, resolve_in_session=resolve_in_session)
