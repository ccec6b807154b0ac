"""`ppf run` and `ppf-run` end to end, as a user runs them."""

from __future__ import annotations

import hashlib
import json
import textwrap

import pytest

from .conftest import BIN, ppf

pytestmark = pytest.mark.e2e


def read_parquet(path):
    import pyarrow.parquet as pq

    return pq.read_table(str(path)).to_pylist()


def test_example_pipeline_runs_and_anonymizes(example_project):
    done = ppf("run", "--config", "pipelines/user_etl.conf", cwd=example_project)
    assert done.returncode == 0, done.stderr
    rows = read_parquet(example_project / "out" / "users")
    assert len(rows) == 200
    source = {
        line.split(",")[0]: line.split(",")
        for line in (example_project / "data/users.csv").read_text().splitlines()[1:]
    }
    for row in rows:
        assert row["email"] == hashlib.sha256(source[str(row["user_id"])][2].encode()).hexdigest()
        assert row["email_domain"] == source[str(row["user_id"])][2].split("@")[1]  # the Python UDF step
    events = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    names = [e["event"] for e in events]
    assert "anonymized_pii" in names  # the Quick Start's self.logger.info(...) call
    anonymized = next(e for e in events if e["event"] == "anonymized_pii")
    assert anonymized["step"] == "anonymize-pii" and anonymized["field_count"] == 3
    assert names[-1] == "pipeline_finished" and events[-1]["succeeded"] is True
    summaries = {e["step"]: e for e in events if e["event"] == "step_summary"}
    assert list(summaries) == ["extract-users", "email-domain", "anonymize-pii", "load-warehouse"]
    assert summaries["extract-users"]["rows_out"] == summaries["anonymize-pii"]["rows_in"] == 200
    # The UDF's module needs a session to be imported: ppf imports it once the session exists.
    assert next(e for e in events if e["event"] == "steps_imported_in_session")["steps"] == ["email-domain"]
    assert summaries["load-warehouse"]["rows_written"] == 200 and summaries["load-warehouse"]["bytes_written"] > 0
    audit = [json.loads(line) for line in (example_project / "out/audit.jsonl").read_text().splitlines()]
    assert [a["event"] for a in audit] == ["step", "step", "step", "step", "run"]


def test_ppf_run_alias_with_override(example_project):
    done = ppf(
        "--config",
        "pipelines/user_etl.conf",
        "--override",
        "spark.master=local[1]",
        "--override",
        'steps.load-warehouse.config.path="out/alias"',
        cwd=example_project,
        command="ppf-run",
    )
    assert done.returncode == 0, done.stderr
    assert (example_project / "out" / "alias" / "_SUCCESS").exists()


PROBE_COMPONENT = '''
from pyspark_pipeline_framework.core import Transform, TransformConfig

class ConfProbeConfig(TransformConfig):
    keys: list[str]

class ConfProbe(Transform[ConfProbeConfig]):
    """Adds one column per Spark property, holding the session's value of it."""

    def transform(self, df):
        from pyspark.sql import functions as F
        conf = self.context.spark.conf
        return df.select(*[F.lit(conf.get(k, None)).alias(k.replace(".", "_")) for k in self.config.keys]).limit(1)
'''


def test_spark_conf_keys_reach_the_session_exactly(example_project):
    (example_project / "conf_probe.py").write_text(PROBE_COMPONENT)
    (example_project / "probe.conf").write_text(
        textwrap.dedent("""
        pipeline {
          name = "conf-probe"
          spark {
            master = "local[1]"
            conf {
              "spark.sql.shuffle.partitions" = "7"
              "spark.sql.session.timeZone" = "Asia/Tokyo"
              spark.sql.ansi.enabled = false
            }
          }
          steps = [
            { name = "src", type = "CsvSource", config { path = "data/users.csv", options { header = "true" } } }
            { name = "probe", type = "conf_probe.ConfProbe",
              config { keys = ["spark.sql.shuffle.partitions", "spark.sql.session.timeZone", "spark.sql.ansi.enabled", "spark.app.name"] } }
            { name = "out", type = "JsonSink", config { path = "out/conf" } }
          ]
        }
    """)
    )
    done = ppf("run", "-c", "probe.conf", cwd=example_project)
    assert done.returncode == 0, done.stderr
    (part,) = (example_project / "out/conf").glob("part-*.json")
    values = json.loads(part.read_text().splitlines()[0])
    assert values == {
        "spark_sql_shuffle_partitions": "7",
        "spark_sql_session_timeZone": "Asia/Tokyo",
        "spark_sql_ansi_enabled": "false",
        "spark_app_name": "conf-probe",
    }


def test_a_failing_step_exits_1_and_reports_it(example_project):
    done = ppf(
        "run",
        "-c",
        "pipelines/user_etl.conf",
        "--override",
        # A missing plain path is refused before Spark starts (exit 2); a Hadoop brace glob is Spark's to check.
        'steps[0].config.path="data/{missing,absent}.csv"',
        cwd=example_project,
    )
    assert done.returncode == 1
    events = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    failed = next(e for e in events if e["event"] == "step_failed")
    assert failed["step"] == "extract-users" and "{missing,absent}.csv" in failed["error"]
    assert events[-1]["failed"] == ["extract-users"]
    assert events[-1]["not_run"] == ["email-domain", "anonymize-pii", "load-warehouse"]
    assert not (example_project / "out" / "users").exists()


def test_missing_java_is_reported_clearly(example_project):
    done = __import__("subprocess").run(
        [str(BIN / "ppf"), "run", "-c", "pipelines/user_etl.conf"],
        cwd=example_project,
        capture_output=True,
        text=True,
        env={"PATH": "/nonexistent", "HOME": "/tmp"},
    )
    assert done.returncode == 2
    assert "Java was not found" in done.stderr and "Java 17" in done.stderr
