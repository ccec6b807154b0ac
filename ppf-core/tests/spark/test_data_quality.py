"""The DataQuality validator on Spark: one pass, NULL-safe counts, fail before the write, job counts."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from pyspark_pipeline_framework.core import Hook
from pyspark_pipeline_framework.core.results import StepStatus
from pyspark_pipeline_framework.testing import job_count, run_pipeline_text

pytestmark = pytest.mark.spark

ROWS = [
    (1, "a@x.org", "DE", 10.0, "2026-01-01 00:00:00"),
    (2, "b@x.org", "US", 20.0, "2026-01-02 00:00:00"),
    (3, None, "FR", None, "2026-01-03 00:00:00"),  # NULL email and amount
    (3, "bad-mail", "US", 500.0, None),  # duplicate id, bad mail, out of range
    (5, "e@x.org", None, 30.0, "2026-01-05 00:00:00"),  # NULL country
]


@pytest.fixture(scope="module")
def people(spark, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("dq") / "people")
    spark.createDataFrame(ROWS, "id INT, email STRING, country STRING, amount DOUBLE, seen STRING").withColumn(
        "seen", __import__("pyspark.sql.functions", fromlist=["col"]).col("seen").cast("timestamp")
    ).write.parquet(path)
    return path


def persisted(spark) -> set[int]:
    """The ids of the RDDs the shared session keeps persisted (other tests' captured frames among them)."""
    return set(spark.sparkContext._jsc.getPersistentRDDs().keySet())


def pipeline(source: str, out: str, checks: str | None) -> str:
    validator = f'{{ name = "dq", type = DataQuality, config {{ checks = [ {checks} ] }} }}' if checks else ""
    return textwrap.dedent(f"""
        pipeline {{
          name = "dq"
          steps = [
            {{ name = "src", type = ParquetSource, config {{ path = "{source}" }} }}
            {validator}
            {{ name = "out", type = ParquetSink, config {{ path = "{out}" }} }}
          ]
        }}
    """)


TEN_CHECKS = """
  { type = not_null, columns = [id], action = warn }
  { type = not_null, columns = [email], action = warn }
  { type = unique, columns = [id], action = warn }
  { type = accepted_values, column = country, values = [DE, US, FR], action = warn }
  { type = range, column = amount, min = 0, max = 100, action = warn }
  { type = regex, column = email, pattern = "^[^@]+@[^@]+$", action = warn }
  { type = sql, expression = "id > 0", action = warn }
  { type = row_count, min = 1, max = 1000, action = warn }
  { type = freshness, column = seen, max_age = "36500d", action = warn }
  { type = schema, columns = { id = int, email = string }, action = warn }
"""


def test_ten_checks_report_null_safe_counts(spark, people, tmp_path):
    result = run_pipeline_text(pipeline(people, str(tmp_path / "out"), TEN_CHECKS), spark=spark, directory=tmp_path)
    assert result.succeeded, result.to_dict()
    report = result.step("dq").metrics["data_quality"]
    checks = report["checks"]
    assert report["rows_checked"] == 5
    failed = {name: entry.get("rows_failed") for name, entry in checks.items()}
    assert failed == {
        "not_null(id)": 0,
        "not_null(email)": 1,
        "unique(id)": 2,
        "accepted_values(country)": 1,  # the NULL country fails explicitly
        "range(amount)": 2,  # 500 and the NULL amount
        "regex(email)": 2,  # "bad-mail" and the NULL email
        "sql(id > 0)": 0,
        "row_count": None,
        "freshness(seen)": None,
        "schema": None,
    }
    for entry in checks.values():
        if "rows_failed" in entry:
            assert entry["rows_failed"] + entry["rows_passed"] == entry["rows_checked"] == 5
    assert checks["row_count"]["passed"] and checks["freshness(seen)"]["passed"] and checks["schema"]["passed"]
    assert spark.read.parquet(str(tmp_path / "out")).count() == 5  # warn keeps every row


def test_ten_checks_add_at_most_one_spark_job(spark, people, tmp_path):
    assert spark.conf.get("spark.sql.adaptive.enabled") == "true"  # each shuffle would be a job of its own
    baseline = run_pipeline_text(pipeline(people, str(tmp_path / "plain"), None), spark=spark, directory=tmp_path)
    observed = run_pipeline_text(pipeline(people, str(tmp_path / "warn"), TEN_CHECKS), spark=spark, directory=tmp_path)
    # One fail check: the ten (unique among them, a shuffle) decide in one pass before the write.
    deciding = TEN_CHECKS.replace(
        '{ type = sql, expression = "id > 0", action = warn }', '{ type = sql, expression = "id > 0", action = fail }'
    )
    assert deciding.count("type =") == 10 and "action = fail" in deciding and "type = unique" in deciding
    decided = run_pipeline_text(pipeline(people, str(tmp_path / "fail"), deciding), spark=spark, directory=tmp_path)
    assert baseline.succeeded and observed.succeeded and decided.succeeded
    base = job_count(spark, baseline)
    assert job_count(spark, observed) <= base + 1
    assert job_count(spark, decided) <= base + 1
    assert decided.step("dq").metrics["data_quality"]["checks"]["unique(id)"]["rows_failed"] == 2
    assert spark.conf.get("spark.sql.adaptive.enabled") == "true"  # the deciding pass restored it


class DeleteSourceAfter(Hook):
    """Removes the source files once the named step has run: later steps cannot read them again."""

    def __init__(self, step: str, path: Path):
        self.step, self.path = step, path

    def after_step(self, step_name, context, result):
        if step_name == self.step:
            shutil.rmtree(self.path)


def test_the_step_after_a_deciding_validator_reads_its_rows_not_the_source(spark, tmp_path):
    before = persisted(spark)
    source = tmp_path / "people"
    spark.createDataFrame(ROWS, "id INT, email STRING, country STRING, amount DOUBLE, seen STRING").write.parquet(
        str(source)
    )
    out = tmp_path / "out"
    checks = "{ type = not_null, columns = [id] }, { type = unique, columns = [id], action = warn }"
    result = run_pipeline_text(
        pipeline(str(source), str(out), checks),
        spark=spark,
        directory=tmp_path,
        plugins=[DeleteSourceAfter("dq", source)],
    )
    assert result.succeeded, result.to_dict()
    assert not source.exists()
    assert sorted(r.id for r in spark.read.parquet(str(out)).collect()) == [1, 2, 3, 3, 5]
    # Released once the sink was done: nothing of the run stays persisted.
    assert persisted(spark) <= before


def test_quarantined_and_passed_rows_are_two_writes_of_one_read(spark, tmp_path):
    before = persisted(spark)
    source = tmp_path / "people"
    spark.createDataFrame(ROWS, "id INT, email STRING, country STRING, amount DOUBLE, seen STRING").write.parquet(
        str(source)
    )
    out, dead = tmp_path / "out", tmp_path / "dead"
    text = pipeline(str(source), str(out), "{ type = not_null, columns = [email], action = quarantine }").replace(
        'name = "dq"', f'name = "dq", dead_letter {{ type = ParquetSink, config {{ path = "{dead}" }} }}'
    )
    # The source is gone once the validator ran (its dead letters written): the sink must read
    # the persisted rows, not the source.
    result = run_pipeline_text(text, spark=spark, directory=tmp_path, plugins=[DeleteSourceAfter("dq", source)])
    assert result.succeeded, result.to_dict()
    assert sorted(r.id for r in spark.read.parquet(str(out)).collect()) == [1, 2, 3, 5]
    assert [r.id for r in spark.read.parquet(str(dead)).collect()] == [3]
    assert result.step("dq").metrics["data_quality"]["rows_quarantined"] == 1
    assert persisted(spark) <= before


def test_a_deciding_validator_that_fails_keeps_nothing_persisted(spark, people, tmp_path):
    before = persisted(spark)
    checks = "{ type = unique, columns = [id] }"
    result = run_pipeline_text(pipeline(people, str(tmp_path / "out"), checks), spark=spark, directory=tmp_path)
    assert result.exit_code == 1 and "unique(id): 2 of 5 rows failed" in result.step("dq").error
    assert persisted(spark) <= before


def test_a_failing_fail_check_stops_the_run_before_the_sink_writes(spark, people, tmp_path):
    out = tmp_path / "out"
    checks = "{ type = not_null, columns = [email] }, { type = range, column = amount, min = 0, max = 1000, tolerance = 0.5 }"
    result = run_pipeline_text(pipeline(people, str(out), checks), spark=spark, directory=tmp_path)
    assert result.exit_code == 1
    dq = result.step("dq")
    assert dq.status is StepStatus.FAILED and dq.attempts == 1
    assert "DataQualityError" in dq.error and "not_null(email): 1 of 5 rows failed" in dq.error
    assert "range" not in dq.error  # 1 failing of 5 is within its tolerance of 0.5
    assert dq.metrics["data_quality"]["checks"]["range(amount)"]["passed"]
    assert result.step("out").status is StepStatus.NOT_RUN and not out.exists()


def test_drop_removes_exactly_the_failing_rows(spark, people, tmp_path):
    out = tmp_path / "out"
    checks = '{ type = regex, column = email, pattern = "@", action = drop }, { type = not_null, columns = [country], action = warn }'
    result = run_pipeline_text(pipeline(people, str(out), checks), spark=spark, directory=tmp_path)
    assert result.succeeded
    kept = sorted(r["id"] for r in spark.read.parquet(str(out)).collect())
    assert kept == [1, 2, 5]
    entry = result.step("dq").metrics["data_quality"]["checks"]["regex(email)"]
    assert (entry["rows_checked"], entry["rows_failed"], entry["rows_passed"]) == (5, 2, 3)
