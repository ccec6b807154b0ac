"""Fixtures of the Delta plugin's tests: a fresh table location per test, run helpers."""

from __future__ import annotations

import textwrap

import pytest


@pytest.fixture
def table_path(tmp_path):
    return str(tmp_path / "table")


@pytest.fixture
def run_steps(spark, tmp_path):
    """Run a pipeline given as the HOCON of its steps; returns the RunResult."""
    from pyspark_pipeline_framework.testing import run_pipeline_text

    def run(steps: str, **kwargs):
        text = "pipeline {\n  name = delta-test\n  steps = [\n" + textwrap.indent(steps, "    ") + "\n  ]\n}\n"
        return run_pipeline_text(text, spark=spark, directory=tmp_path, **kwargs)

    return run
