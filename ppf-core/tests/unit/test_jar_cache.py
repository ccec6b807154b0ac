"""`ppf jars fetch` and the local jar cache sessions load from (real Ivy, from its cache or Maven Central)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyspark_pipeline_framework.runner.jars import artifact_name, fetch, read_manifest
from pyspark_pipeline_framework.runtime.session.builder import _local_jars


@pytest.mark.parametrize(
    ("jar", "artifact"),
    [
        ("json4s-jackson-core_2.13-4.0.7.jar", "json4s-jackson-core_2.13"),
        ("zstd-jni-1.5.7-6.jar", "zstd-jni"),
        ("hadoop-client-api-3.5.0.jar", "hadoop-client-api"),
        ("scala-library-2.13.17.jar", "scala-library"),
    ],
)
def test_artifact_name_strips_the_version(jar, artifact):
    assert artifact_name(jar) == artifact


def test_fetch_copies_a_package_with_its_dependencies_and_sessions_find_them(tmp_path: Path):
    coordinate = "io.delta:delta-storage:4.4.0"
    listed = fetch([coordinate], tmp_path)
    assert "io.delta_delta-storage-4.4.0.jar" in listed[coordinate]
    assert read_manifest(tmp_path) == listed
    jars, missing = _local_jars(tmp_path, [coordinate, "org.example:absent:1.0"])
    assert missing == ["org.example:absent:1.0"]
    assert {j.name for j in jars} == set(listed[coordinate]) and all(j.is_file() for j in jars)


def test_fetch_leaves_out_jars_pyspark_ships(tmp_path: Path):
    # delta-spark depends on scala-library and hadoop-client-*; pyspark has its own.
    listed = fetch(["io.delta:delta-spark_2.13:4.4.0"], tmp_path)
    names = listed["io.delta:delta-spark_2.13:4.4.0"]
    assert not any("scala-library" in n or "hadoop-client" in n or "parquet-hadoop" in n for n in names)
