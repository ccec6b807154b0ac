"""Where the Quick Start's time goes inside Spark: ppf's pipeline and the hand-written merge, in one warm session.

    python -m benchmarks.diagnostics.quickstart_in_one_session [ROUNDS]
    # report: benchmarks/.work/quickstart_in_one_session/report.json

A diagnostic, not a figure: :mod:`benchmarks.cases.quickstart` measures whole processes,
where the JVM's start and its cold code paths dominate and runs vary by seconds.  Here both sides
run in one session whose JVM is already warm, alternately (in a shuffled order per round), on
local files instead of S3: the Quick Start pipeline as printed (its hooks on), reading parquet
with core's ``FileSource`` instead of ``S3Source``, against the hand-written job's read, hash and
``DeltaTable.merge``.  Before every merge the table is put back to the same copy.  Reported per
side, medians over every round but the first (which warms the JVM):

* the wall time of the whole step (ppf: the ``run_pipeline_text`` call; by hand: read to merge);
* the Spark jobs, their summed wall time, and the driver's time between them (planning, Delta's
  bookkeeping, ppf's own work on the driver);
* each job's wall and task time, to compare the two sides job by job.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from benchmarks.cases.quickstart import CONFIG, QUICKSTART, batches, ensure_jars, users
from benchmarks.harness.event_log import Job, jobs, single_event_log
from benchmarks.harness.settings import BASELINES, QS_ROWS, WORK, spark_conf
from benchmarks.harness.timing import fresh

sys.path.insert(0, str(BASELINES))  # the hand-written baseline imports its sibling handwritten_cli
import handwritten_quickstart

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 7
HERE = WORK / "quickstart_in_one_session"


def write_inputs(spark, table_rows: int) -> tuple[Path, Path, Path]:
    """The benchmark's two batches as parquet, and the table made from the first (hashed, as ppf would)."""
    first, second = batches(table_rows)
    paths = HERE / "first", HERE / "second", HERE / "pristine-table"
    for ids, version, path in ((first, "v1", paths[0]), (second, "v2", paths[1])):
        spark.createDataFrame(users(ids, version)).repartition(4).write.parquet(str(path))
    handwritten_quickstart.anonymize(spark.read.parquet(str(paths[0]))).write.format("delta").save(str(paths[2]))
    return paths


def main() -> None:
    sys.path.insert(0, str(QUICKSTART))  # my_pipelines.transforms.UserAnonymizer, as the Quick Start imports it
    from pyspark_pipeline_framework.spark import job_group
    from pyspark_pipeline_framework.testing import local_spark_session, run_pipeline_text

    os.environ["PPF_JARS_DIR"] = str(ensure_jars())  # the plugins' jars from the benchmarks' local cache
    shutil.rmtree(HERE, ignore_errors=True)
    events = fresh(HERE / "events")
    os.chdir(HERE)  # the audit hook writes .ppf/audit.jsonl here, not into the checkout
    spark = local_spark_session("quickstart-in-one-session", {**spark_conf(), "spark.eventLog.dir": str(events)})
    _, source, pristine = write_inputs(spark, QS_ROWS)
    table = HERE / "table"
    # The Quick Start's pipeline as printed, but reading the local parquet files with core's FileSource.
    text = (
        (QUICKSTART / CONFIG)
        .read_text()
        .replace("pyspark_pipeline_framework.components.S3Source", "pyspark_pipeline_framework.components.FileSource")
        .replace("s3://raw-data/users/*.parquet", str(source))
        .replace("s3://warehouse/users", str(table))
    )

    groups: dict[str, list[str]] = defaultdict(list)
    walls: dict[str, list[float]] = defaultdict(list)
    for round_ in range(ROUNDS):
        sides = ["ppf", "hand"]
        random.Random(round_).shuffle(sides)
        for side in sides:
            shutil.rmtree(table, ignore_errors=True)
            shutil.copytree(pristine, table)
            started = time.perf_counter()
            if side == "ppf":
                result = run_pipeline_text(text, spark=spark, directory=HERE)
                if not result.succeeded:
                    raise SystemExit(f"the pipeline failed: {[step.error for step in result.steps if step.error]}")
                group = job_group(result.run_id)
            else:
                group = f"hand-{round_}"
                spark.sparkContext.setJobGroup(group, group)
                handwritten_quickstart.merge_users(spark, str(source), str(table))
                spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
            walls[side].append(time.perf_counter() - started)
            if round_:  # the first round warms the JVM
                groups[side].append(group)
            print(f"  round {round_ + 1}/{ROUNDS} {side:4s} {walls[side][-1]:6.2f} s", file=sys.stderr, flush=True)
    spark.stop()
    # Not on stdout: the pipeline's own log lines go there.
    (HERE / "report.json").write_text(json.dumps(report(single_event_log(events), groups, walls), indent=2))
    print(f"report: {HERE / 'report.json'}", file=sys.stderr)


def report(paths: list[Path], groups: dict[str, list[str]], walls: dict[str, list[float]]) -> dict:
    logged = jobs(paths)
    summary = {}
    for side, side_groups in groups.items():
        per_round: list[list[Job]] = [[j for j in logged if j.group == g] for g in side_groups]
        counts = sorted({len(r) for r in per_round})
        busy = [sum(j.wall_ms for j in r) / 1000 for r in per_round]
        span = [(max(j.completed_ms for j in r) - min(j.submitted_ms for j in r)) / 1000 for r in per_round]
        summary[side] = {
            "step_s": round(statistics.median(walls[side][1:]), 2),
            "jobs": counts,
            "jobs_wall_s": round(statistics.median(busy), 2),
            "between_jobs_s": round(statistics.median(s - b for s, b in zip(span, busy)), 2),
            "task_s": round(statistics.median(sum(j.task_run_ms for j in r) / 1000 for r in per_round), 2),
            "per_job": [
                {
                    "job": i,
                    "description": per_round[0][i].description[:80],
                    "wall_ms": statistics.median(r[i].wall_ms for r in per_round if len(r) > i),
                    "task_ms": statistics.median(r[i].task_run_ms for r in per_round if len(r) > i),
                }
                for i in range(max(counts))
            ],
        }
    return summary


if __name__ == "__main__":
    main()
