"""Quick Start: the README's Quick Start through ``ppf run`` against the same job hand-written with delta-spark, on S3.

The ppf side runs the Quick Start's own files (``tests/e2e/quickstart``, the README's
``pipelines/user_etl.conf`` and ``my_pipelines/transforms.py`` verbatim) from a copy of that
directory: S3 parquet -> ``UserAnonymizer`` -> Delta merge by ``user_id``, with the Quick
Start's hooks on.  The other side is ``baselines/handwritten_quickstart.py`` (PySpark and
delta-spark only).  S3 is a moto server on 127.0.0.1, started once; both sides reach it through
the same per-bucket S3A settings, as the end-to-end test does.

Every timed run merges the same batch (half of its users already in the table, half new) into
the same table: before each run the warehouse bucket is put back, object for object, to the
snapshot taken after set-up, and after each run the table is checked (rows, last commit, hashes).
Both sides get the same effective Spark settings: the benchmark settings, what ppf's plugins add
(Delta's extension and catalog, the S3 file systems) and the same local jars; the Spark
properties of both sides' event logs are compared to prove it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.harness.event_log import jobs, single_event_log, spark_properties, timeline
from benchmarks.harness.interleave import Run, Side, interleave
from benchmarks.harness.settings import BASELINES, MASTER, PPF, PYTHON, QS_ROWS, ROOT, WORK, spark_conf
from benchmarks.harness.stats import median
from benchmarks.harness.table import jobs_figure, ratio_figure
from benchmarks.harness.timing import fresh, settle, wall_time

DEFAULT_PAIRS = 24
FIGURES = [
    ratio_figure(
        "[Quick Start](../benchmarks/cases/quickstart.py) on S3 and Delta: `ppf run` / hand-written "
        "delta-spark, wall time",
        1.05,
    ),
    jobs_figure("Quick Start: Spark jobs, ppf / hand-written", "no extra", lambda ppf, hand: max(ppf) <= min(hand)),
]

QUICKSTART = ROOT / "tests" / "e2e" / "quickstart"
CONFIG = "pipelines/user_etl.conf"
BUCKETS = ("raw-data", "warehouse")
# The hand-written job names S3A directly; the Quick Start writes s3:// (mapped to S3A by ppf-plugins-aws).
HAND_SOURCE = "s3a://raw-data/users/*.parquet"
HAND_TABLE = "s3a://warehouse/users"
PII = ("email", "phone", "ssn")
#: Further `--override`s for the ppf side, ";"-separated, e.g. "steps[2].config.check_unique_keys=false"
#: to price the duplicate merge-key check (empty: the Quick Start exactly as printed).
PPF_OVERRIDES = [o for o in os.environ.get("PPF_BENCH_QS_OVERRIDES", "").split(";") if o]
FILES = 4  # parquet files per batch: both local cores read from the start
# Per-run properties that differ between any two applications, whoever builds the session.
PER_RUN_PROPERTIES = {
    "spark.app.name",
    "spark.app.id",
    "spark.app.startTime",
    "spark.app.submitTime",
    "spark.driver.host",
    "spark.driver.port",
    "spark.eventLog.dir",
    "spark.executor.id",
    "spark.app.initial.jar.urls",
}  # spark://<driver host>:<port>/jars/...: per run


# -- data -------------------------------------------------------------------------------------
def users(ids: range, version: str) -> list[dict]:
    """The e2e test's user rows; ``version`` changes every PII value, so a merge visibly updates."""
    return [
        {
            "user_id": i,
            "name": f"user{i}",
            "email": f"user{i}.{version}@example.com",
            "phone": f"+1-555-{i:07d}-{version}",
            "ssn": f"{i:09d}-{version}",
            "country": "DE",
        }
        for i in ids
    ]


def batches(rows: int) -> tuple[range, range]:
    """The table's initial users, and the merged batch: its first half updates, its second half is new."""
    return range(0, rows), range(rows // 2, rows + rows // 2)


def upload_users(client, ids: range, version: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    for key in keys(client, "raw-data", "users/"):
        client.delete_object(Bucket="raw-data", Key=key)
    step = -(-len(ids) // FILES)
    for part in range(FILES):
        buffer = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(users(ids[part * step : (part + 1) * step], version)), buffer)
        client.put_object(Bucket="raw-data", Key=f"users/part-{part}.parquet", Body=buffer.getvalue())


def keys(client, bucket: str, prefix: str = "") -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


# -- the warehouse's state ----------------------------------------------------------------------
def snapshot(client) -> dict[str, bytes]:
    return {key: client.get_object(Bucket="warehouse", Key=key)["Body"].read() for key in keys(client, "warehouse")}


def restore(client, objects: dict[str, bytes]) -> None:
    """Put the warehouse bucket back to exactly ``objects``: nothing a previous run wrote survives."""
    existing = keys(client, "warehouse")
    for start in range(0, len(existing), 1000):
        client.delete_objects(
            Bucket="warehouse", Delete={"Objects": [{"Key": k} for k in existing[start : start + 1000]]}
        )
    for key, body in objects.items():
        client.put_object(Bucket="warehouse", Key=key, Body=body)
    if keys(client, "warehouse") != sorted(objects):
        raise RuntimeError("the warehouse bucket was not restored to its snapshot")


def open_table(endpoint: str):
    from deltalake import DeltaTable

    from ppf_aws.testing import TEST_ACCESS_KEY, TEST_REGION, TEST_SECRET_KEY

    return DeltaTable(
        "s3://warehouse/users",
        storage_options={
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": TEST_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": TEST_SECRET_KEY,
            "AWS_REGION": TEST_REGION,
            "AWS_ALLOW_HTTP": "true",
        },
    )


def commit_operation(client, version: int) -> str:
    body = client.get_object(Bucket="warehouse", Key=f"users/_delta_log/{version:020d}.json")["Body"].read()
    actions = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
    return next(a["commitInfo"]["operation"] for a in actions if "commitInfo" in a)


def check_table(client, endpoint: str, base_version: int, rows: int) -> None:
    """The run merged the batch: one MERGE commit, every user once, changed and new users hashed."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table = open_table(endpoint)
    # The commit is read with boto3: deltalake's history() holds the GIL while it waits for S3,
    # and moto's server is a thread of this process.
    operation = commit_operation(client, table.version())
    if table.version() != base_version + 1 or operation != "MERGE":
        raise RuntimeError(
            f"expected one MERGE commit after version {base_version}, found version {table.version()} ({operation})"
        )
    data = table.to_pyarrow_table(columns=["user_id", *PII])
    initial, batch = batches(rows)
    expected_ids = len(set(initial) | set(batch))
    if data.num_rows != expected_ids or pc.count_distinct(data["user_id"]).as_py() != expected_ids:
        raise RuntimeError(f"expected {expected_ids} users once each, found {data.num_rows} rows")
    # One untouched, one updated and one inserted user: the values must be the right version's hashes.
    samples = {initial[0]: "v1", batch[0]: "v2", batch[-1]: "v2"}
    found = data.filter(pc.is_in(data["user_id"], value_set=pa.array(list(samples)))).to_pylist()
    if len(found) != len(samples):
        raise RuntimeError(f"sample users missing from the table: {sorted(samples)}")
    for row in found:
        version = samples[row["user_id"]]
        original = users(range(row["user_id"], row["user_id"] + 1), version)[0]
        if any(row[c] != hashlib.sha256(original[c].encode()).hexdigest() for c in PII):
            raise RuntimeError(f"user {row['user_id']} is not the {version} row hashed: {row}")


# -- Spark settings ---------------------------------------------------------------------------
def s3_settings(endpoint: str) -> dict[str, str]:
    """Both buckets on the moto server, per bucket, as the e2e test gives them to ``ppf run``."""
    from ppf_aws.testing import s3a_settings

    return {
        f"spark.hadoop.fs.s3a.bucket.{bucket}.{key}": value
        for bucket in BUCKETS
        for key, value in s3a_settings(endpoint).items()
    }


def ensure_jars() -> Path:
    """The local jar cache both sides load from (``ppf jars fetch``, once; Ivy's cache makes it quick)."""
    from ppf_aws.spark_settings import hadoop_aws_package
    from ppf_delta.spark_settings import delta_package

    jars_dir = WORK / "jars"
    manifest = jars_dir / "manifest.txt"
    listed = manifest.read_text() if manifest.is_file() else ""
    if not all(f"{package} " in listed for package in (delta_package(), hadoop_aws_package())):
        subprocess.run([PPF, "jars", "fetch", "--dir", str(jars_dir)], check=True)
    return jars_dir


def plugin_session_settings(jars_dir: Path) -> dict[str, str]:
    """What ``ppf run`` adds to this pipeline's session (``runtime/session/builder.py`` and the plugins' hooks).

    ppf's session defaults (a workaround any hand-written job on the same pyspark needs as well),
    Delta's extension and catalog, S3A for ``s3://`` (and, from the environment, AWS_ENDPOINT_URL),
    and the cached jars of the plugins' packages in the order ppf lists them.  The event-log
    comparison in :func:`measure` fails loudly should ppf's real session ever differ.
    """
    from ppf_aws.spark_settings import hadoop_aws_package, s3_conf
    from ppf_delta.spark_settings import DELTA_CONF, delta_package
    from pyspark_pipeline_framework.runtime.session.builder import PPF_DEFAULT_CONF

    manifest = {}
    for line in (jars_dir / "manifest.txt").read_text().splitlines():
        root, _, files = line.partition(" ")
        manifest[root] = [f for f in files.split(",") if f]
    jar_files = [str(jars_dir / f) for package in (delta_package(), hadoop_aws_package()) for f in manifest[package]]
    return {**PPF_DEFAULT_CONF, **DELTA_CONF, **s3_conf(), "spark.jars": ",".join(dict.fromkeys(jar_files))}


# -- the two sides ------------------------------------------------------------------------------
def run_ppf(project: Path, user_conf: dict[str, str], jars_dir: Path, event_logs: Path) -> float:
    conf = {**user_conf, "spark.eventLog.dir": event_logs.as_uri()}
    shutil.rmtree(project / ".ppf", ignore_errors=True)  # run ledger and audit log: each run starts empty
    command = [
        PPF,
        "run",
        "--config",
        CONFIG,
        "--override",
        "spark.conf=" + json.dumps(conf),
        "--override",
        f"spark.master={MASTER}",
        "--log-format",
        "json",
        *[arg for override in PPF_OVERRIDES for arg in ("--override", override)],
    ]
    # cwd is the project, as for a user: `my_pipelines.transforms` imports from there.
    return wall_time(command, cwd=project, env={"PPF_JARS_DIR": str(jars_dir)})


def run_handwritten(project: Path, hand_conf: dict[str, str], event_logs: Path) -> float:
    conf = {**hand_conf, "spark.eventLog.dir": event_logs.as_uri()}
    command = [
        PYTHON,
        str(BASELINES / "handwritten_quickstart.py"),
        HAND_SOURCE,
        HAND_TABLE,
        "--master",
        MASTER,
        *[arg for k, v in conf.items() for arg in ("--conf", f"{k}={v}")],
    ]
    return wall_time(command, cwd=project)  # same cwd: same spark.sql.warehouse.dir


def compared_properties(paths: list[Path]) -> dict[str, str]:
    return {k: v for k, v in sorted(spark_properties(paths).items()) if k not in PER_RUN_PROPERTIES}


def check_same_settings(ppf: dict[str, str], hand: dict[str, str]) -> None:
    differences = {k: [ppf.get(k), hand.get(k)] for k in sorted(ppf.keys() | hand.keys()) if ppf.get(k) != hand.get(k)}
    if differences:
        raise RuntimeError(f"ppf and the hand-written job ran with different Spark settings: {differences}")


def measure(pairs: int = DEFAULT_PAIRS, rows: int = QS_ROWS) -> dict:
    from ppf_aws.testing import moto_s3_server

    work = WORK / "quickstart"
    project = work / "project"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(QUICKSTART, project, ignore=shutil.ignore_patterns("__pycache__"))
    jars_dir = ensure_jars()
    initial, batch = batches(rows)
    with moto_s3_server() as server:
        client = server.client()
        for bucket in BUCKETS:
            client.create_bucket(Bucket=bucket)
        user_conf = {**spark_conf(), **s3_settings(server.endpoint)}
        hand_conf = {**plugin_session_settings(jars_dir), **user_conf}

        # Set-up, untimed: the Quick Start's first run creates the table from the initial users.
        print(
            f"  set-up: {len(initial):,} users into s3://warehouse/users, then a batch of {len(batch):,}",
            file=sys.stderr,
        )
        upload_users(client, initial, "v1")
        run_ppf(project, user_conf, jars_dir, fresh(work / "setup" / "events"))
        upload_users(client, batch, "v2")
        base, base_version = snapshot(client), open_table(server.endpoint).version()
        properties: dict[str, dict[str, str]] = {}

        def prepare(_: int) -> None:
            restore(client, base)
            settle()

        def timed(side: str, index: int) -> Run:
            # Every run's log is kept (git-ignored) so that runs can be compared job by job later
            # (benchmarks/diagnostics/quickstart_jobs.py).
            event_logs = fresh(work / side / "events" / f"run-{index + 1:02d}")
            if side == "ppf":
                seconds = run_ppf(project, user_conf, jars_dir, event_logs)
            else:
                seconds = run_handwritten(project, hand_conf, event_logs)
            exited = time.time()
            check_table(client, server.endpoint, base_version, rows)  # a broken side cannot look fast
            log = single_event_log(event_logs)
            spans = timeline(log)
            properties[side] = compared_properties(log)
            if side == "hand":  # fail at the first pair rather than after the last
                check_same_settings(properties["ppf"], properties["hand"])
            # Where the time went: before the Spark application (Python, the JVM's start), inside
            # it, after it (the process's exit), and the tasks' run time within it.
            phases = {
                "before": spans.started - (exited - seconds),
                "application": spans.application_s,
                "after": exited - spans.ended,
                "tasks": spans.task_run_s,
            }
            run_jobs = jobs(log)
            return Run(
                seconds,
                len(run_jobs),
                {"phases": {k: round(v, 3) for k, v in phases.items()}, "job_list": [j.description for j in run_jobs]},
            )

        runs = interleave(
            pairs, {side: Side(lambda index, side=side: timed(side, index), prepare) for side in ("ppf", "hand")}
        )

    phase_medians = {
        side: {
            phase: round(median([run.details["phases"][phase] for run in side_runs]), 3)
            for phase in ("before", "application", "after", "tasks")
        }
        for side, side_runs in runs.runs.items()
    }
    record = runs.record(
        "ppf", "hand", {"table_rows": len(initial), "batch_rows": len(batch)}, phase_medians_s=phase_medians
    )
    if PPF_OVERRIDES:
        record["variant"] = "--override " + " --override ".join(PPF_OVERRIDES)
    record["raw"].update(
        {
            "phases": {side: [run.details["phases"] for run in side_runs] for side, side_runs in runs.runs.items()},
            # The last run's jobs of each side, in order: which jobs make up a difference in counts.
            "job_list": {side: side_runs[-1].details["job_list"] for side, side_runs in runs.runs.items()},
            "ppf_extra_overrides": PPF_OVERRIDES,
            # Identical on both sides (checked after every pair), per-run values left out.
            "effective_spark_properties": properties["ppf"],
        }
    )
    return record
