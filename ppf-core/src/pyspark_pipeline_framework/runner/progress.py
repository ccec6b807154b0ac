"""Step progress on a terminal; plain log lines (from the executor) everywhere else."""

from __future__ import annotations

import threading
import time
from typing import Any

from pyspark_pipeline_framework.core.hook import Hook
from pyspark_pipeline_framework.core.masking import secret_masker


class TerminalProgress(Hook):
    """Prints one line per step as it starts and ends, with its duration and the rows Spark reported.

    A sink's rows and bytes written are known when it finishes; a source's or transform's rows
    only once a later write computed them, so they appear in a ``rows:`` line at the end of the run.
    """

    name = "ppf.progress"

    def __init__(self, stream: Any):
        super().__init__()
        from rich.console import Console

        self._console = Console(file=stream, highlight=False)
        self._started: dict[str, float] = {}
        self._lock = threading.Lock()
        self._total = 0
        self._done = 0

    def pipeline_start(self, pipeline_name, pipeline) -> None:
        self._total = len(pipeline.steps)
        self._console.print(f"[bold]{pipeline_name}[/bold]: {self._total} steps")

    def before_step(self, step_name) -> None:
        with self._lock:
            self._started[step_name] = time.perf_counter()
        self._console.print(f"  [cyan]…[/cyan] {step_name}")

    def after_step(self, step_name, step_result) -> None:
        detail = [f"{step_result.duration_s:.1f}s", f"{step_result.attempts} attempt(s)"]
        metrics = step_result.metrics
        if metrics.get("rows_written") is not None:
            detail.append(f"{metrics['rows_written']:,} rows written")
        elif metrics.get("rows_out") is not None:
            detail.append(f"{metrics['rows_out']:,} rows")
        if metrics.get("rows_quarantined"):
            detail.append(f"{metrics['rows_quarantined']:,} quarantined")
        if metrics.get("bytes_written") is not None:
            detail.append(_size(metrics["bytes_written"]))
        self._finish(step_name, "[green]✔[/green]", ", ".join(detail))

    def on_step_error(self, step_name, error) -> None:
        from rich.markup import escape

        from pyspark_pipeline_framework.runtime.run.failures import describe_failure

        # Spark's errors reduced to their root cause; masked before it is cut (no prefix of a secret
        # value left); escaped: "[...]" in it is text.
        summary = secret_masker().mask(describe_failure(error).summary)
        first_line = (summary.splitlines() or [""])[0][:200]
        self._finish(step_name, "[red]✘[/red]", escape(first_line))

    def _finish(self, step_name: str, mark: str, detail: str) -> None:
        with self._lock:
            self._done += 1
            done, total = self._done, self._total
        self._console.print(f"  {mark} {step_name} ({detail}) [{done}/{total}]")

    def after_micro_batch(self, query_name, figures) -> None:
        detail = [f"{figures.get('rows_in', 0):,} rows in", f"{figures.get('duration_s', 0):.1f}s"]
        if figures.get("rows_written") is not None:
            detail.append(f"{figures['rows_written']:,} written")
        if figures.get("dead_letter_rows"):
            detail.append(f"{figures['dead_letter_rows']:,} dead letters")
        if figures.get("offsets_behind_latest") is not None:
            detail.append(f"{figures['offsets_behind_latest']:,} offsets behind")
        self._console.print(f"  [green]●[/green] {query_name} batch {figures.get('batch_id')} ({', '.join(detail)})")

    def pipeline_end(self, result) -> None:
        rows = [
            f"{step.name} {step.metrics['rows_out']:,}"
            for step in result.steps
            if step.metrics.get("rows_out") is not None
        ]
        if rows:  # final only now: lazy steps are counted by the writes downstream
            self._console.print("  rows: " + ", ".join(rows), markup=False)
        status = "[green]succeeded[/green]" if result.succeeded else "[red]failed[/red]"
        if result.stopped:
            status = "[yellow]stopped[/yellow]"
        elif result.cancelled:
            status = "[yellow]cancelled[/yellow]"
        self._console.print(f"run {result.run_id} {status} in {result.duration_s:.1f}s")


def _size(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count} B"


def progress_plugins(stream: Any) -> list[object]:
    """The progress display when ``stream`` is a terminal; nothing otherwise."""
    return [TerminalProgress(stream)] if getattr(stream, "isatty", lambda: False)() else []
