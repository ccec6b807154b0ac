"""Running a pipeline file: what ``ppf run`` and the Python API (:mod:`pyspark_pipeline_framework.api`) share.

Reading and checking the file raises :class:`~pyspark_pipeline_framework.core.errors.ConfigError`;
a run that cannot start raises another
:class:`~pyspark_pipeline_framework.core.errors.PpfError` (no Java, a resume refused, a hook
plugin's settings).  Both mean exit code 2: nothing ran.  Heavy modules are imported only once a run
starts, so importing this module stays cheap.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import threading

    from pyspark.sql import SparkSession

    from pyspark_pipeline_framework.core.pipeline import ResolvedPipeline
    from pyspark_pipeline_framework.core.results import RunResult


def ledger_location(location: str | Path | None = None, *, given: str = "the ledger location") -> str:
    """The run ledger's location: ``location``, else ``$PPF_LEDGER_DIR``, else ``.ppf/runs``.

    Raises :class:`~pyspark_pipeline_framework.core.errors.EnvironmentProblem` (naming ``given``,
    or ``$PPF_LEDGER_DIR``) when it is a URL no installed plugin serves: before any JVM starts.
    """
    from pyspark_pipeline_framework.core.errors import EnvironmentProblem
    from pyspark_pipeline_framework.core.state_storage import unserved_location
    from pyspark_pipeline_framework.runtime.resilience.ledger import DEFAULT_LEDGER_DIR

    chosen = str(location) if location else os.environ.get("PPF_LEDGER_DIR") or DEFAULT_LEDGER_DIR
    problem = unserved_location(chosen)
    if problem is not None:
        raise EnvironmentProblem(f"{given if location else '$PPF_LEDGER_DIR'}: {problem}")
    return chosen


def read_pipeline(
    config_path: str | Path, overrides: Iterable[str] = (), *, check_inputs: bool = True
) -> ResolvedPipeline:
    """The pipeline file read, overridden and checked as ``ppf validate`` checks it.

    ``check_inputs`` also checks that the local files the sources read exist (a fresh run does; a
    resumed run reads only the sources it runs again, a dry run checks only the configuration).
    """
    from pyspark_pipeline_framework.runner.config.preflight import check_local_inputs, validate
    from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file

    pipeline_file = load_pipeline_file(Path(config_path), list(overrides))
    pipeline = validate(pipeline_file)
    if check_inputs:
        check_local_inputs(pipeline, pipeline_file)
    return pipeline


def launch(
    pipeline: ResolvedPipeline,
    *,
    ledger_dir: str | Path | None = None,
    resume: str | None = None,
    run_id: str | None = None,
    spark: SparkSession | None = None,
    extra_plugins: Iterable[object] = (),
    handle_signals: bool = False,
    stop: threading.Event | None = None,
    submitted: bool = False,
) -> RunResult:
    """Run a checked pipeline, recorded in the run ledger; a session this builds is stopped when the run ends.

    ``ledger_dir`` is the ledger's location (:func:`ledger_location`); ``resume`` is a run id (or
    ``"last"``) whose failed, skipped and not-run steps run again;
    ``run_id`` records the run under that id (a scheduler's own, to find it again on a retry);
    ``stop``, once set, cancels the run (:func:`~pyspark_pipeline_framework.api.run_pipeline`);
    ``submitted`` says the process is a ``spark-submit`` application, whose master stays spark-submit's.
    """
    from pyspark_pipeline_framework.core.context import RunInfo
    from pyspark_pipeline_framework.runtime.resilience.ledger import RunLedger
    from pyspark_pipeline_framework.runtime.resilience.retry import silence_stamina_log_lines
    from pyspark_pipeline_framework.runtime.run.launch import run_pipeline
    from pyspark_pipeline_framework.runtime.session.builder import remote_of
    from pyspark_pipeline_framework.runtime.session.java import require_java

    silence_stamina_log_lines()
    if spark is None and remote_of(pipeline.spec.spark) is None:  # a Spark Connect client needs no Java
        require_java()
    return run_pipeline(
        pipeline,
        spark=spark,
        extra_plugins=extra_plugins,
        run=RunInfo(pipeline=pipeline.spec.name, run_id=run_id) if run_id else None,
        ledger=RunLedger(ledger_location(ledger_dir)),
        resume=resume,
        stop_session=True,
        handle_signals=handle_signals,
        stop=stop,
        submitted=submitted,
    )
