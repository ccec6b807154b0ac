"""An Airflow 3 operator that runs a ppf pipeline file (``pip install "ppf-core[airflow]"``)::

    from pyspark_pipeline_framework.integrations.airflow import PpfRunOperator

    PpfRunOperator(
        task_id="user_etl",
        config_path="pipelines/user_etl.conf",
        overrides=["pipeline.name=user_etl_{{ ds_nodash }}", "spark.master=local[2]"],
        retries=2,
    )

Exit codes become task states: 0 succeeds; 1 (a step failed) raises ``AirflowException``, which
Airflow retries; 2 (configuration, usage or environment: nothing ran) and a cancelled run raise
``AirflowFailException``, which fails the task without retry; 3 (partial success) succeeds, or is
retried with ``partial_success_fails=True``.  A retry resumes the previous try: only its failed,
skipped and not-run steps (and what depends on them) run again, from the run ledger and the
steps' checkpoints (``checkpoint = true``); a resume ppf refuses fails the task with the reason.

The pipeline runs in the task's own process, through :func:`pyspark_pipeline_framework.api.run_pipeline`:
Airflow 3 runs every task instance in a process of its own already, so each task gets its own
Spark driver (JVM) without a second process to start, and the run's result (status, each sink's
rows and bytes written) is returned to XCom without parsing output.

Stopping a running task cancels its run in order, as SIGTERM cancels ``ppf run``: the run's
Spark jobs are cancelled, no further step starts, nothing half-written is left, and the ledger
records the run as cancelled.  A task marked failed (or its worker shutting down) reaches the run
through :meth:`PpfRunOperator.on_kill`, and the task fails without retry; an ``execution_timeout``
is raised into the run, which is cancelled the same way, and Airflow retries the task as it
retries any timeout (the retry resumes the cancelled try).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator

try:
    from airflow.sdk.exceptions import AirflowException, AirflowFailException
except ImportError:  # Airflow before 3.1 has them only here
    from airflow.exceptions import AirflowException, AirflowFailException

from pyspark_pipeline_framework.api import PipelineNotRun, run_pipeline
from pyspark_pipeline_framework.integrations.attempts import attempt_run_id, previous_attempt, task_key
from pyspark_pipeline_framework.integrations.outcomes import SchedulerOutcome, result_summary, scheduler_outcome

__all__ = ["PpfRunOperator"]


class PpfRunOperator(BaseOperator):
    """Run a ppf pipeline file; ``config_path``, ``overrides`` and ``ledger_dir`` are templated.

    ``overrides`` are ``key=value`` strings relative to the pipeline block (``ppf run -o``).
    ``ledger_dir`` is the run ledger (default ``$PPF_LEDGER_DIR``, else ``.ppf/runs`` in the
    worker's working directory): a retry finds the previous try there, so retries must see the
    same ledger (a shared path when they may run on another worker).  ``resume_on_retry=False``
    runs the whole pipeline again on a retry.  The task's XCom value is
    :func:`~pyspark_pipeline_framework.integrations.outcomes.result_summary`.
    """

    template_fields: Sequence[str] = ("config_path", "overrides", "ledger_dir")
    ui_color = "#e8f4ea"

    def __init__(
        self,
        *,
        config_path: str | Path,
        overrides: Sequence[str] = (),
        ledger_dir: str | Path | None = None,
        partial_success_fails: bool = False,
        resume_on_retry: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.config_path = str(config_path)
        self.overrides = list(overrides)
        self.ledger_dir = str(ledger_dir) if ledger_dir is not None else None
        self.partial_success_fails = partial_success_fails
        self.resume_on_retry = resume_on_retry
        #: Set by :meth:`on_kill`; made per execution (an operator is copied, an event cannot be).
        self._stop: threading.Event | None = None

    def execute(self, context: Any) -> dict[str, Any]:
        ti = context["ti"]
        key = task_key(ti.dag_id, ti.task_id, ti.run_id, ti.map_index)
        resume = previous_attempt(key, self.ledger_dir) if ti.try_number > 1 and self.resume_on_retry else None
        if resume:
            self.log.info("try %s resumes run %s: only its unfinished steps run", ti.try_number, resume)
        self._stop = threading.Event()
        try:
            result = run_pipeline(
                self.config_path,
                overrides=self.overrides,
                resume=resume,
                ledger_dir=self.ledger_dir,
                run_id=attempt_run_id(key, ti.try_number),
                stop=self._stop,
            )
        except PipelineNotRun as error:  # nothing ran; a retry would stop at the same problem
            raise AirflowFailException(f"{self.config_path}: {error}") from None
        summary = result_summary(result)
        self.log.info(
            "run %s: %s (exit code %s: %s)", result.run_id, result.status, summary["exit_code"], summary["meaning"]
        )
        for step in result.steps:
            if step.error:
                self.log.error("step %s %s: %s", step.name, step.status.value, step.error)
        outcome = scheduler_outcome(result.exit_code, partial_success_fails=self.partial_success_fails)
        if outcome is SchedulerOutcome.SUCCESS:
            return summary
        message = f"run {result.run_id} of {self.config_path}: {result.status}, exit code {summary['exit_code']}"
        if outcome is SchedulerOutcome.RETRY:
            raise AirflowException(message)
        raise AirflowFailException(message)

    def on_kill(self) -> None:
        """Airflow stops the task (SIGTERM to the task's process): the run is cancelled in order.

        Called from Airflow's signal handler: it only sets the run's stop event, which the run
        looks at between two polls of its steps.
        """
        if self._stop is not None:
            self._stop.set()
