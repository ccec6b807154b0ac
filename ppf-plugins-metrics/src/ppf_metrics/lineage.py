"""The ``lineage`` hook plugin: OpenLineage run events for every run and every step.

Switched on by ``hooks { enable_lineage = true }``.  Per run and per step: one ``START`` and exactly
one terminal ``COMPLETE`` or ``FAIL``.  Step runs carry a parent-run facet naming the pipeline's run,
so a lineage backend shows them under it.  Datasets are named from the ``path``/``table`` of source
and sink configs (:mod:`pyspark_pipeline_framework.core.datasets`); row and byte counts ride
along as output- and input-statistics facets, a validator's check results as data-quality facets
on the data it checked (the upstream step's output, dataset ``<pipeline>.<step>`` in namespace
``ppf://<namespace>``), and a failure as an error-message facet.

Row counts of lazy steps are final only at the end of the run, so a successful step's
``COMPLETE`` is sent when the run ends, stamped with the time the step finished; a failed step's
``FAIL`` is sent at once.

Events are built and sent on a background thread (openlineage-python is imported there too, while
Spark works), so neither the import nor a slow backend holds a step up; when the run
ends, the plugin waits for them at most ``timeout`` seconds, then moves on and logs what was not
sent.  Transports are openlineage-python's own (``file``, ``console``, ``http``, ...), configured in
``hooks { lineage { transport { ... } } }`` or, when that is absent, through OpenLineage's own
configuration (``OPENLINEAGE_CONFIG``, ``openlineage.yml``, ``OPENLINEAGE_URL``...).
"""

from __future__ import annotations

import queue
import threading
import time
import traceback
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pyspark_pipeline_framework.core import Hook, HookSettings, Seconds, error_text, secret_masker

if TYPE_CHECKING:
    from pyspark_pipeline_framework.core import Dataset

PRODUCER = "https://github.com/ppf/pyspark-pipeline-framework/tree/main/ppf-plugins-metrics"
_RUN_NAMESPACE = uuid.UUID("8a7d1c0e-4b1f-4f7e-9c3a-6f0c5d2b9e11")


class LineageSettings(HookSettings):
    """``hooks { lineage { ... } }``; every key is optional."""

    #: The OpenLineage job namespace of the pipeline and its steps.
    namespace: str = "ppf"
    #: An openlineage-python transport config, e.g. { type = "file", log_file_path = "lineage.jsonl" };
    #: absent: OpenLineage's own configuration decides.
    transport: dict[str, Any] | None = None
    #: The most the end of a run waits for undelivered events.
    timeout: Seconds = Seconds(10.0)


def run_uuid(ppf_run_id: str, step: str | None = None) -> str:
    """OpenLineage wants UUIDs; derived from ppf's run id so a run's events can be found again."""
    return str(uuid.uuid5(_RUN_NAMESPACE, ppf_run_id if step is None else f"{ppf_run_id}/{step}"))


class LineageHook(Hook[LineageSettings]):
    """Sends OpenLineage START/COMPLETE/FAIL events for the run and each step.

    ``client`` replaces the OpenLineage client built from the settings (tests, embedding).
    One instance observes one run.
    """

    name = "lineage"

    def __init__(self, settings: LineageSettings | None = None, *, client: Any = None):
        super().__init__(settings)
        self._client = client
        self._queue: queue.Queue = queue.Queue()
        self._sender: threading.Thread | None = None
        self._lock = threading.Lock()
        self._finished_at: dict[str, datetime] = {}
        self._terminal_sent: set[str] = set()
        self._failures: list[str] = []
        self._log: Any = None
        self._pipeline: Any = None

    # -- run lifecycle -------------------------------------------------------------------------
    # Each hook only notes the time and queues the work: events are built (importing
    # openlineage-python) and sent on the background thread, while Spark does the run's work.
    def pipeline_start(self, pipeline, context) -> None:
        self._log = context.logger
        self._pipeline = pipeline  # the step hooks are not given it
        self._later(self._start_run, pipeline, context, _now())

    def before_step(self, step_name, step, context) -> None:
        self._later(self._start_step, step_name, step, context, _now())

    def after_step(self, step_name) -> None:
        with self._lock:  # COMPLETE waits for the run's end, when row counts are final
            self._finished_at[step_name] = _now()

    def on_step_error(self, step_name, context, error) -> None:
        self._later(self._fail_step, step_name, context, error, _now())

    def pipeline_end(self, pipeline, context, result) -> None:
        self._later(self._end_run, pipeline, context, result, _now())
        self._drain(context.logger)

    def _start_run(self, pipeline: Any, context: Any, at: datetime) -> None:
        inputs, outputs = self._pipeline_datasets(pipeline, context)
        self._send(
            "START",
            self._run(context.run_id),
            self._job(pipeline.name, "PIPELINE"),
            inputs=[self._input(d) for d in inputs],
            outputs=[self._output(d) for d in outputs],
            event_time=at,
        )

    def _start_step(self, step_name: str, step: Any, context: Any, at: datetime) -> None:
        datasets = _step_datasets(context.step_kinds.get(step_name, ""), step.config)
        self._send(
            "START",
            self._step_run(context, step_name),
            self._job(f"{self._pipeline.name}.{step_name}", "STEP"),
            inputs=[self._input(d) for d in datasets.inputs],
            outputs=[self._output(d) for d in datasets.outputs],
            event_time=at,
        )

    def _fail_step(self, step_name: str, context: Any, error: BaseException, at: datetime) -> None:
        facets = {"errorMessage": self._error_facet(error)}
        metrics = getattr(error, "metrics", None) or {}
        inputs = self._checked_inputs(self._pipeline, step_name, metrics)
        self._terminal(
            step_name,
            "FAIL",
            self._step_run(context, step_name, facets),
            self._job(f"{self._pipeline.name}.{step_name}", "STEP"),
            inputs=inputs,
            event_time=at,
        )

    def _end_run(self, pipeline: Any, context: Any, result: Any, at: datetime) -> None:
        with self._lock:
            finished_at = dict(self._finished_at)
        for step_result in result.steps:
            step = pipeline.step(step_result.name)
            if step_result.name not in finished_at:
                continue  # failed (FAIL already sent) or never started
            datasets = _step_datasets(context.step_kinds.get(step.name, ""), step.config)
            metrics = step_result.metrics
            self._terminal(
                step.name,
                "COMPLETE",
                self._step_run(context, step.name),
                self._job(f"{pipeline.name}.{step.name}", "STEP"),
                inputs=[self._input(d, metrics.get("rows_out")) for d in datasets.inputs]
                + self._checked_inputs(pipeline, step.name, metrics),
                outputs=[
                    self._output(d, metrics.get("rows_written"), metrics.get("bytes_written")) for d in datasets.outputs
                ],
                event_time=finished_at[step.name],
            )
        inputs, _ = self._pipeline_datasets(pipeline, context)
        outputs, seen = [], set()
        for step_result in result.steps:  # each sink's dataset, with what that sink wrote
            for dataset in self._sink_datasets(pipeline, context, step_result.name):
                if dataset not in seen:
                    seen.add(dataset)
                    outputs.append(
                        self._output(
                            dataset, step_result.metrics.get("rows_written"), step_result.metrics.get("bytes_written")
                        )
                    )
        run_facets = {}
        state = "COMPLETE"
        if not result.succeeded:
            state = "FAIL"
            failed = [f"{s.name}: {s.error}" for s in result.steps if s.error]
            run_facets["errorMessage"] = self._error_facet(None, "; ".join(failed) or "the run failed")
        self._terminal(
            None,
            state,
            self._run(context.run_id, run_facets),
            self._job(pipeline.name, "PIPELINE"),
            inputs=[self._input(d) for d in inputs],
            outputs=outputs,
            event_time=at,
        )

    # -- events --------------------------------------------------------------------------------
    def _terminal(
        self,
        step_name: str | None,
        state: str,
        run: Any,
        job: Any,
        *,
        inputs=(),
        outputs=(),
        event_time: datetime | None = None,
    ) -> None:
        key = step_name or "\0run"
        with self._lock:
            if key in self._terminal_sent:
                return  # exactly one COMPLETE or FAIL
            self._terminal_sent.add(key)
        self._send(state, run, job, inputs=list(inputs), outputs=list(outputs), event_time=event_time)

    def _send(
        self, state: str, run: Any, job: Any, *, inputs=(), outputs=(), event_time: datetime | None = None
    ) -> None:
        """Build and emit one event (on the background thread)."""
        from openlineage.client.event_v2 import RunEvent, RunState

        event = RunEvent(
            eventType=getattr(RunState, state),
            eventTime=(event_time or _now()).isoformat(),
            run=run,
            job=job,
            producer=PRODUCER,
            inputs=list(inputs),
            outputs=list(outputs),
        )
        self._client_or_build().emit(event)

    def _later(self, work: Any, *args: Any) -> None:
        self._start_sender()
        self._queue.put((work, args))

    def _run(self, ppf_run_id: str, facets: dict | None = None) -> Any:
        from openlineage.client.event_v2 import Run

        return Run(runId=run_uuid(ppf_run_id), facets=facets or {})

    def _step_run(self, context: Any, step_name: str, facets: dict | None = None) -> Any:
        from openlineage.client.event_v2 import Run
        from openlineage.client.facet_v2 import parent_run

        parent = parent_run.ParentRunFacet(
            run=parent_run.Run(runId=run_uuid(context.run_id)),
            job=parent_run.Job(namespace=self.settings.namespace, name=self._pipeline.name),
        )
        return Run(runId=run_uuid(context.run_id, step_name), facets={"parent": parent, **(facets or {})})

    def _job(self, name: str, job_type: str) -> Any:
        from openlineage.client.event_v2 import Job
        from openlineage.client.facet_v2 import job_type_job

        facet = job_type_job.JobTypeJobFacet(processingType="BATCH", integration="PPF", jobType=job_type)
        return Job(namespace=self.settings.namespace, name=name, facets={"jobType": facet})

    @staticmethod
    def _input(dataset: Dataset, rows: int | None = None, facets: dict | None = None) -> Any:
        from openlineage.client.event_v2 import InputDataset
        from openlineage.client.facet_v2 import input_statistics_input_dataset

        input_facets = dict(facets or {})
        if rows is not None:
            input_facets["inputStatistics"] = input_statistics_input_dataset.InputStatisticsInputDatasetFacet(
                rowCount=rows
            )
        return InputDataset(namespace=dataset.namespace, name=dataset.name, inputFacets=input_facets)

    @staticmethod
    def _output(dataset: Dataset, rows: int | None = None, size: int | None = None) -> Any:
        from openlineage.client.event_v2 import OutputDataset
        from openlineage.client.facet_v2 import OutputDatasetFacet, output_statistics_output_dataset

        facets: dict[str, OutputDatasetFacet] = {}
        if rows is not None or size is not None:
            facets["outputStatistics"] = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                rowCount=rows, size=size
            )
        return OutputDataset(namespace=dataset.namespace, name=dataset.name, outputFacets=facets)

    def _checked_inputs(self, pipeline: Any, step_name: str, metrics: Mapping[str, Any]) -> list[Any]:
        """A validator's results, as data-quality facets on the step output it checked."""
        report = metrics.get("data_quality")
        if not isinstance(report, Mapping) or not report.get("checks") or report.get("pending"):
            return []
        from openlineage.client.facet_v2 import InputDatasetFacet
        from openlineage.client.facet_v2 import data_quality_assertions_dataset as dqa
        from openlineage.client.facet_v2 import data_quality_metrics_input_dataset as dqm

        assertions = [
            dqa.Assertion(
                assertion=str(entry.get("type", name)),
                success=bool(entry.get("passed", False)),
                name=str(name),
                severity=str(entry.get("action")) if entry.get("action") else None,
                actual=str(entry["rows_failed"]) if "rows_failed" in entry else entry.get("message"),
            )
            for name, entry in report["checks"].items()
        ]
        facets: dict[str, InputDatasetFacet] = {
            "dataQualityAssertions": dqa.DataQualityAssertionsDatasetFacet(assertions=assertions)
        }
        if report.get("rows_checked") is not None:
            facets["dataQualityMetrics"] = dqm.DataQualityMetricsInputDatasetFacet(
                rowCount=int(report["rows_checked"]), columnMetrics={}
            )
        from pyspark_pipeline_framework.core import Dataset

        return [
            self._input(
                Dataset(f"ppf://{self.settings.namespace}", f"{pipeline.name}.{upstream}", "step"), facets=facets
            )
            for upstream in _inputs_of(pipeline, step_name)
        ]

    @staticmethod
    def _error_facet(error: BaseException | None, message: str | None = None) -> Any:
        from openlineage.client.facet_v2 import error_message_run

        masker = secret_masker()  # an error's text may quote a resolved secret value
        stack = masker.mask("".join(traceback.format_exception(error))) if error is not None else None
        text = message if message or error is None else error_text(error)
        return error_message_run.ErrorMessageRunFacet(
            message=masker.mask(text or ""), programmingLanguage="PYTHON", stackTrace=stack
        )

    @staticmethod
    def _pipeline_datasets(pipeline: Any, context: Any) -> tuple[list[Dataset], list[Dataset]]:
        inputs, outputs = [], []
        for step in pipeline.steps:
            datasets = _step_datasets(context.step_kinds.get(step.name, ""), step.config)
            inputs += [d for d in datasets.inputs if d not in inputs]
            outputs += [d for d in datasets.outputs if d not in outputs]
        return inputs, outputs

    @staticmethod
    def _sink_datasets(pipeline: Any, context: Any, step_name: str) -> list[Dataset]:
        return _step_datasets(context.step_kinds.get(step_name, ""), pipeline.step(step_name).config).outputs

    # -- delivery ------------------------------------------------------------------------------
    def _start_sender(self) -> None:
        with self._lock:
            if self._sender is not None:
                return
            self._sender = threading.Thread(target=self._deliver, name="ppf-lineage", daemon=True)  # never blocks exit
            self._sender.start()

    def _client_or_build(self) -> Any:
        if self._client is None:
            from openlineage.client import OpenLineageClient

            transport = self.settings.transport
            self._client = (
                OpenLineageClient(config={"transport": dict(transport)}) if transport else OpenLineageClient()
            )
        return self._client

    def _deliver(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                work, args = item
                work(*args)
            except Exception as exc:  # a lineage backend that is down must not fail the pipeline
                with self._lock:
                    self._failures.append(f"{type(exc).__name__}: {exc}"[:500])
            finally:
                self._queue.task_done()

    def _drain(self, log: Any) -> None:
        """Wait (bounded) for the events to go out, then report what did not."""
        deadline = time.monotonic() + self.settings.timeout
        self._queue.put(None)
        sender = self._sender
        if sender is not None:
            sender.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            failures, self._failures = self._failures, []
        if sender is not None and sender.is_alive():
            log.warning(
                "lineage_not_delivered",
                reason=f"events still pending after {self.settings.timeout}s",
                pending=self._queue.qsize(),
            )
        elif self._client is not None:
            try:
                self._client.close(max(0.0, deadline - time.monotonic()))
            except Exception:
                pass
        for failure in failures[:5]:
            log.warning("lineage_emit_failed", error=failure)
        if len(failures) > 5:
            log.warning("lineage_emit_failed", error=f"{len(failures) - 5} more events failed")


def _step_datasets(kind: str, config: Any) -> Any:
    """The datasets a step reads and writes: imported when a run reports, not when ``ppf validate`` imports the plugin."""
    from pyspark_pipeline_framework.core import step_datasets

    return step_datasets(kind, config)


def _now() -> datetime:
    return datetime.now(UTC)


def _inputs_of(pipeline: Any, step_name: str) -> list[str]:
    """The steps a step reads: its ``inputs``, or by default the step before it."""
    step = pipeline.step(step_name)
    if step.inputs is not None:
        return list(step.inputs)
    names = [s.name for s in pipeline.steps]
    index = names.index(step_name)
    return [names[index - 1]] if index > 0 else []
