"""The example pipelines on a real Spark standalone cluster, as a user runs them, and through spark-submit.

One cluster (a master and a worker, ``spark_cluster`` in the root conftest.py) serves every test.
Each example runs unchanged, once locally and once with ``--override spark.master=spark://...``,
each in its own copy of the project; the rows they write must be the same.  Executors are separate
JVMs whose Python workers start in the worker's own folder: the project's modules (a Python UDF
among them) reach them only because ppf ships them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import BIN, REPO, ppf

pytestmark = [pytest.mark.e2e, pytest.mark.cluster]


#: A UDF that calls a helper of the project's package, as real UDFs do.  pyspark sends a
#: module-level ``@udf`` function by value, but what it uses of the project (``domain_of``) by
#: reference: an executor imports ``my_pipelines.rules`` to run it, so the package must be there.
RULES = '''"""E-mail rules shared by several UDFs."""


def domain_of(email):
    return email.rsplit("@", 1)[1].lower() if email and "@" in email else None
'''
RULE_UDFS = """from pyspark.sql import DataFrame
from pyspark.sql.functions import udf

from my_pipelines.rules import domain_of
from pyspark_pipeline_framework.core import Transform, TransformConfig


@udf("string")
def email_domain(email):
    return domain_of(email)


class RuleDomainConfig(TransformConfig):
    column: str = "email"
    output: str = "email_domain"


class RuleDomain(Transform[RuleDomainConfig]):
    def transform(self, df: DataFrame) -> DataFrame:
        return df.withColumn(self.config.output, email_domain(df[self.config.column]))
"""


def rules_project(target: Path) -> Path:
    """examples/user_etl whose UDF step comes from a module that uses another module of the package."""
    project = copy_example("user_etl", target)
    (project / "my_pipelines" / "rules.py").write_text(RULES)
    (project / "my_pipelines" / "rule_udfs.py").write_text(RULE_UDFS)
    config = (project / "pipelines" / "user_etl.conf").read_text()
    assert "my_pipelines.domains.EmailDomain" in config
    (project / "pipelines" / "rules.conf").write_text(
        config.replace("my_pipelines.domains.EmailDomain", "my_pipelines.rule_udfs.RuleDomain")
    )
    return project


def events_of(done, stream: str = "stderr") -> list[dict]:
    return [json.loads(line) for line in getattr(done, stream).splitlines() if line.startswith("{")]


def copy_example(name: str, target: Path) -> Path:
    shutil.copytree(REPO / "examples" / name, target, ignore=shutil.ignore_patterns("out", "__pycache__", ".ppf"))
    return target


def parquet_rows(folder: Path) -> list[tuple]:
    """Every row of a (partitioned) Parquet folder, read without Spark, sorted."""
    import pyarrow.parquet as pq

    table = pq.read_table(str(folder))
    return sorted(tuple(str(v) for v in row.values()) for row in table.to_pylist())


def delta_rows(table: Path) -> list[tuple]:
    """The rows of a Delta table's live files (those its log adds and does not remove), sorted."""
    import pyarrow.parquet as pq

    live: set[str] = set()
    for commit in sorted((table / "_delta_log").glob("*.json")):
        for line in commit.read_text().splitlines():
            action = json.loads(line)
            if "add" in action:
                live.add(action["add"]["path"])
            if "remove" in action:
                live.discard(action["remove"]["path"])
    assert live, f"no live files in {table}"
    rows = []
    for path in live:
        rows += [tuple(str(v) for v in row.values()) for row in pq.read_table(str(table / path)).to_pylist()]
    return sorted(rows)


def app_names(cluster) -> list[str]:
    state = cluster.state()
    return [app["name"] for app in state.get("completedapps", []) + state.get("activeapps", [])]


def run_ok(*args, cwd, env=None):
    done = ppf(*args, cwd=cwd, env=env, timeout=540)
    assert done.returncode == 0, done.stderr[-4000:]
    return done


@pytest.fixture(scope="module")
def local_user_etl(tmp_path_factory):
    """examples/user_etl run locally: the reference output."""
    project = copy_example("user_etl", tmp_path_factory.mktemp("local") / "user_etl")
    done = run_ok("run", "pipelines/user_etl.conf", "--log-format", "json", cwd=project)
    # Local mode's executors share the driver's modules: nothing is zipped or shipped.
    assert not [e for e in events_of(done) if e["event"] == "user_code_shipped"]
    return project


@pytest.mark.timeout(900)
def test_user_etl_on_the_cluster_equals_the_local_run(spark_cluster, local_user_etl, tmp_path):
    project = copy_example("user_etl", tmp_path / "user_etl")
    before = app_names(spark_cluster).count("UserETL")
    done = run_ok(
        "run",
        "pipelines/user_etl.conf",
        "--override",
        f"spark.master={spark_cluster.master_url}",
        "--log-format",
        "json",
        cwd=project,
        env=spark_cluster.env,
    )
    shipped = [e for e in events_of(done) if e["event"] == "user_code_shipped"]
    assert [e["modules"] for e in shipped] == [["my_pipelines"]], shipped
    assert app_names(spark_cluster).count("UserETL") == before + 1  # it ran on the cluster
    rows = parquet_rows(project / "out" / "users")
    assert rows and rows == parquet_rows(local_user_etl / "out" / "users")


@pytest.mark.timeout(900)
def test_delta_example_with_a_single_module_udf_on_the_cluster_equals_the_local_run(spark_cluster, tmp_path):
    local = copy_example("delta_local", tmp_path / "local")
    run_ok("run", "pipeline.conf", cwd=local)
    remote = copy_example("delta_local", tmp_path / "remote")
    done = run_ok(
        "run",
        "pipeline.conf",
        "--override",
        f"spark.master={spark_cluster.master_url}",
        "--log-format",
        "json",
        cwd=remote,
        env=spark_cluster.env,
    )
    assert [e["modules"] for e in events_of(done) if e["event"] == "user_code_shipped"] == [["cleansing"]]
    rows = delta_rows(remote / "out" / "users")
    assert rows == delta_rows(local / "out" / "users")
    assert any(row[3].startswith("+") and row[3][1:].isdigit() for row in rows), rows[:3]  # the UDF ran


@pytest.mark.timeout(900)
def test_a_udf_using_the_projects_package_on_the_cluster_equals_the_local_run(spark_cluster, local_user_etl, tmp_path):
    project = rules_project(tmp_path / "rules")
    done = run_ok(
        "run",
        "pipelines/rules.conf",
        "--override",
        f"spark.master={spark_cluster.master_url}",
        "--log-format",
        "json",
        cwd=project,
        env=spark_cluster.env,
    )
    assert [e["modules"] for e in events_of(done) if e["event"] == "user_code_shipped"] == [["my_pipelines"]]
    # The same rows as the unchanged example's local run: domain_of is email_domain's rule.
    assert parquet_rows(project / "out" / "users") == parquet_rows(local_user_etl / "out" / "users")


@pytest.mark.timeout(900)
def test_without_shipping_the_udf_fails_on_the_executors_and_says_what_to_do(spark_cluster, tmp_path):
    project = rules_project(tmp_path / "rules")
    done = ppf(
        "run",
        "pipelines/rules.conf",
        "--override",
        f"spark.master={spark_cluster.master_url}",
        "--override",
        "spark.ship_code.enabled=false",
        "--override",
        'spark.conf."spark.task.maxFailures"=1',
        "--log-format",
        "json",
        cwd=project,
        env=spark_cluster.env,
        timeout=540,
    )
    assert done.returncode == 1, done.stderr[-4000:]
    assert not (project / "out" / "users").exists()
    failed = [e for e in events_of(done) if e["event"] == "step_failed"]
    assert failed, done.stderr[-4000:]
    error = failed[0]["error"]
    assert "No module named 'my_pipelines'" in error, error
    assert "the executors cannot import 'my_pipelines'" in error and "spark.ship_code" in error, error


@pytest.mark.timeout(900)
def test_spark_submit_runs_the_pipeline_on_the_submitted_master(spark_cluster, local_user_etl, tmp_path):
    """Client mode: spark-submit's master wins over the file's ``master = "local[2]"``; the project's code is shipped."""
    project = rules_project(tmp_path / "rules")
    application = subprocess.run([str(BIN / "ppf-submit-path")], capture_output=True, text=True, check=True)
    before = app_names(spark_cluster).count("UserETL")
    spark_submit = Path(spark_cluster.env["SPARK_HOME"]) / "bin" / "spark-submit"
    done = subprocess.run(
        [
            str(spark_submit),
            "--master",
            spark_cluster.master_url,
            "--conf",
            "spark.ui.enabled=false",
            application.stdout.strip(),
            "run",
            "pipelines/rules.conf",
            "--log-format",
            "json",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=540,
        env={**spark_cluster.env, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert app_names(spark_cluster).count("UserETL") == before + 1
    # spark-submit's Python runner passes the driver's stderr on to its own stdout.
    shipped = [e["modules"] for e in events_of(done, "stdout") if e["event"] == "user_code_shipped"]
    assert shipped == [["my_pipelines"]]
    assert parquet_rows(project / "out" / "users") == parquet_rows(local_user_etl / "out" / "users")


@pytest.mark.services
@pytest.mark.timeout(1200)
def test_the_quick_start_on_s3_and_delta_on_the_cluster_equals_the_local_run(spark_cluster, tmp_path):
    """The product README's Quick Start, verbatim (tests/e2e/quickstart), on moto S3 and Delta Lake."""
    from ppf_aws.testing import moto_s3_server

    from .test_quickstart_s3_delta import QUICKSTART, s3_override, upload_users, users, warehouse_rows

    project = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, project, ignore=shutil.ignore_patterns("__pycache__"))
    with moto_s3_server() as s3:
        client = s3.client()
        for bucket in ("raw-data", "warehouse"):
            client.create_bucket(Bucket=bucket)
        upload_users(s3, users(range(1, 51)), "batch-1.parquet")
        override = s3_override({"raw-data": s3.endpoint, "warehouse": s3.endpoint})

        run_ok("run", "pipelines/user_etl.conf", "--override", override, cwd=project)
        _, local_rows = warehouse_rows(s3)
        for key in s3.keys("warehouse"):
            client.delete_object(Bucket="warehouse", Key=key)

        done = run_ok(
            "run",
            "pipelines/user_etl.conf",
            "--override",
            override,
            "--override",
            f"spark.master={spark_cluster.master_url}",
            "--log-format",
            "json",
            cwd=project,
            env=spark_cluster.env,
        )
        assert [e["modules"] for e in events_of(done) if e["event"] == "user_code_shipped"] == [["my_pipelines"]]
        _, cluster_rows = warehouse_rows(s3)
    assert len(local_rows) == 50 and cluster_rows == local_rows
