"""The JVM packages a pipeline needs are resolved once, quietly, into the jar cache; later runs resolve nothing."""

from __future__ import annotations

import pytest

from .conftest import ppf

pytestmark = pytest.mark.e2e

PIPELINE = """
pipeline {
  name = "to-delta"
  spark { master = "local[2]", conf { "spark.ui.enabled" = "false", "spark.sql.shuffle.partitions" = "2" } }
  steps = [
    { name = "numbers", type = "ParquetSource", config { path = "data/numbers" } }
    { name = "load", type = "DeltaSink", config { path = "out/numbers", mode = "overwrite" } }
  ]
}
"""
#: Lines of Ivy's resolution report, as spark.jars.packages prints them on every run.
IVY_REPORT = (":: resolving dependencies", "Ivy Default Cache", "confs: [default]", "downloading")


@pytest.mark.timeout(900)
def test_a_plugins_package_is_resolved_once_into_the_cache_without_ivys_report(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "data" / "numbers").mkdir(parents=True)
    pq.write_table(pa.table({"id": pa.array(range(10), pa.int64())}), tmp_path / "data/numbers/part-0.parquet")
    (tmp_path / "pipeline.conf").write_text(PIPELINE)
    cache = tmp_path / "jars"
    env = {"PPF_JARS_DIR": str(cache)}

    first = ppf("run", "-c", "pipeline.conf", "--log-format", "json", cwd=tmp_path, env=env, timeout=840)
    assert first.returncode == 0, first.stderr
    assert not [line for line in first.stderr.splitlines() if any(mark in line for mark in IVY_REPORT)]
    manifest = (cache / "manifest.txt").read_text()
    assert manifest.startswith("io.delta:delta-spark_2.13:") and "io.delta_delta-spark_2.13-" in manifest
    report = (cache / "resolution.log").read_text()
    assert "io.delta:delta-spark_2.13:" in report  # Ivy's report went to the log file
    assert (tmp_path / "out" / "numbers" / "_delta_log").is_dir()

    second = ppf("run", "-c", "pipeline.conf", "--log-format", "json", cwd=tmp_path, env=env, timeout=840)
    assert second.returncode == 0, second.stderr
    assert (cache / "resolution.log").read_text() == report  # nothing resolved again
    assert (cache / "manifest.txt").read_text() == manifest
