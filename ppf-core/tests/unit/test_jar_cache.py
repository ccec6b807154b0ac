"""`ppf jars fetch` and the local jar cache sessions load from (real Ivy, from its cache or Maven Central)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from pyspark_pipeline_framework.runner.jars import artifact_name, cached_jars, cached_packages, fetch, read_manifest


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
    jars, missing = cached_jars(tmp_path, [coordinate, "org.example:absent:1.0"])
    assert missing == ["org.example:absent:1.0"]
    assert {j.name for j in jars} == set(listed[coordinate]) and all(j.is_file() for j in jars)
    assert cached_packages(tmp_path, [coordinate, "org.example:absent:1.0"]) == {
        coordinate: True,
        "org.example:absent:1.0": False,
    }
    (tmp_path / listed[coordinate][0]).unlink()  # one jar of the package gone: not cached any more
    assert cached_packages(tmp_path, [coordinate]) == {coordinate: False}


def test_a_jar_dropped_into_the_cache_by_hand_counts_as_cached(tmp_path: Path):
    (tmp_path / "absent-1.0.jar").write_bytes(b"PK")
    jars, missing = cached_jars(tmp_path, ["org.example:absent:1.0"])
    assert (jars, missing) == ([tmp_path / "absent-1.0.jar"], [])


def test_fetch_leaves_out_jars_pyspark_ships(tmp_path: Path):
    # delta-spark depends on scala-library and hadoop-client-*; pyspark has its own.
    listed = fetch(["io.delta:delta-spark_2.13:4.4.0"], tmp_path)
    names = listed["io.delta:delta-spark_2.13:4.4.0"]
    assert not any("scala-library" in n or "hadoop-client" in n or "parquet-hadoop" in n for n in names)


def test_concurrent_fetches_resolve_one_at_a_time_and_the_second_finds_the_package_cached(tmp_path, monkeypatch):
    # Ivy's cache is not safe for two downloads of one artifact at once: fetches into one cache take turns.
    from pyspark_pipeline_framework.runtime.session import jar_cache

    ivy = tmp_path / "ivy" / "org.example" / "lib" / "jars"
    ivy.mkdir(parents=True)
    (ivy / "lib-1.0.jar").write_bytes(b"PK")
    inside, most_inside, resolutions = [], [], []

    def slow_resolve(coordinate, log_file=None):
        inside.append(coordinate)
        most_inside.append(len(inside))
        resolutions.append(coordinate)
        time.sleep(0.3)
        inside.pop()
        return [ivy / "lib-1.0.jar"]

    monkeypatch.setattr(jar_cache, "resolve", slow_resolve)
    cache = tmp_path / "cache"
    threads = [threading.Thread(target=fetch, args=(["org.example:lib:1.0"], cache)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert max(most_inside) == 1
    assert resolutions == ["org.example:lib:1.0"]
    assert read_manifest(cache) == {"org.example:lib:1.0": ["org.example_lib-1.0.jar"]}
