"""The driver JVM a run starts sits in a process group of its own, and joins a JVM that runs already.

Each case runs in a fresh Python process: the shared test session would make every start a join.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.spark

CHILDREN = """
from pathlib import Path

def children():
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            found.append(int(stat.parent.name))
    return found
"""


def _run(script: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "import os\n" + CHILDREN + textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_a_started_driver_jvm_is_in_a_process_group_of_its_own():
    out = _run(
        """
        from pyspark.sql import SparkSession
        from pyspark_pipeline_framework.runtime.session.driver_jvm import start_driver_jvm

        conf = {"spark.master": "local[1]", "spark.app.name": "own-group", "spark.ui.enabled": "false",
                "spark.sql.shuffle.partitions": "3"}
        assert start_driver_jvm(conf)
        spark = SparkSession.builder.getOrCreate()
        assert spark.range(3).count() == 3
        assert spark.conf.get("spark.sql.shuffle.partitions") == "3"  # the settings reached the JVM
        groups = {os.getpgid(pid) for pid in children()}
        assert groups and os.getpgid(0) not in groups, (groups, os.getpgid(0))
        spark.stop()
        print("ok")
        """
    )
    assert out.strip().endswith("ok")


def test_a_context_that_runs_already_is_joined_and_the_extra_jvm_ended():
    out = _run(
        """
        from pyspark import SparkContext
        from pyspark_pipeline_framework.runtime.session.driver_jvm import start_driver_jvm

        context = SparkContext(master="local[1]", appName="started-before")
        before = set(children())
        assert not start_driver_jvm({"spark.master": "local[1]", "spark.app.name": "other"})
        assert set(children()) == before  # the JVM it started to find out was ended
        assert SparkContext.getOrCreate() is context
        context.stop()
        print("ok")
        """
    )
    assert out.strip().endswith("ok")
