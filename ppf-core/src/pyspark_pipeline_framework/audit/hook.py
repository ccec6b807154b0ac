"""The audit trail: an append-only record per step and per run of who ran what, where, when, on
which data, with which configuration, and how it ended.

Switched on by ``hooks { enable_audit_log = true }``.  Settings (all optional)::

    hooks {
      audit_log {
        path = "audit/ppf.jsonl"        # the built-in JSON-lines sink's file (default .ppf/audit.jsonl)
        sinks = ["jsonl", "my_sink"]     # default ["jsonl"]; others from the ppf.audit_sinks entry points
        my_sink { ... }                  # settings handed to that sink
      }
    }

Records are written when the run ends, when every step's row counts are final (outputs are
lazy: a source's rows are counted by the write downstream): one ``step`` record per step in
execution order, whatever its status, then one ``run`` record.  Configurations appear with
secret references kept and secret values masked (:mod:`..core.redaction`).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pyspark_pipeline_framework.core.hook import Hook
from pyspark_pipeline_framework.core.redaction import fingerprint, redact
from pyspark_pipeline_framework.audit.sinks import DEFAULT_PATH, AuditSink, JsonLinesAuditSink, load_audit_sink
from pyspark_pipeline_framework.core.datasets import step_datasets
from pyspark_pipeline_framework.core.results import SUMMARY_METRICS

__all__ = ["DEFAULT_PATH", "AuditLogHook"]


class AuditLogHook(Hook):
    """Appends who ran what, where, when, on which datasets, and how it ended."""

    name = "audit_log"

    def __init__(self, settings: dict[str, Any] | None = None):
        super().__init__(settings)
        names = self.settings.get("sinks", [JsonLinesAuditSink.name])
        self.sinks: list[tuple[str, AuditSink]] = []
        for sink_name in names:
            sink_settings = dict(self.settings.get(sink_name, {}))
            if sink_name == JsonLinesAuditSink.name and "path" in self.settings:
                sink_settings.setdefault("path", self.settings["path"])
            self.sinks.append((sink_name, load_audit_sink(sink_name, sink_settings)))

    @property
    def path(self):
        """The JSON-lines file, when that sink is in use."""
        return next((s.path for _, s in self.sinks if isinstance(s, JsonLinesAuditSink)), None)

    def after_micro_batch(self, query_name, batch_id, figures, context) -> None:
        """Streaming runs: one ``micro_batch`` record per committed micro-batch, as it commits."""
        self._emit(context, {"event": "micro_batch", "pipeline": context.run.pipeline, "run_id": context.run_id,
                             "query": query_name, "batch_id": batch_id, **figures})

    def pipeline_end(self, pipeline, context, result) -> None:
        config = redact(pipeline)
        base = {
            "pipeline": pipeline.name,
            "run_id": result.run_id,
            "user": context.run.user,
            "host": context.run.host,
            "started_at": context.run.started_at.isoformat(),
            "config_fingerprint": fingerprint(config),
        }
        run_inputs, run_outputs = [], []
        for step_result in result.steps:
            step = pipeline.step(step_result.name)
            datasets = step_datasets(context.step_kinds.get(step.name, ""), step.config)
            run_inputs += [d.to_dict() for d in datasets.inputs]
            run_outputs += [d.to_dict() for d in datasets.outputs]
            self._emit(context, {
                "event": "step", **base, "step": step.name, "type": step.type,
                "kind": context.step_kinds.get(step.name),
                "status": step_result.status.value, "attempts": step_result.attempts,
                "duration_s": step_result.duration_s,
                "inputs": [d.to_dict() for d in datasets.inputs],
                "outputs": [d.to_dict() for d in datasets.outputs],
                **{key: step_result.metrics[key] for key in SUMMARY_METRICS if key in step_result.metrics},
                "error": step_result.error,
                "config": redact(step.config),
            })
        failed = [s for s in result.steps if s.error]
        self._emit(context, {
            "event": "run", **base,
            "status": ("stopped" if getattr(result, "stopped", False) else "succeeded") if result.succeeded else "failed",
            "duration_s": result.duration_s,
            "steps": {s.name: s.status.value for s in result.steps},
            "inputs": run_inputs, "outputs": run_outputs,
            "rows": {s.name: s.metrics.get("rows_out") for s in result.steps if "rows_out" in s.metrics},
            "error": "; ".join(f"{s.name}: {s.error}" for s in failed) or None,
            "config": config,
        })

    def _emit(self, context: Any, record: dict[str, Any]) -> None:
        record = {"time": datetime.now(timezone.utc).isoformat(), **record}
        for sink_name, sink in self.sinks:
            try:
                sink.write(record)
            except Exception as exc:  # one broken sink must not lose the others' records
                context.logger.warning("audit_sink_failed", sink=sink_name, error=f"{type(exc).__name__}: {exc}")
