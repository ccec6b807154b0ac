"""Step progress on a terminal; plain log lines (from the executor) everywhere else."""

from __future__ import annotations

import threading
import time
from typing import Any

from ..core.hook import Hook


class TerminalProgress(Hook):
    """Prints one line per step as it starts and ends, with its duration."""

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
        self._finish(step_name, "[green]✔[/green]", f"{step_result.duration_s:.1f}s, {step_result.attempts} attempt(s)")

    def on_step_error(self, step_name, error) -> None:
        self._finish(step_name, "[red]✘[/red]", f"{type(error).__name__}: {error}".splitlines()[0][:200])

    def _finish(self, step_name: str, mark: str, detail: str) -> None:
        with self._lock:
            self._done += 1
            done, total = self._done, self._total
        self._console.print(f"  {mark} {step_name} ({detail}) [{done}/{total}]")

    def pipeline_end(self, result) -> None:
        status = "[green]succeeded[/green]" if result.succeeded else "[red]failed[/red]"
        self._console.print(f"run {result.run_id} {status} in {result.duration_s:.1f}s")


def progress_plugins(stream: Any) -> list[object]:
    """The progress display when ``stream`` is a terminal; nothing otherwise."""
    return [TerminalProgress(stream)] if getattr(stream, "isatty", lambda: False)() else []
