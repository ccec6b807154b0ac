"""Python UDFs over a Parquet source on real Spark: they complete, or fail their step; they never hang.

With pandas and pyarrow installed, Spark 4.2 runs Python UDFs through Arrow, and its columnar input
path from the vectorized Parquet reader hangs the job; sessions ppf builds turn that path off.
Each test has a timeout so that a regression fails instead of blocking the suite.  It uses
pytest-timeout's thread method: a hung step runs on a thread of ppf's executor, and the exception a
timeout signal raises would only reach the pool's shutdown, which waits for that step forever; on
timeout the test process prints every thread's stack and ends.
"""

from __future__ import annotations

import textwrap

import pytest

from pyspark_pipeline_framework.runtime.session.builder import PPF_DEFAULT_CONF
from pyspark_pipeline_framework.testing import run_pipeline_text

pytestmark = pytest.mark.spark

ROWS = 1000
COLUMNAR_INPUT = "spark.sql.execution.arrow.pythonUDF.columnarInput.enabled"


@pytest.fixture
def numbers(spark, tmp_path):
    path = str(tmp_path / "numbers")
    spark.range(ROWS).write.parquet(path)
    return path


def run(text, spark, tmp_path):
    return run_pipeline_text(textwrap.dedent(text), spark=spark, directory=tmp_path)


def test_the_shared_session_has_the_ppf_default(spark):
    assert PPF_DEFAULT_CONF[COLUMNAR_INPUT] == "false"
    assert spark.conf.get(COLUMNAR_INPUT) == "false"


def test_udfs_take_the_arrow_path_in_this_environment(spark):
    """The tests below cover the Arrow UDF path only if pandas and pyarrow are installed (as with pyspark[sql])."""
    import ppf_udf_components
    from pyspark.util import PythonEvalType

    assert ppf_udf_components.plus_one.evalType == PythonEvalType.SQL_ARROW_BATCHED_UDF, (
        "Python UDFs do not run through Arrow here: install pandas and pyarrow in the test environment"
    )


@pytest.mark.timeout(300, method="thread")
def test_module_level_udf_transform_over_parquet_feeding_two_sinks(spark, numbers, tmp_path):
    result = run(
        f"""
        pipeline {{
          name = "udf-transform"
          steps = [
            {{ name = "numbers", type = "ParquetSource", config {{ path = "{numbers}" }} }}
            {{ name = "plus-one", type = "ppf_udf_components.PlusOne", config {{ column = "id", output = "next" }} }}
            {{ name = "all", type = "ParquetSink", inputs = ["plus-one"], config {{ path = "{tmp_path / "all"}" }} }}
            {{ name = "totals", type = "SqlTransform", inputs = ["plus-one"],
               config {{ query = "SELECT count(*) AS n, sum(next) AS total FROM plus_one" }} }}
            {{ name = "totals-out", type = "ParquetSink", config {{ path = "{tmp_path / "totals"}" }} }}
          ]
        }}
    """,
        spark,
        tmp_path,
    )
    assert result.succeeded, result.to_dict()
    import pyarrow.parquet as pq

    rows = pq.read_table(str(tmp_path / "all")).to_pylist()
    assert sorted((r["id"], r["next"]) for r in rows) == [(i, i + 1) for i in range(ROWS)]
    assert pq.read_table(str(tmp_path / "totals")).to_pylist() == [{"n": ROWS, "total": sum(range(1, ROWS + 1))}]


@pytest.mark.timeout(300, method="thread")
def test_source_whose_udf_replaces_a_parquet_column_feeding_two_sinks(spark, numbers, tmp_path):
    result = run(
        f"""
        pipeline {{
          name = "udf-source"
          steps = [
            {{ name = "numbers", type = "ppf_udf_components.ParquetPlusOneSource",
               config {{ path = "{numbers}", column = "id" }} }}
            {{ name = "first", type = "ParquetSink", inputs = ["numbers"], config {{ path = "{tmp_path / "first"}" }} }}
            {{ name = "second", type = "ParquetSink", inputs = ["numbers"], config {{ path = "{tmp_path / "second"}" }} }}
          ]
        }}
    """,
        spark,
        tmp_path,
    )
    assert result.succeeded, result.to_dict()
    import pyarrow.parquet as pq

    for sink in ("first", "second"):
        assert sorted(r["id"] for r in pq.read_table(str(tmp_path / sink)).to_pylist()) == list(range(1, ROWS + 1))


@pytest.mark.timeout(300, method="thread")
def test_a_udf_that_raises_fails_its_step_with_the_python_error(spark, numbers, tmp_path):
    result = run(
        f"""
        pipeline {{
          name = "udf-raises"
          steps = [
            {{ name = "numbers", type = "ParquetSource", config {{ path = "{numbers}" }} }}
            {{ name = "reject-odd", type = "ppf_udf_components.RejectOdd", config {{ column = "id", output = "even" }} }}
            {{ name = "out", type = "ParquetSink", config {{ path = "{tmp_path / "out"}" }} }}
          ]
        }}
    """,
        spark,
        tmp_path,
    )
    assert not result.succeeded and int(result.exit_code) == 1
    (failed,) = [s for s in result.steps if s.status.value == "failed"]
    assert failed.name == "out"  # the UDF runs lazily, when the sink writes
    assert "ValueError" in failed.error and "odd value" in failed.error and "is not allowed" in failed.error, (
        failed.error
    )
