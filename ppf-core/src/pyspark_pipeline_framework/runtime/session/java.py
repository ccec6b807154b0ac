"""Checking for a usable Java before Spark tries (and fails obscurely) to start one."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from pathlib import Path

from pyspark_pipeline_framework.core.errors import EnvironmentProblem

MINIMUM_JAVA = 17


def java_executable() -> str | None:
    """The Java Spark starts: ``$JAVA_HOME/bin/java`` when ``JAVA_HOME`` is set (as Spark's launcher does), else ``java`` on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home:
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def _java_home_problem(executable: str) -> EnvironmentProblem | None:
    """The problem of a ``JAVA_HOME`` that holds no runnable ``bin/java``; ``None`` when it does or is unset."""
    home = os.environ.get("JAVA_HOME")
    if not home or executable != str(Path(home) / "bin" / "java"):
        return None
    if Path(executable).is_file() and os.access(executable, os.X_OK):
        return None
    what = "is not executable" if Path(executable).exists() else "does not exist"
    on_path = shutil.which("java")
    return EnvironmentProblem(
        f"JAVA_HOME is {home!r}, but {executable} {what}: Spark starts the Java of JAVA_HOME",
        hint=f"point JAVA_HOME at a Java {MINIMUM_JAVA}+ installation (the folder that contains bin/java)"
        + (f", or unset it to use {on_path}" if on_path else ""),
    )


# `ppf run` checks Java before loading plugins and again when building the session: asking
# each executable once per process saves a JVM start (`java -version`) on every run.
def java_release_version(executable: str) -> str | None:
    """The version a JDK's ``release`` file names (``17.0.15``): read without starting a JVM."""
    release = Path(executable).resolve().parent.parent / "release"
    if release.is_file():
        match = re.search(r'^JAVA_VERSION="([^"]+)"', release.read_text(errors="replace"), re.MULTILINE)
        if match:
            return match.group(1)
    return None


@functools.cache
def java_major_version(executable: str) -> int | None:
    # Reading the `release` file costs nothing, `java -version` a JVM start.
    released = java_release_version(executable)
    if released is not None:
        return major_version(released)
    try:
        out = subprocess.run([executable, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "([^"]+)"', out.stderr + out.stdout)
    return major_version(match.group(1)) if match else None


def major_version(version: str) -> int | None:
    """17 for "17.0.15" or "17", 8 for the old "1.8.0_392" spelling."""
    match = re.match(r"(\d+)(?:\.(\d+))?", version)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 and match.group(2) else major


def require_java() -> None:
    """Raise :class:`EnvironmentProblem` unless Java 17 or newer is available."""
    executable = java_executable()
    if executable is None:
        raise EnvironmentProblem(
            f"Java was not found. Spark needs Java {MINIMUM_JAVA} or newer: install it "
            "(for example `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME."
        )
    problem = _java_home_problem(executable)
    if problem is not None:
        raise problem
    major = java_major_version(executable)
    if major is None:
        raise EnvironmentProblem(
            f"could not tell the version of Java at {executable}; Spark needs Java {MINIMUM_JAVA}+",
            hint="check that this Java runs (`java -version`), or point JAVA_HOME at another installation",
        )
    if major < MINIMUM_JAVA:
        raise EnvironmentProblem(
            f"Java {major} at {executable} is too old: Spark 4 needs Java {MINIMUM_JAVA} or newer. "
            "Install a newer JDK and point JAVA_HOME at it."
        )


if __name__ == "__main__":  # `python -m pyspark_pipeline_framework.runtime.session.java`: a set-up check
    import sys

    try:
        require_java()
    except EnvironmentProblem as problem:
        sys.exit(f"error: {problem}")
    print(f"Java {java_major_version(java_executable())} found at {java_executable()}")
