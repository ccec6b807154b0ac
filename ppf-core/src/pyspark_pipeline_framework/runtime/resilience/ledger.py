"""The run ledger: what each run did, step by step, so a failed run can be resumed.

One JSON file per run in the ledger directory (default ``.ppf/runs``; a URL such as
``s3a://bucket/prefix`` keeps it on shared storage a plugin serves, :mod:`.local_storage`),
rewritten atomically after every step, so even a killed run leaves its record: per step the status, attempts, timing, error,
fingerprint and output location (a checkpoint of a source or transform; a sink's target).

**Fingerprints** hash each step's type, config (secret references stay references: secrets are
resolved only when a step runs), inputs and the fingerprints of its inputs, so a step's
fingerprint changes when anything upstream of it changes.

**Resume** (:func:`plan_resume`) re-runs the failed, skipped and not-run steps of a run and
everything downstream of them; completed steps are not run again, and those whose output a
re-run step reads are read back from their checkpoint (``checkpoint = true``).  Once a run
succeeds, nothing is left to resume: its checkpoints and those of the runs it resumed are deleted.
A resume that would re-run a step which already appended in that run (it ran on the input of a
step that failed with ``on_failure = continue``) is refused: its rows would be written twice.

**Liveness**: a run's process holds a lock on its entry while the run lives (a ``flock`` in a
local directory, :mod:`.liveness`; what the storage provides elsewhere, a lease on S3); a record
still ``running`` whose lock nobody holds is read as ``died`` (killed, out of memory), and a run
that is still alive cannot be resumed.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from pyspark_pipeline_framework.core.component import ComponentKind
from pyspark_pipeline_framework.core.errors import PpfError
from pyspark_pipeline_framework.core.masking import secret_masker
from pyspark_pipeline_framework.core.state_storage import RunStateLock, StateStorage
from pyspark_pipeline_framework.runtime.resilience.local_storage import location_exists, open_state_storage

if TYPE_CHECKING:
    from pyspark_pipeline_framework.core.pipeline import ResolvedPipeline
    from pyspark_pipeline_framework.core.results import RunResult, StepResult

DEFAULT_LEDGER_DIR = ".ppf/runs"


class ResumeRefused(PpfError):
    """The run cannot be resumed as asked; the message says why and what to do."""

    permanent = True


def step_fingerprints(pipeline: ResolvedPipeline) -> dict[str, str]:
    """A fingerprint per step: its own settings and, recursively, its inputs' fingerprints."""
    fingerprints: dict[str, str] = {}
    for name in pipeline.graph.topological_order():
        step = pipeline.spec.step(name)
        resolved = pipeline.steps[name]
        own = {
            "type": step.type,
            "config": attrs.asdict(resolved.config) if attrs.has(type(resolved.config)) else repr(resolved.config),
            "inputs": list(pipeline.graph.inputs[name]),
            "upstream": [fingerprints[u] for u in pipeline.graph.inputs[name]],
        }
        text = json.dumps(own, sort_keys=True, default=str)
        fingerprints[name] = hashlib.sha256(text.encode()).hexdigest()[:16]
    return fingerprints


@attrs.frozen
class ResumePlan:
    """What a resumed run does: steps to re-run, steps whose earlier output is reused (and where)."""

    resumed_from: str
    rerun: frozenset[str]
    #: Completed steps whose checkpoint a re-run step reads, by step name.
    reuse_outputs: Mapping[str, str]
    #: Completed steps that are not run again and whose output nobody needs now.
    done: frozenset[str]


def plan_resume(pipeline: ResolvedPipeline, record: Mapping[str, Any]) -> ResumePlan:
    """Decide what to re-run; raise :class:`ResumeRefused` when completed outputs cannot be trusted."""
    if record.get("pipeline") != pipeline.spec.name:
        raise ResumeRefused(
            f"run {record.get('run_id')} belongs to pipeline {record.get('pipeline')!r}, not {pipeline.spec.name!r}"
        )
    old_steps = record.get("steps", {})
    fingerprints = step_fingerprints(pipeline)
    graph = pipeline.graph
    rerun: set[str] = set()
    for name in graph.topological_order():
        old = old_steps.get(name)
        if old is None or old.get("status") != "succeeded" or any(u in rerun for u in graph.inputs[name]):
            rerun.add(name)
    if not rerun:
        raise ResumeRefused(f"run {record.get('run_id')} completed every step; there is nothing to resume")
    _refuse_appending_again(pipeline, record, rerun)
    reuse: dict[str, str] = {}
    done: set[str] = set()
    changed = []
    for name in graph.topological_order():
        if name in rerun:
            continue
        if old_steps[name].get("fingerprint") != fingerprints[name]:
            changed.append(name)
        if any(name in graph.inputs[consumer] for consumer in rerun):
            location = old_steps[name].get("checkpoint")
            if not location or not location_exists(location):
                raise ResumeRefused(
                    f"step {name!r} completed in run {record.get('run_id')} but its output was not kept "
                    f"(checkpoint missing{': ' + location if location else ''}); set checkpoint = true on the "
                    "pipeline or the step to make runs resumable, and run again without --resume"
                )
            reuse[name] = location
        else:
            done.add(name)
    if changed:
        raise ResumeRefused(
            f"the configuration of completed step(s) {', '.join(map(repr, changed))} (or of what they read) changed "
            f"since run {record.get('run_id')}; their outputs no longer match it. Run again without --resume"
        )
    return ResumePlan(str(record.get("run_id")), frozenset(rerun), reuse, frozenset(done))


def _refuse_appending_again(pipeline: ResolvedPipeline, record: Mapping[str, Any], rerun: set[str]) -> None:
    """A step that succeeded but must run again (it ran on the input of a step that failed with
    ``on_failure = continue``) must not append what it appended in that run a second time."""
    run_id = record.get("run_id")
    appended = []
    for name in pipeline.graph.topological_order():
        old = record.get("steps", {}).get(name) or {}
        if name not in rerun or old.get("status") != "succeeded":
            continue
        step = pipeline.steps.get(name)
        if (
            step is not None
            and step.component_class.kind == ComponentKind.SINK
            and getattr(step.config, "mode", None) == "append"
        ):
            appended.append(f"step {name!r} appended its output to {_sink_location(step.config)}")
        dead_letter = pipeline.dead_letters.get(name)
        written = old.get("dead_letters_written")
        if written and getattr(dead_letter.config if dead_letter else None, "mode", "append") == "append":
            where = _sink_location(dead_letter.config) if dead_letter else None
            appended.append(f"step {name!r} appended {written} dead letters to {where}")
    if appended:
        raise ResumeRefused(
            f"resuming run {run_id} would re-run steps that already wrote in it, and append the same rows again: "
            f"{'; '.join(appended)} (they ran on the input of a step that failed with on_failure = continue)",
            hint=f"remove what run {run_id} appended there (dead letters carry _ppf_run_id = {run_id!r}) and run "
            "again without --resume, or write those outputs with mode = overwrite",
        )


class RunLedger:
    """Reads and writes the run records of one ledger location (a directory, or a URL a plugin serves)."""

    def __init__(self, directory: str | Path | StateStorage = DEFAULT_LEDGER_DIR):
        self.storage = open_state_storage(directory) if isinstance(directory, (str, Path)) else directory
        #: The ledger's location as given, for messages.
        self.directory = self.storage.root

    def run_outputs_dir(self, run_id: str) -> str:
        return self.storage.location(f"{run_id}/outputs")

    def checkpoint_dir(self, run_id: str, step_name: str) -> str:
        return self.storage.location(f"{run_id}/outputs/{step_name}")

    def run_lock(self, run_id: str) -> RunStateLock:
        """The lock the run's process holds while the run lives (:mod:`.liveness`)."""
        return self.storage.run_lock(_lock_name(run_id))

    def alive(self, run_id: str) -> bool:
        """Whether the process of a run still holds its lock."""
        return self.storage.lock_held(_lock_name(run_id))

    def remove_outputs(self, run_id: str) -> str | None:
        """Delete a run's checkpoints; their location when there were any."""
        return self.run_outputs_dir(run_id) if self.storage.remove_tree(f"{run_id}/outputs") else None

    def runs(self) -> list[dict[str, Any]]:
        """Every run record, oldest first (run ids sort by start time); a dead run's status is ``died``."""
        records = []
        for name in self.storage.names(".json"):
            record = self._read(name)
            if record is not None:
                records.append(record)
        return records

    def _read(self, name: str) -> dict[str, Any] | None:
        record = self._parse(name)
        if record is None or record.get("status") != "running" or self.alive(str(record.get("run_id"))):
            return record
        # Read again: the run may have ended between the two reads (its last write comes before the lock is freed).
        record = self._parse(name)
        if record is not None and record.get("status") == "running":
            record["status"] = "died"
            record["reason"] = (
                f"the process (pid {record.get('pid')} on {record.get('host')}) ended without finishing the run: "
                "killed (SIGKILL), out of memory, or its machine stopped"
            )
        return record

    def _parse(self, name: str) -> dict[str, Any] | None:
        try:
            text = self.storage.read_text(name)
            return json.loads(text) if text is not None else None
        except (OSError, ValueError):
            return None  # a record being written by another process right now

    def load(self, run_id: str) -> dict[str, Any]:
        """A run record by id, or the newest with ``"last"``."""
        if run_id == "last":
            records = self.runs()
            if not records:
                raise ResumeRefused(
                    f"no runs recorded in {self.directory}",
                    hint="give the ledger directory with --ledger-dir or $PPF_LEDGER_DIR",
                )
            return records[-1]
        if not self.storage.exists(_record_name(run_id)):
            raise ResumeRefused(f"no run {run_id!r} in {self.directory}", hint="`ppf runs list` shows the runs")
        record = self._read(_record_name(run_id))
        if record is None:
            raise ResumeRefused(f"the record of run {run_id!r} in {self.directory} cannot be read")
        return record

    def write(self, record: Mapping[str, Any]) -> None:
        text = json.dumps(record, indent=2, default=str)
        # No resolved secret value reaches the ledger.
        self.storage.write_text(_record_name(record["run_id"]), secret_masker().mask(text))


def _record_name(run_id: str) -> str:
    return f"{run_id}.json"


def _lock_name(run_id: str) -> str:
    return f"{run_id}.lock"


class RunRecorder:
    """Keeps one run's record up to date in the ledger while the executor runs it."""

    def __init__(
        self,
        ledger: RunLedger,
        pipeline: ResolvedPipeline,
        run_id: str,
        started_at: datetime,
        resume: ResumePlan | None = None,
    ):
        self.ledger = ledger
        self._lock = threading.Lock()  # steps of parallel branches end concurrently
        # Held before the record is first written: a reader never sees a live run without its lock.
        self._alive = ledger.run_lock(run_id)
        self._alive.acquire()
        self.fingerprints = step_fingerprints(pipeline)
        self.record: dict[str, Any] = {
            "run_id": run_id,
            "pipeline": pipeline.spec.name,
            "config_file": pipeline.config_file,
            "started_at": started_at.isoformat(),
            "finished_at": None,
            "status": "running",
            "exit_code": None,
            "resumed_from": resume.resumed_from if resume else None,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "fingerprint": hashlib.sha256(json.dumps(self.fingerprints, sort_keys=True).encode()).hexdigest()[:16],
            "steps": {name: {"status": "pending", "fingerprint": fp} for name, fp in self.fingerprints.items()},
        }
        for name, location in resume.reuse_outputs.items() if resume else ():
            self.record["steps"][name]["checkpoint"] = location
        self._locations = {
            name: _sink_location(step.config)
            for name, step in pipeline.steps.items()
            if step.component_class.kind == ComponentKind.SINK
        }
        self.ledger.write(self.record)

    def step_ended(
        self,
        result: StepResult,
        checkpoint: str | None = None,
        reused_from: str | None = None,
        traceback: str | None = None,
        dead_letters_written: int = 0,
    ) -> None:
        """Record how a step ended; ``traceback`` is the full (masked) traceback of its error."""
        with self._lock:
            self._step_ended(result, checkpoint, reused_from, traceback, dead_letters_written)

    def _step_ended(
        self,
        result: StepResult,
        checkpoint: str | None,
        reused_from: str | None,
        traceback: str | None,
        dead_letters_written: int,
    ) -> None:
        entry = self.record["steps"][result.name]
        if dead_letters_written:
            entry["dead_letters_written"] = dead_letters_written
        if traceback:
            entry["traceback"] = traceback
        entry.update(
            status=result.status.value,
            attempts=result.attempts,
            duration_s=result.duration_s,
            error=result.error,
            reason=result.reason,
            finished_at=_now(),
        )
        if checkpoint:
            entry["checkpoint"] = checkpoint
        if reused_from:
            entry["reused_from"] = reused_from
        if result.name in self._locations:
            entry["output"] = self._locations[result.name]
        self.ledger.write(self.record)

    def finished(self, result: RunResult) -> None:
        with self._lock:
            self._finished(result)

    def _finished(self, result: RunResult) -> None:
        for step in result.steps:
            entry = self.record["steps"][step.name]
            if entry["status"] != step.status.value:
                entry.update(status=step.status.value, reason=step.reason, error=step.error)
            if step.metrics:  # final only now: lazy outputs are counted by later writes
                entry["metrics"] = dict(step.metrics)
        self.record.update(finished_at=_now(), status=result.status, exit_code=int(result.exit_code))
        if result.cancelled:
            self.record["reason"] = result.cancel_reason
        if result.succeeded:
            self._remove_checkpoints()
        self.ledger.write(self.record)
        self._alive.release()

    def micro_batch_committed(self, query: str, checkpoint: str | None, figures: Mapping[str, Any]) -> None:
        """A streaming query committed a micro-batch: the last committed batch per query, and running totals."""
        with self._lock:
            queries = self.record.setdefault("streaming", {})
            entry = queries.setdefault(
                query, {"checkpoint": checkpoint, "batches": 0, "rows_in": 0, "rows_written": 0, "dead_letter_rows": 0}
            )
            entry["batches"] += 1
            entry["last_committed_batch"] = figures.get("batch_id")
            entry["last_committed_at"] = _now()
            for key in ("rows_in", "rows_written", "dead_letter_rows"):
                entry[key] += figures.get(key) or 0
            entry["offsets_behind_latest"] = figures.get("offsets_behind_latest")
            self.ledger.write(self.record)

    def cancelled(self, reason: str) -> None:
        """The run was cancelled (a second signal, or a stop that took too long)."""
        with self._lock:
            self.record.update(finished_at=_now(), status="cancelled", reason=reason)
            self.ledger.write(self.record)
            self._alive.release()

    def close(self) -> None:
        """The run ends here (also when it could not finish normally): the lock is given up.

        A record still ``running`` then reads as ``died``, which is what happened.
        """
        with self._lock:
            self._alive.release()

    def _remove_checkpoints(self) -> None:
        """A run that completed leaves nothing to resume: delete its checkpoints and those of
        the failed runs it resumed (directly or through a chain of resumes)."""
        runs = [self.record["run_id"]]
        previous = self.record.get("resumed_from")
        while previous and previous not in runs:
            runs.append(previous)
            try:
                previous = self.ledger.load(previous).get("resumed_from")
            except ResumeRefused:
                break
        removed = [folder for folder in map(self.ledger.remove_outputs, runs) if folder is not None]
        if removed:
            self.record["checkpoints_removed"] = removed


def _sink_location(config: Any) -> str | None:
    for key in ("path", "table", "table_name"):
        value = getattr(config, key, None)
        if isinstance(value, str):
            return value
    return None


def _now() -> str:
    return datetime.now(UTC).isoformat()
