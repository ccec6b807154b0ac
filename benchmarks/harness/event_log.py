"""Reading a Spark event log (one JSON event a line): jobs, stages, rows scanned from files, settings.

Scanned rows come from the SQL metric "number of output rows" of ``Scan <format>`` plan nodes.
A cached relation shows its original scan node in later plans with the same accumulator, so a
source read once counts its rows once however many jobs reuse the cache.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import attrs


@attrs.frozen
class EventLogSummary:
    jobs: int
    stages: int
    #: Sum of the tasks' input metrics (file reads and cache reads alike).
    input_records: int
    input_bytes: int
    #: Rows produced by file-scan plan nodes: how many rows were read from source files.
    scanned_rows: int


def single_event_log(directory: Path) -> list[Path]:
    """The files of the only application logged in ``directory`` (each run gets its own).

    Spark 4 rolls event logs by default: a folder ``eventlog_v2_<app>`` of ``events_<n>_<app>``
    files; a single plain file is the older layout.
    """
    apps = [p for p in directory.iterdir() if not p.name.startswith(".")]
    if len(apps) != 1:
        raise RuntimeError(f"expected one application's event log in {directory}, found {[p.name for p in apps]}")
    if apps[0].is_file():
        return [apps[0]]
    parts = sorted(apps[0].glob("events_*"), key=lambda p: int(p.name.split("_")[1]))
    if not parts or any(p.suffix in (".zstd", ".lz4", ".snappy", ".lzf") for p in parts):
        raise RuntimeError(f"no uncompressed event log in {apps[0]} (set spark.eventLog.compress=false)")
    return parts


def summarize(paths: list[Path]) -> EventLogSummary:
    jobs = stages = input_records = input_bytes = 0
    scan_row_metrics: set[int] = set()
    metric_updates: list[tuple[int, int]] = []
    for event in (e for path in paths for e in _events(path)):
        kind = event.get("Event", "")
        if kind == "SparkListenerJobStart":
            jobs += 1
        elif kind == "SparkListenerStageCompleted":
            stages += 1
        elif kind.endswith("SparkListenerSQLExecutionStart") or kind.endswith(
            "SparkListenerSQLAdaptiveExecutionUpdate"
        ):
            scan_row_metrics |= set(_scan_row_metric_ids(event.get("sparkPlanInfo", {})))
        elif kind == "SparkListenerTaskEnd":
            inputs = (event.get("Task Metrics") or {}).get("Input Metrics") or {}
            input_records += inputs.get("Records Read", 0)
            input_bytes += inputs.get("Bytes Read", 0)
            for accumulable in (event.get("Task Info") or {}).get("Accumulables", []):
                if (
                    isinstance(accumulable.get("Update"), (int, str))
                    and str(accumulable["Update"]).lstrip("-").isdigit()
                ):
                    metric_updates.append((accumulable["ID"], int(accumulable["Update"])))
    scanned = sum(update for metric, update in metric_updates if metric in scan_row_metrics)
    return EventLogSummary(jobs, stages, input_records, input_bytes, scanned)


@attrs.frozen
class Job:
    id: int
    #: ``spark.job.description`` when the code set one (ppf and Delta do), else the first stage's name.
    description: str
    stages: tuple[str, ...]
    #: ``spark.jobGroup.id`` of the thread that started it (ppf: one per run), if any.
    group: str | None = None
    #: Submission and completion (epoch milliseconds, the driver's clock).
    submitted_ms: int = 0
    completed_ms: int = 0
    #: Summed executor run time of the tasks of its stages.
    task_run_ms: int = 0

    @property
    def wall_ms(self) -> int:
        return self.completed_ms - self.submitted_ms


def jobs(paths: list[Path]) -> list[Job]:
    """Every job the application started, in order: what each side really ran, not just how many."""
    started: dict[int, dict] = {}
    stage_job: dict[int, int] = {}
    for event in (e for path in paths for e in _events(path)):
        kind = event.get("Event")
        if kind == "SparkListenerJobStart":
            stages = tuple(stage.get("Stage Name", "") for stage in event.get("Stage Infos", []))
            properties = event.get("Properties") or {}
            description = properties.get("spark.job.description") or next(iter(stages), "")
            started[event["Job ID"]] = {
                "id": event["Job ID"],
                "description": description,
                "stages": stages,
                "group": properties.get("spark.jobGroup.id"),
                "submitted_ms": event.get("Submission Time", 0),
                "task_run_ms": 0,
            }
            stage_job.update({stage: event["Job ID"] for stage in event.get("Stage IDs", [])})
        elif kind == "SparkListenerJobEnd" and event["Job ID"] in started:
            started[event["Job ID"]]["completed_ms"] = event.get("Completion Time", 0)
        elif kind == "SparkListenerTaskEnd" and event.get("Stage ID") in stage_job:
            started[stage_job[event["Stage ID"]]]["task_run_ms"] += (event.get("Task Metrics") or {}).get(
                "Executor Run Time", 0
            )
    return [Job(**fields) for fields in started.values()]


def spark_properties(paths: list[Path]) -> dict[str, str]:
    """The application's effective Spark properties (the environment event), as Spark saw them."""
    for event in (e for path in paths for e in _events(path)):
        if event.get("Event") == "SparkListenerEnvironmentUpdate":
            return dict(event.get("Spark Properties") or {})
    raise RuntimeError(f"no environment event in {paths}")


def _events(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def _scan_row_metric_ids(node: dict) -> Iterator[int]:
    if node.get("nodeName", "").startswith("Scan "):
        for metric in node.get("metrics", []):
            if metric.get("name") == "number of output rows":
                yield metric["accumulatorId"]
    for child in node.get("children", []):
        yield from _scan_row_metric_ids(child)


@attrs.frozen
class Timeline:
    #: The application's start and end events (epoch seconds, the driver's clock, this machine's).
    started: float
    ended: float
    #: Sum of the tasks' executor run time: the Spark work itself, whatever ran it.
    task_run_s: float

    @property
    def application_s(self) -> float:
        return self.ended - self.started


def timeline(paths: list[Path]) -> Timeline:
    """When the Spark application ran, and how long its tasks ran.

    Against the process's own start and exit this splits a run's wall time into the time before
    Spark's application starts (Python, then the JVM's start), the application, and after it ends
    (the process's exit); ``task_run_s`` compares the work both sides gave Spark.
    """
    start = end = None
    task_ms = 0
    for event in (e for path in paths for e in _events(path)):
        kind = event.get("Event")
        if kind == "SparkListenerApplicationStart":
            start = event["Timestamp"]
        elif kind == "SparkListenerApplicationEnd":
            end = event["Timestamp"]
        elif kind == "SparkListenerTaskEnd":
            task_ms += (event.get("Task Metrics") or {}).get("Executor Run Time", 0)
    if start is None or end is None:
        raise RuntimeError(f"no application start or end in {paths}")
    return Timeline(start / 1000, end / 1000, task_ms / 1000)
