"""The Spark jobs of a run: every job a step starts belongs to the run's job group."""

from __future__ import annotations

from typing import Any

from pyspark_pipeline_framework.spark.connect import is_connect


def job_group(run_id: str) -> str:
    """The Spark job group of a run's jobs (as shown in the Spark UI)."""
    return f"ppf-{run_id}"


def jobs_so_far(spark: Any, group: str) -> frozenset[int]:
    """Ids of the jobs of ``group`` started until now (empty without a SparkContext: Spark Connect)."""
    if is_connect(spark):
        return frozenset()
    try:
        return frozenset(int(j) for j in spark.sparkContext.statusTracker().getJobIdsForGroup(group))
    except Exception:
        return frozenset()
