"""The one set of Spark settings and paths every case uses, for ppf and hand-written alike.

Both sides of a comparison read their settings from here, so they cannot drift apart.  The
quiet-log4j options are the ones ppf adds to every session it builds
(:func:`pyspark_pipeline_framework.runtime.session.logs.quiet_spark_conf`); the hand-written
jobs pass them too.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"
BASELINES = BENCHMARKS / "baselines"
RESULTS = BENCHMARKS / "results"  # committed: one JSON-lines file per case, a record per run
PERFORMANCE_DOC = ROOT / "docs" / "performance.md"
WORK = BENCHMARKS / ".work"  # git-ignored: data, generated configs, event logs, outputs
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").is_dir() else sys.executable
PPF = str(Path(PYTHON).with_name("ppf"))

MASTER = "local[2]"
#: Rows of the parquet input of the 3-step pipeline, observability, fan-out and time-to-JVM cases.
DOCUMENTED_ROWS = 4_000_000
ROWS = int(os.environ.get("PPF_BENCH_ROWS", DOCUMENTED_ROWS))
#: Quick Start case: users in the Delta table, and in the merged batch (half of them new).
DOCUMENTED_QS_ROWS = 200_000
QS_ROWS = int(os.environ.get("PPF_BENCH_QS_ROWS", DOCUMENTED_QS_ROWS))


def spark_conf() -> dict[str, str]:
    """Every Spark property a benchmark session gets, except the per-run event-log directory."""
    from pyspark_pipeline_framework.runtime.session.logs import quiet_spark_conf

    return {
        "spark.driver.memory": "2g",
        "spark.sql.shuffle.partitions": "4",
        "spark.ui.enabled": "false",
        "spark.eventLog.enabled": "true",
        # Spark 4 compresses event logs with zstd, which this Python's stdlib cannot read.
        "spark.eventLog.compress": "false",
        **quiet_spark_conf(),
    }
