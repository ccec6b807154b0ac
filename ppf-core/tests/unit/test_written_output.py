"""Which Spark jobs count as a step's when its written bytes and records are added up (no JVM)."""

from __future__ import annotations

import pytest

from pyspark_pipeline_framework.runtime.figures.written_output import of_step

STEP = "sales: load"


@pytest.mark.parametrize(
    "job",
    [
        "sales: load",
        "sales: load - MERGE operation - scanning files for matches",
        "Delta: sales: load: Writing modified data - MERGE operation - Rewriting 1 files",
        "Delta: sales: load - MERGE operation - scanning files for matches: Compute snapshot for version: 0",
    ],
)
def test_the_steps_own_jobs_and_those_a_library_runs_for_it_count(job):
    assert of_step(job, STEP)


@pytest.mark.parametrize(
    "job",
    ["sales: load2", "sales: loader - MERGE", "Delta: sales: reload: Writing", "other sales: load", "sales: loa"],
)
def test_jobs_of_other_steps_do_not(job):
    assert not of_step(job, STEP)
