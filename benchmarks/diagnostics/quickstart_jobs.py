"""The Quick Start case's runs job by job, from the event logs it keeps.

After ``python -m benchmarks run quickstart`` every run's Spark event log stays under
``benchmarks/.work/quickstart/<side>/events/run-NN``.  This prints, per side and
per job in order, the medians over the runs of: the driver's time since the previous job ended
(or the application started), the job's wall time and its tasks' summed run time; then the
totals.  It shows whether a difference in wall time is Spark work (jobs, tasks) or the driver
between them.  No figure with a target comes from here.

    python -m benchmarks.diagnostics.quickstart_jobs     # also writes benchmarks/.work/quickstart/jobs.json
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.harness.event_log import jobs, single_event_log, timeline
from benchmarks.harness.settings import WORK
from benchmarks.harness.stats import median

RUNS = WORK / "quickstart"


def run_rows(paths: list[Path]) -> list[tuple[float, float, float, str]]:
    """(driver gap, job wall, tasks) in seconds per job, then the gap before the application's end."""
    spans = timeline(paths)
    rows, previous_end = [], spans.started
    for job in jobs(paths):
        # Epoch milliseconds against the timeline's seconds; jobs overlapping the previous one: no gap.
        gap = max(0.0, job.submitted_ms / 1000 - previous_end)
        rows.append((gap, job.wall_ms / 1000, job.task_run_ms / 1000, job.description))
        previous_end = max(previous_end, job.completed_ms / 1000)
    rows.append((spans.ended - previous_end, 0.0, 0.0, "(application end)"))
    return rows


def side_report(side: str) -> dict:
    runs = []
    for directory in sorted((RUNS / side / "events").glob("run-*")):
        try:
            runs.append(run_rows(single_event_log(directory)))
        except RuntimeError:
            continue  # a run interrupted by a stopped benchmark
    if not runs:
        raise SystemExit(
            f"no kept event logs under {RUNS / side / 'events'}: run `python -m benchmarks run quickstart` first"
        )
    length = median([len(rows) for rows in runs])
    same_jobs = [rows for rows in runs if len(rows) == length]
    per_job = []
    for index in range(int(length)):
        column = [rows[index] for rows in same_jobs]
        per_job.append(
            {
                "description": column[0][3][:70],
                "gap_s": median([row[0] for row in column]),
                "wall_s": median([row[1] for row in column]),
                "tasks_s": median([row[2] for row in column]),
            }
        )
    totals = {
        name: median([sum(row[i] for row in rows) for rows in same_jobs])
        for i, name in enumerate(("gaps_s", "jobs_wall_s", "tasks_s"))
    }
    return {"runs": len(same_jobs), "jobs": per_job, "totals": totals}


def main() -> None:
    report = {side: side_report(side) for side in ("ppf", "hand")}
    for side, data in report.items():
        print(f"{side}: {data['runs']} runs, medians")
        for job in data["jobs"]:
            print(
                f"  gap {job['gap_s']:6.2f}  wall {job['wall_s']:6.2f}  tasks {job['tasks_s']:6.2f}  {job['description']}"
            )
        totals = data["totals"]
        print(
            f"  total: driver gaps {totals['gaps_s']:.2f} s, jobs {totals['jobs_wall_s']:.2f} s, "
            f"tasks {totals['tasks_s']:.2f} s"
        )
    (RUNS / "jobs.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
