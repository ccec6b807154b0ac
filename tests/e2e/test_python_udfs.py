"""Python UDFs as pipeline authors write them: a module-level ``@udf("long")`` over a Parquet source.

pyspark parses the DDL return type ``"long"`` in the JVM while the module is imported, so the module
cannot be imported before a Spark session exists: `ppf validate` says what it could not check, and
`ppf run` imports the module once the session exists.  With pandas and pyarrow installed (as with
``pyspark[sql]``) the UDF runs through Arrow; on Spark 4.2.0 its columnar input from the Parquet
reader hangs the job unless ppf's session default turns that path off.  Every test has a timeout, so
a regression fails instead of blocking CI.
"""

from __future__ import annotations

import json

import pytest

from .conftest import ppf, probe

pytestmark = pytest.mark.e2e

UDFS = '''
from pyspark.sql import DataFrame
from pyspark.sql.functions import udf
from pyspark_pipeline_framework.core import Transform, TransformConfig


@udf("long")
def plus_one(value):
    return value + 1


@udf("long")
def reject_odd(value):
    if value % 2:
        raise ValueError(f"odd value {value} is not allowed")
    return value


class PlusOneConfig(TransformConfig):
    column: str
    output: str


class PlusOne(Transform[PlusOneConfig]):
    """Adds ``output`` = ``column`` + 1, computed by a Python UDF."""

    def transform(self, df: DataFrame) -> DataFrame:
        from pyspark.util import PythonEvalType

        self.logger.info("udf_eval_type", arrow=plus_one.evalType == PythonEvalType.SQL_ARROW_BATCHED_UDF)
        return df.withColumn(self.config.output, plus_one(df[self.config.column]))


class RejectOdd(Transform[PlusOneConfig]):
    """A Python UDF that raises on odd values."""

    def transform(self, df: DataFrame) -> DataFrame:
        return df.withColumn(self.config.output, reject_odd(df[self.config.column]))
'''

PIPELINE = """
pipeline {
  name = "python-udfs"
  spark { master = "local[2]", conf { "spark.ui.enabled" = "false", "spark.sql.shuffle.partitions" = "2" } }
  steps = [
    { name = "numbers", type = "ParquetSource", config { path = "data/numbers" } }
    {
      name = "plus-one"
      type = "my_udfs.PlusOne"
      config { column = "id", output = "next" }
    }
    { name = "all", type = "ParquetSink", inputs = ["plus-one"], config { path = "out/all" } }
    { name = "totals", type = "SqlTransform", inputs = ["plus-one"],
      config { query = "SELECT count(*) AS n, sum(next) AS total FROM plus_one" } }
    { name = "totals-out", type = "JsonSink", config { path = "out/totals" } }
  ]
}
"""

ROWS = 1000


@pytest.fixture
def udf_project(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "my_udfs.py").write_text(UDFS)
    (tmp_path / "data" / "numbers").mkdir(parents=True)
    pq.write_table(
        pa.table({"id": pa.array(range(ROWS), pa.int64())}), tmp_path / "data" / "numbers" / "part-0.parquet"
    )
    (tmp_path / "udfs.conf").write_text(PIPELINE)
    return tmp_path


def events_of(done):
    return [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]


@pytest.mark.timeout(600)
def test_module_level_udf_over_parquet_runs_with_the_right_rows(udf_project):
    done = ppf("run", "-c", "udfs.conf", "--log-format", "json", cwd=udf_project, timeout=540)
    assert done.returncode == 0, done.stderr
    events = events_of(done)
    assert next(e for e in events if e["event"] == "steps_imported_in_session")["steps"] == ["plus-one"]
    # The case that hung: an Arrow-optimized UDF over the vectorized Parquet reader (pandas and pyarrow installed).
    assert next(e for e in events if e["event"] == "udf_eval_type")["arrow"] is True, (
        "the UDF did not run through Arrow: install pandas and pyarrow (pyspark[sql]) in the test environment"
    )
    import pyarrow.parquet as pq

    rows = pq.read_table(str(udf_project / "out" / "all")).to_pylist()
    assert sorted((r["id"], r["next"]) for r in rows) == [(i, i + 1) for i in range(ROWS)]
    (part,) = (udf_project / "out" / "totals").glob("part-*.json")
    assert json.loads(part.read_text()) == {"n": ROWS, "total": sum(range(1, ROWS + 1))}


@pytest.mark.timeout(600)
def test_a_udf_that_raises_fails_its_step_with_the_python_error(udf_project):
    (udf_project / "fails.conf").write_text(PIPELINE.replace("my_udfs.PlusOne", "my_udfs.RejectOdd"))
    done = ppf("run", "-c", "fails.conf", "--log-format", "json", cwd=udf_project, timeout=540)
    assert done.returncode == 1, done.stderr
    events = events_of(done)
    failed = [e for e in events if e["event"] == "step_failed"]
    assert failed and {e["step"] for e in failed} <= {"all", "totals", "totals-out"}
    assert all("ValueError" in e["error"] and "is not allowed" in e["error"] for e in failed), failed
    assert events[-1]["event"] == "pipeline_finished" and events[-1]["succeeded"] is False


@pytest.mark.timeout(300)
def test_validate_says_what_it_could_not_check_without_spark(udf_project):
    done, facts = probe("validate", "udfs.conf", cwd=udf_project)
    assert facts["exit"] == 0 and facts["jvm_started"] is False, done.stderr
    assert "udfs.conf: OK (5 steps, 1 checked only once Spark runs: see the notes)" in done.stdout
    note = done.stderr
    assert "note: " in note and "udfs.conf:9: pipeline.steps[1].type: not checked without Spark" in note, note
    assert "[SESSION_OR_CONTEXT_NOT_EXISTS]" in note and "`ppf run` imports it once the session exists" in note
    assert "fix the error in that module" not in note

    done, facts = probe("validate", "--format", "json", "udfs.conf", cwd=udf_project)
    assert facts["exit"] == 0, done.stderr
    (report,) = json.loads(done.stdout)
    assert report["valid"] is True and report["issues"] == []
    (note,) = report["notes"]
    assert note["path"] == "pipeline.steps[1].type" and note["line"] == 9 and note["hint"]


@pytest.mark.timeout(600)
def test_a_config_error_in_a_deferred_step_is_reported_once_the_session_exists(udf_project):
    (udf_project / "typo.conf").write_text(PIPELINE.replace('column = "id"', 'colum = "id"'))
    done = ppf("run", "-c", "typo.conf", cwd=udf_project, timeout=540)
    assert done.returncode == 2, done.stderr
    assert "typo.conf:10: pipeline.steps[1].config.colum: unknown key" in done.stderr, done.stderr
    assert "did you mean 'column'?" in done.stderr
    assert not (udf_project / "out").exists()


def test_the_readme_shows_the_example_udf_component_verbatim():
    import re

    from .conftest import REPO

    readme = (REPO / "README.md").read_text()
    code = re.search(r"`my_pipelines/domains.py`:\n\n```python\n(.*?)```", readme, re.S)
    assert code, "the README's custom-component section no longer shows my_pipelines/domains.py"
    assert code.group(1) == (REPO / "examples/user_etl/my_pipelines/domains.py").read_text()
