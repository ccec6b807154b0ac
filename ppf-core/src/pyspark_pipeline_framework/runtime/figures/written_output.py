"""Bytes and records a sink wrote, as Spark's own task output metrics report them.

Spark already counts what every write task writes (``outputBytes``, ``outputRecords`` of a
stage); its status store keeps them for the Spark UI and REST API.  The executor tags a step's
jobs with the run's job group and the description ``"<pipeline>: <step>"``, so the stages of
the jobs with that description are the step's, and so are those of the jobs a library runs on the
step's behalf under a description built on it (Delta's MERGE writes its files in jobs described
``"Delta: <pipeline>: <step>: Writing modified data ..."``).  Reading them costs a few calls to the driver's
JVM (:mod:`pyspark_pipeline_framework.spark._jvm`) and no Spark job.  The store is filled from
Spark's listener bus, so we wait (bounded) for the bus to drain; if it does not, or the store is
unavailable (Spark Connect), the figures are reported as missing.  Sinks that write outside
Spark's output metrics (e.g. a driver-side API call, or a data source that does not report them)
report ``0`` bytes: that is Spark's figure.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from pyspark_pipeline_framework.spark._jvm import status_store, wait_for_listener_bus
from pyspark_pipeline_framework.spark.connect import is_connect

#: Upper bound on waiting for Spark's listener bus before reading the status store.
LISTENER_BUS_WAIT_MS = 2000


@attrs.frozen
class WrittenOutput:
    bytes: int
    records: int


def written_output(
    spark: Any, job_group: str, description: str, *, earlier_jobs: frozenset[int] = frozenset()
) -> WrittenOutput | None:
    """What the jobs of ``job_group`` described by ``description`` wrote, or ``None`` if unknown.

    Only jobs that succeeded and are not in ``earlier_jobs`` count: the jobs of an attempt that
    was retried wrote to a staging place that was discarded, or their write was rolled back.
    """
    if is_connect(spark):
        return None  # the status store is the Connect server's, out of reach from here
    try:
        sc = spark.sparkContext
        if not drain_listener_bus(spark):
            return None  # events still queued: the figures would be incomplete
        store = status_store(spark)
        if store is None:
            return None
        total_bytes = total_records = 0
        found = False
        for job_id in sc.statusTracker().getJobIdsForGroup(job_group):
            job = store.job(job_id)
            if not job.description().isDefined() or not of_step(job.description().get(), description):
                continue
            if job_id in earlier_jobs or job.status().toString() != "SUCCEEDED":
                continue
            found = True
            for stage_id in _ints(job.stageIds().mkString(",")):
                try:
                    stage = store.lastStageAttempt(stage_id)
                except Exception:
                    continue  # a skipped stage has no attempt
                total_bytes += int(stage.outputBytes())
                total_records += int(stage.outputRecords())
        return WrittenOutput(total_bytes, total_records) if found else None
    except Exception:
        return None


def of_step(job_description: str, step_description: str) -> bool:
    """Whether a job described ``job_description`` ran for the step described ``step_description``.

    Its own description, or one a library built on it: a prefix (``"Delta: "``) and a suffix after
    ``": "`` or ``" - "``, which is how Spark libraries nest what they do inside the caller's description.
    A step whose name is another step's followed by ``" - "`` would also match that step's jobs.
    """
    pattern = rf"(?:^|: ){re.escape(step_description)}(?:$|: | - )"
    return re.search(pattern, job_description) is not None


def drain_listener_bus(spark: Any) -> bool:
    """Wait (at most ``LISTENER_BUS_WAIT_MS``) until Spark's listener bus has delivered every queued event to
    the status stores; ``False`` if it did not drain in time or there is no bus (Spark Connect)."""
    return wait_for_listener_bus(spark, LISTENER_BUS_WAIT_MS)


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]
