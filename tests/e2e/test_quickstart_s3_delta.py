"""The product README's Quick Start, verbatim, end to end on S3 (a moto server) and Delta Lake.

`quickstart/` holds the product README's `pipelines/user_etl.conf` and `my_pipelines/transforms.py` exactly
as printed.  The only addition is where S3 lives, given with `--override spark.conf={...}` (plain
`spark.hadoop.fs.s3a.*` settings, per bucket), as a user pointing at MinIO or LocalStack would.
Results are read back without the framework: `deltalake` for the table, boto3 for the objects.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from ppf_aws.testing import TEST_ACCESS_KEY, TEST_REGION, TEST_SECRET_KEY, free_port, moto_s3_server, s3a_settings

from .conftest import ppf

pytestmark = [pytest.mark.e2e, pytest.mark.services]

QUICKSTART = Path(__file__).with_name("quickstart")
PROJECT_README = Path(__file__).resolve().parents[2] / "README.md"
#: The product spec beside the checkout (CI lays shared/ next to its clone); PPF_SEED_README overrides.
PRODUCT_README = Path(
    os.environ.get("PPF_SEED_README", Path(__file__).resolve().parents[3] / "shared" / "seed" / "README.md")
)
PII = ("email", "phone", "ssn")


def users(ids, version="v1"):
    return [
        {
            "user_id": i,
            "name": f"user{i}",
            "email": f"user{i}.{version}@example.com",
            "phone": f"+1-555-{i:04d}-{version}",
            "ssn": f"{i:03d}-00-{version}",
            "country": "DE",
        }
        for i in ids
    ]


@pytest.fixture(scope="module")
def s3():
    with moto_s3_server() as server:
        yield server


@pytest.fixture
def project(tmp_path, s3):
    """A copy of the quick start in a temporary directory, with fresh Quick Start buckets on moto."""
    target = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, target, ignore=shutil.ignore_patterns("__pycache__"))
    client = s3.client()
    for bucket in ("raw-data", "warehouse"):
        if bucket in {b["Name"] for b in client.list_buckets()["Buckets"]}:
            for key in s3.keys(bucket):
                client.delete_object(Bucket=bucket, Key=key)
        else:
            client.create_bucket(Bucket=bucket)
    return target


def upload_users(s3, rows, key):
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), buffer)
    s3.client().put_object(Bucket="raw-data", Key=f"users/{key}", Body=buffer.getvalue())


def s3_override(endpoints: dict[str, str], fail_fast: bool = False) -> str:
    """`--override spark.conf={...}` routing each Quick Start bucket to an endpoint (per-bucket S3A settings)."""
    conf = {
        f"spark.hadoop.fs.s3a.bucket.{bucket}.{key}": value
        for bucket, endpoint in endpoints.items()
        for key, value in s3a_settings(endpoint, fail_fast=fail_fast).items()
    }
    return "spark.conf=" + json.dumps(conf)


def warehouse_rows(s3):
    from deltalake import DeltaTable

    table = DeltaTable(
        "s3://warehouse/users",
        storage_options={
            "AWS_ENDPOINT_URL": s3.endpoint,
            "AWS_ACCESS_KEY_ID": TEST_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": TEST_SECRET_KEY,
            "AWS_REGION": TEST_REGION,
            "AWS_ALLOW_HTTP": "true",
        },
    )
    return table, sorted(table.to_pyarrow_table().to_pylist(), key=lambda r: r["user_id"])


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def commits(s3) -> list[str]:
    return [k for k in s3.keys("warehouse", "users/_delta_log/") if k.endswith(".json")]


def commit_info(s3, key: str) -> dict:
    body = s3.client().get_object(Bucket="warehouse", Key=key)["Body"].read().decode()
    actions = [json.loads(line) for line in body.splitlines() if line.strip()]
    return next(a["commitInfo"] for a in actions if "commitInfo" in a)


def commit_operation(s3, key: str) -> str:
    return commit_info(s3, key)["operation"]


def quick_start_files(readme: Path, intro: str) -> tuple[str, str]:
    """The Quick Start's pipeline file and component module, as a README shows them."""
    text = readme.read_text()
    conf = re.search(intro + r"`pipelines/user_etl.conf`:\n\n```hocon\n(.*?)```", text, re.S)
    code = re.search(
        intro + r"`my_pipelines/transforms.py`:\n\n(?:<!-- fmt: off -->\n)?```python\n(.*?)```", text, re.S
    )
    assert conf and code, f"no Quick Start files found in {readme}"
    return conf.group(1), code.group(1)


def test_fixture_is_the_readme_quick_start_verbatim():
    conf, code = quick_start_files(PROJECT_README, "")
    assert (QUICKSTART / "pipelines/user_etl.conf").read_text() == conf
    assert (QUICKSTART / "my_pipelines/transforms.py").read_text() == code


@pytest.mark.skipif(
    not PRODUCT_README.is_file(),
    reason=f"the product specification is not at {PRODUCT_README} (shared/ beside the checkout or PPF_SEED_README)",
)
def test_readme_quick_start_is_the_specification_verbatim():
    assert quick_start_files(PRODUCT_README, "Create ") == quick_start_files(PROJECT_README, "")


def test_quick_start_loads_then_merges_changed_and_new_users(project, s3):
    override = s3_override({"raw-data": s3.endpoint, "warehouse": s3.endpoint})
    upload_users(s3, users([1, 2, 3]), "batch-1.parquet")

    # The first run loads the plugins' jars from a local cache (as on an air-gapped cluster),
    # the second resolves them through spark.jars.packages (Ivy).
    jars = ppf("jars", "fetch", "--dir", project / "jars", cwd=project)
    assert jars.returncode == 0, jars.stderr
    first = ppf(
        "run",
        "--config",
        "pipelines/user_etl.conf",
        "--override",
        override,
        cwd=project,
        env={"PPF_JARS_DIR": str(project / "jars")},
    )
    assert first.returncode == 0, first.stderr[-4000:]
    _, rows = warehouse_rows(s3)
    assert [r["user_id"] for r in rows] == [1, 2, 3]
    for row, original in zip(rows, users([1, 2, 3]), strict=True):
        assert row["name"] == original["name"]
        assert all(row[f] == sha256(original[f]) for f in PII)
    assert len(commits(s3)) == 1

    # Second batch: user 2 changed, user 4 is new; the source now holds only these two rows.
    s3.client().delete_object(Bucket="raw-data", Key="users/batch-1.parquet")
    upload_users(s3, users([2, 4], version="v2"), "batch-2.parquet")
    second = ppf("--config", "pipelines/user_etl.conf", "--override", override, cwd=project, command="ppf-run")
    assert second.returncode == 0, second.stderr[-4000:]

    _, rows = warehouse_rows(s3)
    assert [r["user_id"] for r in rows] == [1, 2, 3, 4]
    expected = {1: users([1])[0], 2: users([2], "v2")[0], 3: users([3])[0], 4: users([4], "v2")[0]}
    for row in rows:
        assert all(row[f] == sha256(expected[row["user_id"]][f]) for f in PII), row
        assert re.fullmatch(r"[0-9a-f]{64}", row["email"])
    assert len(commits(s3)) == 2  # exactly one new commit, and it is the merge
    assert commit_operation(s3, commits(s3)[-1]) == "MERGE"
    audit = [json.loads(line) for line in (project / ".ppf/audit.jsonl").read_text().splitlines()]
    assert [a["status"] for a in audit if a["event"] == "run"] == ["succeeded", "succeeded"]
    # `enable_metrics = true` alone: the last run's figures beside the audit log, in Prometheus'
    # text format; the merge's bytes are those Delta recorded in its commit.
    from prometheus_client.parser import text_string_to_metric_families

    exported = {
        (sample.name, sample.labels.get("step")): sample.value
        for family in text_string_to_metric_families((project / ".ppf/metrics/user-etl.prom").read_text())
        for sample in family.samples
    }
    merged_bytes = int(commit_info(s3, commits(s3)[-1])["operationMetrics"]["numTargetBytesAdded"])
    assert exported[("ppf_step_bytes_written", "load-warehouse")] == merged_bytes > 0
    assert exported[("ppf_step_rows_written", "load-warehouse")] == 2
    assert exported[("ppf_run_succeeded", None)] == 1


def test_quick_start_with_s3_endpoint_down_names_the_path_and_writes_nothing(project, s3):
    dead = f"http://127.0.0.1:{free_port()}"
    override = s3_override({"raw-data": dead, "warehouse": s3.endpoint}, fail_fast=True)
    done = ppf("run", "--config", "pipelines/user_etl.conf", "--override", override, cwd=project)
    assert done.returncode == 1, done.stderr[-4000:]
    assert "S3AccessError" in done.stderr
    assert "pipeline.steps[0].config.path" in done.stderr
    assert "s3://raw-data/users/*.parquet" in done.stderr
    assert s3.keys("warehouse") == []


def test_quick_start_reaches_s3_through_the_standard_aws_environment_variables(project, s3):
    # No s3a settings at all: the endpoint, region and keys come from the variables every AWS tool reads.
    upload_users(s3, users([1, 2]), "batch-1.parquet")
    env = {
        "AWS_ENDPOINT_URL": s3.endpoint,
        "AWS_REGION": TEST_REGION,
        "AWS_ACCESS_KEY_ID": TEST_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": TEST_SECRET_KEY,
    }
    done = ppf("run", "--config", "pipelines/user_etl.conf", cwd=project, env=env)
    assert done.returncode == 0, done.stderr[-4000:]
    _, rows = warehouse_rows(s3)
    assert [r["user_id"] for r in rows] == [1, 2]
    assert all(row["ssn"] == sha256(original["ssn"]) for row, original in zip(rows, users([1, 2]), strict=True))
