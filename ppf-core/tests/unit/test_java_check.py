"""The Java check asks each executable for its version once per process: a JVM start each time."""

from __future__ import annotations

import subprocess

import pytest

from pyspark_pipeline_framework.runtime import java


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
