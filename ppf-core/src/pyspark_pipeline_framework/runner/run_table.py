"""``ppf runs list`` as a table: one line per run, under a header."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

HEADER = ("RUN ID", "PIPELINE", "STARTED (UTC)", "DURATION", "STATUS", "EXIT", "RESUMES")


def run_table(records: Sequence[Mapping[str, Any]]) -> str:
    """The runs under a header, columns aligned; a run still going shows no duration."""
    rows = [HEADER] + [_row(record) for record in records]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    if not any(row[-1] for row in rows[1:]):  # no resumed run: leave the column out
        rows, widths = [row[:-1] for row in rows], widths[:-1]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def _row(record: Mapping[str, Any]) -> tuple[str, ...]:
    started = _moment(record.get("started_at"))
    finished = _moment(record.get("finished_at"))
    exit_code = record.get("exit_code")
    return (
        str(record.get("run_id", "")),
        str(record.get("pipeline") or ""),
        started.strftime("%Y-%m-%d %H:%M:%S") if started else "",
        format_duration((finished - started).total_seconds()) if started and finished else "",
        str(record.get("status") or ""),
        "" if exit_code is None else str(exit_code),
        str(record.get("resumed_from") or ""),
    )


def _moment(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment


def format_duration(seconds: float) -> str:
    """``0.4s``, ``12.3s``, ``4m05s``, ``1h02m``."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
