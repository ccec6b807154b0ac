"""The Python API for schedulers and scripts: run a pipeline file as ``ppf run`` does, and get its result::

    from pyspark_pipeline_framework.api import PipelineNotRun, run_pipeline

    try:
        result = run_pipeline("pipelines/user_etl.conf", overrides=["spark.master=local[2]"])
    except PipelineNotRun as error:  # exit code 2: nothing ran; running it again will not help
        print(error.exit_code, error)
    else:
        print(result.status, int(result.exit_code), result.exit_code.meaning)
        for sink in result.sinks:
            print(sink.name, sink.metrics["rows_written"], sink.metrics["bytes_written"])

:func:`run_pipeline` and ``ppf run`` share one code path (:mod:`.runner.launching`): the same
checks before Spark starts, the same run ledger (so ``ppf runs list`` shows API runs, and
``resume`` works across both), the same exit codes.  A configuration, usage or environment error
raises :class:`PipelineNotRun` (exit code 2, its message masked like the command line's); every
run that started returns a :class:`RunResult`, whose ``exit_code`` is 0, 1, 3 or 130/143.

Unlike the command line, the API does not configure logging (the caller's process owns it), does
not handle SIGINT/SIGTERM (the caller's scheduler does) and does not add the working directory
to ``sys.path``.  Importing this module imports neither pyspark nor any plugin.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from pyspark_pipeline_framework.core.errors import ConfigError, PpfError
from pyspark_pipeline_framework.core.masking import secret_masker
from pyspark_pipeline_framework.core.results import ExitCode, RunResult, StepResult, StepStatus
from pyspark_pipeline_framework.runner.launching import launch, read_pipeline

if TYPE_CHECKING:
    import threading

    from pyspark.sql import SparkSession

    from pyspark_pipeline_framework.core.pipeline import ResolvedPipeline

__all__ = [
    "ExitCode",
    "PipelineNotRun",
    "RunResult",
    "StepResult",
    "StepStatus",
    "run_pipeline",
    "validate_pipeline",
]

#: A run id is a file name in the ledger: no path separators, no leading dot.
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


class PipelineNotRun(Exception):
    """Nothing ran: the pipeline file is invalid, the environment cannot run it (no Java), or a resume was refused.

    ``str(error)`` is the message ``ppf`` prints (every configuration problem with its path, file,
    line and hint), with secret values masked.  Running again unchanged will not help, so a
    scheduler should not retry: ``exit_code`` is always :attr:`ExitCode.USAGE_OR_CONFIG_ERROR`.
    """

    exit_code = ExitCode.USAGE_OR_CONFIG_ERROR

    def __init__(self, message: str, *, configuration: bool):
        super().__init__(message)
        #: ``True`` for a problem in the pipeline file (or its overrides); ``False`` for the environment or a resume.
        self.configuration = configuration


def validate_pipeline(config_path: str | Path, *, overrides: Iterable[str] = ()) -> ResolvedPipeline:
    """Check a pipeline file as ``ppf validate`` does (no Spark starts); raises :class:`PipelineNotRun` when invalid.

    Returns the checked pipeline (``.spec.name``, ``.spec.steps``, ``.steps``).
    """
    try:
        return read_pipeline(config_path, overrides, check_inputs=False)
    except PpfError as error:
        raise _not_run(error) from None


def run_pipeline(
    config_path: str | Path,
    *,
    overrides: Iterable[str] = (),
    resume: str | None = None,
    ledger_dir: str | Path | None = None,
    run_id: str | None = None,
    spark: SparkSession | None = None,
    stop: threading.Event | None = None,
) -> RunResult:
    """Run a pipeline file as ``ppf run`` does; returns how the run ended.

    ``overrides`` are ``key=value`` strings relative to the pipeline block, as ``ppf run -o``.
    ``resume`` is a run id from the ledger (or ``"last"``): only its failed, skipped and not-run
    steps, and what depends on them, run again.  ``ledger_dir`` is the run ledger: a directory, or
    a URL of shared storage a plugin serves (``s3a://bucket/ppf/runs``); default ``$PPF_LEDGER_DIR``,
    else ``.ppf/runs``.  ``run_id`` records the run under an id of the
    caller's choosing (letters, digits, ``.``, ``_``, ``-``), e.g. to find it again on a retry;
    by default a new, time-sortable id.  ``spark`` runs in an existing session (left running);
    otherwise a session is built and stopped when the run ends.

    Setting ``stop`` (from another thread, or a signal handler) cancels the run as SIGTERM cancels
    ``ppf run``: its Spark jobs are cancelled, no further step starts, and the result is
    ``cancelled`` (exit code 143).  An
    exception raised into the run's thread (a scheduler's timeout, ``KeyboardInterrupt``) cancels
    a batch run the same way, is recorded in the ledger, and then propagates.

    Raises :class:`PipelineNotRun` (exit code 2) when nothing could run.
    """
    if run_id is not None and not _RUN_ID.fullmatch(run_id):
        raise ValueError(f"run_id {run_id!r} is not a valid run id: use letters, digits, '.', '_' and '-'")
    try:
        pipeline = read_pipeline(config_path, overrides, check_inputs=resume is None)
        return launch(pipeline, ledger_dir=ledger_dir, resume=resume, run_id=run_id, spark=spark, stop=stop)
    except PpfError as error:
        raise _not_run(error) from None


def _not_run(error: PpfError) -> PipelineNotRun:
    """The error as ``ppf`` prints it, masked (a message may quote a value a secret resolver returned)."""
    if isinstance(error, ConfigError):
        text = error.render()
    else:
        text = str(error) + (f"\n    hint: {error.hint}" if error.hint else "")
    return PipelineNotRun(secret_masker().mask(text), configuration=isinstance(error, ConfigError))
