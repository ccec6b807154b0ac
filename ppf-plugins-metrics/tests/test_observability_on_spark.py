"""Everything on (metrics, traces, audit, lineage) against everything off, on real Spark.

Same Spark jobs either way; lineage and audit carry the datasets and the observed row counts.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from ppf_metrics import MetricsHook
from ppf_metrics.lineage import run_uuid
from pyspark_pipeline_framework.testing import job_count, run_pipeline_text

pytestmark = pytest.mark.spark

ROWS = 30  # ids 1..30; "amount > 10" keeps 20


def pipeline(source, target, hooks: str, observe_rows: bool = True) -> str:
    return textwrap.dedent(f"""
        pipeline {{
          name = "orders-daily"
          observe_rows = {str(observe_rows).lower()}
          steps = [
            {{ name = "read", type = "ParquetSource", config {{ path = "{source}" }} }}
            {{ name = "big", type = "Filter", config {{ condition = "amount > 10" }} }}
            {{ name = "write", type = "ParquetSink", config {{ path = "{target}", mode = "overwrite" }} }}
          ]
          hooks {{ {hooks} }}
        }}
    """)


@pytest.fixture
def orders(spark, tmp_path):
    path = tmp_path / "orders"
    spark.createDataFrame([(i, i) for i in range(1, ROWS + 1)], "id BIGINT, amount BIGINT").write.parquet(str(path))
    return path


def test_all_observability_on_costs_no_spark_job_and_reports_the_datasets_and_rows(spark, orders, tmp_path):
    lineage_file, audit_file = tmp_path / "lineage.jsonl", tmp_path / "audit.jsonl"
    on = f"""
        enable_metrics = true
        enable_audit_log = true
        audit_log {{ path = "{audit_file}" }}
        enable_lineage = true
        lineage {{ transport {{ type = "file", log_file_path = "{lineage_file}", append = true }} }}
    """
    spans = []

    class Spans:  # an in-memory exporter for the metrics plugin's spans
        def export(self, batch):
            spans.extend(batch)

        def shutdown(self):
            pass

        def force_flush(self, timeout_millis=0):
            return True

    with_all = run_pipeline_text(
        pipeline(orders, tmp_path / "on", on),
        spark=spark,
        directory=tmp_path,
        plugins=[MetricsHook(span_exporter=Spans())],
    )
    without = run_pipeline_text(
        pipeline(orders, tmp_path / "off", "", observe_rows=False), spark=spark, directory=tmp_path
    )
    assert with_all.succeeded and without.succeeded
    assert job_count(spark, with_all) == job_count(spark, without)

    events = [json.loads(line) for line in lineage_file.read_text().splitlines()]
    run_events = [e for e in events if e["job"]["name"] == "orders-daily"]
    assert [e["eventType"] for e in run_events] == ["START", "COMPLETE"]
    assert {e["run"]["runId"] for e in run_events} == {run_uuid(with_all.run_id)}
    complete = run_events[-1]
    assert [(d["namespace"], d["name"]) for d in complete["inputs"]] == [("file", str(orders))]
    (output,) = complete["outputs"]
    assert (output["namespace"], output["name"]) == ("file", str(tmp_path / "on"))
    assert output["outputFacets"]["outputStatistics"]["rowCount"] == 20
    assert output["outputFacets"]["outputStatistics"]["size"] > 0
    (read_complete,) = [e for e in events if e["job"]["name"] == "orders-daily.read" and e["eventType"] == "COMPLETE"]
    assert read_complete["inputs"][0]["inputFacets"]["inputStatistics"]["rowCount"] == ROWS

    audit = [json.loads(line) for line in audit_file.read_text().splitlines()]
    assert [(a["event"], a.get("step"), a.get("rows_out")) for a in audit] == [
        ("step", "read", ROWS),
        ("step", "big", 20),
        ("step", "write", 20),
        ("run", None, None),
    ]

    step_spans = {s.name: s for s in spans if s.name.startswith("step ")}
    assert step_spans["step write"].attributes["ppf.step.rows_written"] == 20
    assert step_spans["step read"].attributes["ppf.step.rows_out"] == ROWS  # lazy: known at the end
    assert step_spans["step big"].attributes["ppf.step.rows_in"] == ROWS
