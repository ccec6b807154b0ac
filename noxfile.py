"""Developer and CI sessions.

    python3 -m nox -s example   # set up and run the example pipeline on local Spark
    python3 -m nox -s tests     # set up and run the whole test suite (what CI runs)
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests"]

ROOT = Path(__file__).parent
DISTRIBUTIONS = ["ppf-core", "ppf-plugins-delta", "ppf-plugins-aws", "ppf-plugins-vault", "ppf-plugins-metrics"]
TEST_REQUIREMENTS = ["pytest>=8", "hypothesis>=6", "moto[server]>=5", "pyarrow>=15", "deltalake>=0.20", "build"]
PYSPARK = "pyspark==4.2.0"  # delta-spark 4.4.0 supports pyspark >=4.0.1,<=4.2.0


def _install_all(session: nox.Session) -> None:
    editable = [arg for dist in DISTRIBUTIONS if (ROOT / dist / "pyproject.toml").exists() for arg in ("-e", dist)]
    session.install(PYSPARK, *editable, *TEST_REQUIREMENTS)


@nox.session(python="3.11")
def example(session: nox.Session) -> None:
    """Run examples/user_etl on local Spark with its bundled data."""
    session.install(PYSPARK, "-e", "ppf-core")
    session.chdir(ROOT / "examples" / "user_etl")
    session.run("ppf", "run", "--config", "pipelines/user_etl.conf", *session.posargs)
    session.log("output written to examples/user_etl/out/users")


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """The whole suite: unit, Spark integration and end-to-end tests."""
    _install_all(session)
    session.run("python", "-m", "pyspark_pipeline_framework.runtime.java")  # clear message if Java is missing
    session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def unit(session: nox.Session) -> None:
    """Fast tests only: no JVM."""
    _install_all(session)
    session.run("pytest", "ppf-core/tests/unit", *session.posargs)
