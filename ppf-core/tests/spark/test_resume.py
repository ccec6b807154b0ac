"""Run ledger and resume on Spark: a 5-step pipeline failing at step 4, fixed and resumed."""

from __future__ import annotations

import textwrap
from pathlib import Path

import ppf_counting_components as counting
import pytest

from pyspark_pipeline_framework.core.results import StepStatus
from pyspark_pipeline_framework.runner.config.preflight import validate
from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file
from pyspark_pipeline_framework.runtime.resilience.ledger import ResumeRefused, RunLedger
from pyspark_pipeline_framework.runtime.run.launch import run_pipeline

pytestmark = pytest.mark.spark

BROKEN = '["id", "doubled", "no_such_column"]'
FIXED = '["id", "doubled", "doubled + 1 AS plus"]'


def five_steps(tmp_path, source, out, columns, checkpoint="checkpoint = true", double="id * 2"):
    path = tmp_path / "pipeline.conf"
    path.write_text(
        textwrap.dedent(f"""
        pipeline {{
          name = "five"
          {checkpoint}
          steps = [
            {{ name = "extract", type = "ppf_counting_components.CountingSource", config {{ path = "{source}" }} }}
            {{ name = "double", type = SqlTransform, config {{ query = "SELECT id, {double} AS doubled FROM extract" }} }}
            {{ name = "thin", type = Filter, config {{ condition = "id % 3 != 0" }} }}
            {{ name = "pick", type = SelectColumns, config {{ columns = {columns} }} }}
            {{ name = "load", type = ParquetSink, config {{ path = "{out}", mode = overwrite }} }}
          ]
        }}
    """),
        encoding="utf-8",
    )
    return validate(load_pipeline_file(path))


@pytest.fixture
def source(spark, tmp_path):
    path = str(tmp_path / "in")
    spark.createDataFrame([(i,) for i in range(30)], "id INT").write.parquet(path)
    return path


def rows(spark, path):
    return sorted(tuple(r) for r in spark.read.parquet(str(path)).collect())


def test_failed_at_step_4_fixed_and_resumed(spark, tmp_path, source):
    ledger = RunLedger(tmp_path / "ledger")
    counting.READS.clear()
    first = run_pipeline(five_steps(tmp_path, source, tmp_path / "out", BROKEN), spark=spark, ledger=ledger)
    assert first.exit_code == 1 and first.step("pick").status is StepStatus.FAILED
    record = ledger.load("last")
    assert record["run_id"] == first.run_id and record["status"] == "failed"
    assert [record["steps"][s]["status"] for s in ("extract", "double", "thin", "pick", "load")] == [
        "succeeded",
        "succeeded",
        "succeeded",
        "failed",
        "not_run",
    ]
    assert record["steps"]["thin"]["checkpoint"] and record["steps"]["pick"]["error"].startswith("AnalysisException")
    assert counting.READS["extract"] == 1

    resumed = run_pipeline(
        five_steps(tmp_path, source, tmp_path / "out", FIXED), spark=spark, ledger=ledger, resume="last"
    )
    assert resumed.succeeded, resumed.to_dict()
    assert counting.READS["extract"] == 1  # the source was not read again
    assert resumed.ran == ["pick", "load"]  # steps 1 to 3 were not run again
    for name in ("extract", "double", "thin"):
        assert resumed.step(name).attempts == 0 and first.run_id in resumed.step(name).reason
    again = ledger.load(resumed.run_id)
    assert again["resumed_from"] == first.run_id and again["steps"]["thin"]["reused_from"] == first.run_id
    # Nothing is left to resume: the checkpoints of the failed run (reused or not) are deleted.
    assert all(Path(record["steps"][s]["checkpoint"]).exists() is False for s in ("extract", "double", "thin"))
    assert again["checkpoints_removed"] == [
        str((tmp_path / "ledger" / run / "outputs").resolve()) for run in (resumed.run_id, first.run_id)
    ]  # its own `pick` too
    assert not (tmp_path / "ledger" / resumed.run_id / "outputs").exists()

    clean = run_pipeline(five_steps(tmp_path, source, tmp_path / "clean", FIXED, checkpoint=""), spark=spark)
    assert clean.succeeded and counting.READS["extract"] == 2
    assert rows(spark, tmp_path / "out") == rows(spark, tmp_path / "clean")
    assert len(rows(spark, tmp_path / "clean")) == 20


def test_resume_refuses_when_a_completed_step_changed(spark, tmp_path, source):
    ledger = RunLedger(tmp_path / "ledger")
    run_pipeline(five_steps(tmp_path, source, tmp_path / "out", BROKEN), spark=spark, ledger=ledger)
    changed = five_steps(tmp_path, source, tmp_path / "out", FIXED, double="id * 3")
    with pytest.raises(ResumeRefused, match="completed step\\(s\\) 'double', 'thin'"):
        run_pipeline(changed, spark=spark, ledger=ledger, resume="last")


def test_resume_refuses_without_checkpoints(spark, tmp_path, source):
    ledger = RunLedger(tmp_path / "ledger")
    run_pipeline(five_steps(tmp_path, source, tmp_path / "out", BROKEN, checkpoint=""), spark=spark, ledger=ledger)
    with pytest.raises(ResumeRefused, match=r"step 'thin' completed .* its output was not kept"):
        run_pipeline(
            five_steps(tmp_path, source, tmp_path / "out", FIXED, checkpoint=""),
            spark=spark,
            ledger=ledger,
            resume="last",
        )
