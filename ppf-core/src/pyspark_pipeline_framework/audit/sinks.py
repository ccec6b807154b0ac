"""Where audit records go: a JSON-lines file by default, anything else through the
``ppf.audit_sinks`` entry-point group.

An audit sink is a class taking its settings (a dict, from
``hooks { audit_log { sink_settings { <name> { ... } } } }``)
with a ``write(record: dict) -> None`` method and an optional ``close()``.  Records are plain
JSON-ready dicts; a sink must only append, never rewrite what it wrote.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Protocol

from pyspark_pipeline_framework.core.entry_points import entry_points
from pyspark_pipeline_framework.core.errors import PpfError

AUDIT_SINK_GROUP = "ppf.audit_sinks"
DEFAULT_PATH = ".ppf/audit.jsonl"


class UnknownAuditSink(PpfError, LookupError):
    """``sinks`` names an audit sink that is neither built in nor installed."""

    permanent = True


class AuditSink(Protocol):
    """Receives each audit record once, in order."""

    def write(self, record: dict[str, Any]) -> None: ...


class JsonLinesAuditSink:
    """Appends one JSON object a line to ``path`` (default ``.ppf/audit.jsonl``)."""

    name = "jsonl"

    def __init__(self, settings: dict[str, Any] | None = None):
        self.path = Path((settings or {}).get("path", DEFAULT_PATH))
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, default=str, sort_keys=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:  # append-only
                out.write(line)


def installed_audit_sinks() -> list[str]:
    """The names a pipeline may list in ``sinks``: ``jsonl`` and the ``ppf.audit_sinks`` entry points."""
    return sorted({JsonLinesAuditSink.name, *(ep.name for ep in entry_points(group=AUDIT_SINK_GROUP))})


def load_audit_sink(name: str, settings: dict[str, Any]) -> AuditSink:
    """The built-in ``jsonl`` sink, or the sink registered under ``name`` in ``ppf.audit_sinks``."""
    if name == JsonLinesAuditSink.name:
        return JsonLinesAuditSink(settings)
    found = {ep.name: ep for ep in entry_points(group=AUDIT_SINK_GROUP)}
    if name not in found:
        raise UnknownAuditSink(
            f"no audit sink named {name!r}", hint=f"installed audit sinks: {', '.join(installed_audit_sinks())}"
        )
    return found[name].load()(settings)
