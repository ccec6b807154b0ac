"""The benchmark input: a few million deterministic rows of parquet, generated once and cached.

Cases call :func:`ensure_dataset`, which generates it in a separate process
(``python -m benchmarks.harness.dataset ROWS``) so that no JVM lingers in the benchmark driver.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks.harness.settings import MASTER, PYTHON, ROOT, ROWS, WORK

FILES = 8
SCHEMA_VERSION = 1  # bump when the generated columns change, so caches are rebuilt


def dataset_path(rows: int = ROWS) -> Path:
    return WORK / "data" / f"users-{rows}-v{SCHEMA_VERSION}.parquet"


def ensure_dataset(rows: int = ROWS) -> Path:
    path = dataset_path(rows)
    if not (path / "_SUCCESS").is_file():
        subprocess.run([PYTHON, "-m", "benchmarks.harness.dataset", str(rows)], cwd=ROOT, check=True)
    return path


def generate(rows: int) -> Path:
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    path = dataset_path(rows)
    spark = (
        SparkSession.builder.master(MASTER)
        .appName("ppf-benchmark-data")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("WARN")
    # Only arithmetic on the id: the same rows on every machine and every run.
    users = spark.range(0, rows, numPartitions=FILES).select(
        F.col("id").alias("user_id"),
        F.concat(F.lit("user-"), F.col("id")).alias("name"),
        F.concat(F.lit("user"), F.col("id"), F.lit("@example.org")).alias("email"),
        F.format_string("+1-555-%07d", (F.col("id") * 7919) % 10_000_000).alias("phone"),
        F.element_at(
            F.array(*[F.lit(c) for c in ("BR", "DE", "FR", "IN", "US")]), (F.col("id") % 5 + 1).cast("int")
        ).alias("country"),
        ((F.col("id") * 37) % 100).cast("int").alias("score"),
    )
    users.write.mode("overwrite").parquet(str(path))
    spark.stop()
    return path


if __name__ == "__main__":
    print(generate(int(sys.argv[1]) if len(sys.argv) > 1 else ROWS))
