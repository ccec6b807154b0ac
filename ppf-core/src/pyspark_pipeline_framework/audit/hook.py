"""The audit trail: an append-only record per step and per run of who ran what, where, when, on
which data, with which configuration, and how it ended.

Switched on by ``hooks { enable_audit_log = true }``.  Settings (all optional)::

    hooks {
      audit_log {
        path = "audit/ppf.jsonl"         # the built-in JSON-lines sink's file (default .ppf/audit.jsonl)
        sinks = ["jsonl", "my_sink"]      # default ["jsonl"]; others from the ppf.audit_sinks entry points
        sink_settings {                   # settings handed to each sink named in sinks
          my_sink { ... }
        }
      }
    }

Records are written when the run ends, when every step's row counts are final (outputs are
lazy: a source's rows are counted by the write downstream): one ``step`` record per step in
execution order, whatever its status, then one ``run`` record.  Configurations appear with
secret references kept and secret values masked (:mod:`..core.redaction`); every string of a
record passes through the secret masker (:mod:`..core.masking`) before any sink sees it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import attrs

from pyspark_pipeline_framework.audit.sinks import (
    DEFAULT_PATH,
    AuditSink,
    JsonLinesAuditSink,
    installed_audit_sinks,
    load_audit_sink,
)
from pyspark_pipeline_framework.core.errors import error_text
from pyspark_pipeline_framework.core.hook import Hook, HookSettings

# What the records need (redaction, datasets, figures, masking) is imported when they are written:
# `ppf validate` imports this module only to learn whether the plugin loads by itself.

__all__ = ["DEFAULT_PATH", "AuditLogHook", "AuditLogSettings"]


class AuditLogSettings(HookSettings):
    """``hooks { audit_log { ... } }``; every key is optional."""

    #: The file the built-in ``jsonl`` sink appends to.
    path: str = DEFAULT_PATH
    #: Where records go: ``jsonl`` and sinks registered in the ``ppf.audit_sinks`` entry points.
    sinks: list[str] = attrs.field(factory=lambda: [JsonLinesAuditSink.name])
    #: Each sink's own settings by its name, ``sink_settings { my_sink { ... } }``; only for sinks in ``sinks``.
    sink_settings: dict[str, dict[str, Any]] = attrs.field(factory=dict)

    def check(self) -> Iterator[tuple[str, str]]:
        installed = installed_audit_sinks()
        for index, name in enumerate(self.sinks):
            if name not in installed:
                yield f"sinks[{index}]", f"no audit sink named {name!r}; installed audit sinks: {', '.join(installed)}"
        for name in self.sink_settings:
            if name not in self.sinks:
                close = difflib.get_close_matches(name, self.sinks, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"add {name!r} to sinks or remove the block"
                yield f"sink_settings.{name}", f"settings for {name!r}, which is not in sinks: {hint}"


def _dead_letter_figures(kind: str | None, metrics: dict[str, Any]) -> dict[str, Any]:
    """A step's dead-letter rows; for a source also its rows read (passed on + sent to the dead letters)."""
    dead = metrics.get("dead_letter_rows", 0) or 0
    figures: dict[str, Any] = {"dead_letter_rows": dead} if dead or kind == "source" else {}
    if kind == "source":
        passed_on = metrics.get("rows_out")
        figures["rows_read"] = None if passed_on is None else passed_on + dead
    return figures


class AuditLogHook(Hook[AuditLogSettings]):
    """Appends who ran what, where, when, on which datasets, and how it ended."""

    name = "audit_log"

    def __init__(self, settings: AuditLogSettings | None = None):
        super().__init__(settings)
        self.sinks: list[tuple[str, AuditSink]] = []
        for sink_name in self.settings.sinks:
            sink_settings = dict(self.settings.sink_settings.get(sink_name, {}))
            if sink_name == JsonLinesAuditSink.name:
                sink_settings.setdefault("path", self.settings.path)
            self.sinks.append((sink_name, load_audit_sink(sink_name, sink_settings)))

    @property
    def path(self):
        """The JSON-lines file, when that sink is in use."""
        return next((s.path for _, s in self.sinks if isinstance(s, JsonLinesAuditSink)), None)

    def after_micro_batch(self, query_name, batch_id, figures, context) -> None:
        """Streaming runs: one ``micro_batch`` record per committed micro-batch, as it commits."""
        self._emit(
            context,
            {
                "event": "micro_batch",
                "pipeline": context.run.pipeline,
                "run_id": context.run_id,
                "query": query_name,
                "batch_id": batch_id,
                **figures,
            },
        )

    def pipeline_end(self, pipeline, context, result) -> None:
        from pyspark_pipeline_framework.core.datasets import step_datasets
        from pyspark_pipeline_framework.core.redaction import fingerprint, redact
        from pyspark_pipeline_framework.core.results import SUMMARY_METRICS

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
            self._emit(
                context,
                {
                    "event": "step",
                    **base,
                    "step": step.name,
                    "type": step.type,
                    "kind": context.step_kinds.get(step.name),
                    "status": step_result.status.value,
                    "attempts": step_result.attempts,
                    "duration_s": step_result.duration_s,
                    "inputs": [d.to_dict() for d in datasets.inputs],
                    "outputs": [d.to_dict() for d in datasets.outputs],
                    **{key: step_result.metrics[key] for key in SUMMARY_METRICS if key in step_result.metrics},
                    **_dead_letter_figures(context.step_kinds.get(step.name), step_result.metrics),
                    "error": step_result.error,
                    "config": redact(step.config),
                },
            )
        failed = [s for s in result.steps if s.error]
        self._emit(
            context,
            {
                "event": "run",
                **base,
                # succeeded, failed, cancelled (by a signal) or stopped (a streaming run); a partial success is failed here.
                "status": "failed" if result.partial else result.status,
                "duration_s": result.duration_s,
                "steps": {s.name: s.status.value for s in result.steps},
                "inputs": run_inputs,
                "outputs": run_outputs,
                "rows": {s.name: s.metrics.get("rows_out") for s in result.steps if "rows_out" in s.metrics},
                "error": "; ".join(f"{s.name}: {s.error}" for s in failed) or None,
                **({"reason": result.cancel_reason} if result.cancelled else {}),
                "config": config,
            },
        )

    def _emit(self, context: Any, record: dict[str, Any]) -> None:
        from pyspark_pipeline_framework.core.masking import secret_masker

        # Masked once for every sink: an error text may quote a resolved secret value.
        record = secret_masker().mask_all({"time": datetime.now(UTC).isoformat(), **record})
        for sink_name, sink in self.sinks:
            try:
                sink.write(record)
            except Exception as exc:  # one broken sink must not lose the others' records
                context.logger.warning("audit_sink_failed", sink=sink_name, error=error_text(exc))
