"""The Java check asks each executable for its version once per process: a JVM start each time."""

from __future__ import annotations

import subprocess

import pytest

from pyspark_pipeline_framework.runtime.session import java


@pytest.fixture
def fake_java(monkeypatch, tmp_path):
    calls = []

    def run(command, **kwargs):
        calls.append(command)
        return subprocess.CompletedProcess(command, 0, stdout="", stderr='openjdk version "17.0.9" 2023-10-17')

    java.java_major_version.cache_clear()
    monkeypatch.setattr(java.subprocess, "run", run)
    monkeypatch.setattr(java, "java_executable", lambda: str(tmp_path / "bin" / "java"))
    yield calls
    java.java_major_version.cache_clear()


def test_require_java_twice_starts_java_once(fake_java):
    java.require_java()  # the CLI's check
    java.require_java()  # build_session's check
    assert len(fake_java) == 1


def test_a_different_executable_is_asked_again(fake_java):
    assert java.java_major_version("/opt/jdk17/bin/java") == 17
    assert java.java_major_version("/opt/jdk21/bin/java") == 17
    assert len(fake_java) == 2


def _jdk(root, version: str):
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "java").write_text("")
    (root / "release").write_text(f'IMPLEMENTOR="x"\nJAVA_VERSION="{version}"\n')
    return str(root / "bin" / "java")


def test_the_jdk_release_file_answers_without_starting_java(fake_java, tmp_path):
    assert java.java_major_version(_jdk(tmp_path / "jdk21", "21.0.4")) == 21
    assert java.java_major_version(_jdk(tmp_path / "jdk8", "1.8.0_392")) == 8
    assert fake_java == []


def test_a_too_old_jdk_named_by_its_release_file_is_refused(monkeypatch, tmp_path):
    java.java_major_version.cache_clear()
    monkeypatch.setattr(java, "java_executable", lambda: _jdk(tmp_path / "jdk11", "11.0.2"))
    with pytest.raises(java.EnvironmentProblem, match=r"Java 11 .* too old"):
        java.require_java()
    java.java_major_version.cache_clear()
