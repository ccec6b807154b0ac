"""The audit trail: one JSON line per step and per run, appended to a file.

Switched on by ``hooks { enable_audit_log = true }``; ``hooks { audit_log { path = "..." } }``
chooses the file (default ``.ppf/audit.jsonl``).
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..core.hook import Hook

DEFAULT_PATH = ".ppf/audit.jsonl"


class AuditLogHook(Hook):
    """Appends who ran what, where, when and how it ended."""

    name = "audit_log"

    def __init__(self, settings: dict[str, Any] | None = None):
        super().__init__(settings)
        self.path = Path(self.settings.get("path", DEFAULT_PATH))
        self._lock = threading.Lock()

    def _append(self, record: dict[str, Any]) -> None:
        record = {"time": datetime.now(timezone.utc).isoformat(), **record}
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(record, default=str) + "\n")

    def _base(self, context: Any) -> dict[str, Any]:
        run = context.run
        return {"pipeline": run.pipeline, "run_id": run.run_id, "user": run.user, "host": run.host}

    def after_step(self, step_name, step, context, step_result) -> None:
        self._append({**self._base(context), "event": "step", "step": step_name, "type": step.type,
                      **step_result.to_dict()})

    def on_step_error(self, step_name, step, context, error) -> None:
        self._append({**self._base(context), "event": "step", "step": step_name, "type": step.type,
                      "status": "failed", "error": f"{type(error).__name__}: {error}"})

    def pipeline_end(self, context, result) -> None:
        self._append({**self._base(context), "event": "run", "status": "succeeded" if result.succeeded else "failed",
                      "duration_s": result.duration_s})
