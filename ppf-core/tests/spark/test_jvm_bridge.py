"""ppf-core's handles on the driver's JVM (``spark/_jvm.py``), on the PySpark they were written for.

Every caller treats a handle that fails as "not available" (a figure reported as missing, a write
straight to its target), so a PySpark that renamed one would degrade without a word: these tests
fail instead.
"""

from __future__ import annotations

import pyspark
import pytest

from pyspark_pipeline_framework.spark import _jvm, job_group


def test_the_handles_were_checked_against_the_installed_pyspark():
    assert pyspark.__version__ == _jvm.WRITTEN_FOR, (
        f"pyspark {pyspark.__version__} is installed, but spark/_jvm.py was checked against {_jvm.WRITTEN_FOR}: "
        "check every handle in it against the new version (these tests run them), then update WRITTEN_FOR"
    )


@pytest.mark.spark
def test_the_status_stores_answer_what_the_step_figures_read(spark, tmp_path):
    group = job_group("jvm-bridge-test")
    context = spark.sparkContext
    context.setJobGroup(group, "bridge: write")
    try:
        spark.range(5).write.parquet(str(tmp_path / "rows"))
    finally:
        for key in ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel"):
            context.setLocalProperty(key, None)
    assert _jvm.wait_for_listener_bus(spark, 5000)

    store = _jvm.status_store(spark)
    (job_id,) = context.statusTracker().getJobIdsForGroup(group)
    job = store.job(job_id)
    assert job.status().toString() == "SUCCEEDED" and job.description().get() == "bridge: write"
    stage = store.lastStageAttempt(int(job.stageIds().mkString(",").split(",")[0]))
    assert int(stage.outputRecords()) == 5 and int(stage.outputBytes()) > 0

    sql_store = _jvm.sql_status_store(spark)
    count = int(sql_store.executionsCount())
    last = sql_store.executionsList(count - 1, 1).apply(0)
    names = {
        sql_store.planGraph(last.executionId()).allNodes().apply(i).name()
        for i in range(sql_store.planGraph(last.executionId()).allNodes().size())
    }
    assert any(name.startswith("Execute") or "Write" in name for name in names), names


@pytest.mark.spark
def test_a_dataframes_optimized_plan_shows_its_scan_and_column_ids(spark, tmp_path):
    path = str(tmp_path / "scan")
    spark.range(3).write.parquet(path)
    plan = _jvm.optimized_plan(spark.read.parquet(path).select("id"))
    while plan.getClass().getSimpleName() == "Project":
        plan = plan.children().apply(0)
    assert plan.getClass().getSimpleName() == "LogicalRelation"
    assert int(plan.output().apply(0).exprId().id()) >= 0


@pytest.mark.spark
def test_an_observations_future_completes_with_its_query(spark):
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    observation = Observation("bridge")
    assert _jvm.observation_future(observation) is None  # not attached to a query yet
    spark.range(4).observe(observation, F.count(F.lit(1)).alias("rows")).collect()
    assert _jvm.observation_future(observation).isCompleted()
    assert observation.get == {"rows": 4}


@pytest.mark.spark
def test_hadoop_file_system_is_sparks_own(spark, tmp_path):
    hadoop_path, conf = _jvm.hadoop_file_system(spark)
    target = hadoop_path(str(tmp_path))
    assert target.getFileSystem(conf).exists(target)
    assert conf.get("fs.defaultFS") == spark.sparkContext._jsc.hadoopConfiguration().get("fs.defaultFS")
    # Settings of the session, set at run time, are in it too, as in the session's own writes.
    spark.conf.set("fs.ppf-bridge-test.setting", "seen")
    try:
        assert _jvm.hadoop_file_system(spark)[1].get("fs.ppf-bridge-test.setting") == "seen"
    finally:
        spark.conf.unset("fs.ppf-bridge-test.setting")


@pytest.mark.spark
def test_spark_logs_can_be_limited_to_fatal_messages_for_every_logger(spark):
    log4j = spark._jvm.org.apache.logging.log4j
    configured = "org.apache.spark.util.Utils"  # a logger with a level of its own (ppf's quiet log4j settings)
    before = {name: log4j.LogManager.getLogger(name).getLevel() for name in ("", configured)}
    try:
        assert _jvm.only_fatal_spark_logs(spark)
        for name in before:
            assert log4j.LogManager.getLogger(name).getLevel().toString() == "FATAL"
    finally:
        for name, level in before.items():
            log4j.core.config.Configurator.setLevel(name, level)


@pytest.mark.spark
def test_first_lines_reads_the_first_data_file_through_hadoop_codecs(spark, tmp_path):
    import gzip

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "_SUCCESS").write_text("")
    (folder / ".hidden.csv").write_text("hidden\n")
    with gzip.open(folder / "part-1.csv.gz", "wt", encoding="utf-8") as out:
        out.write("id,name\n1,a\n2,b\n")
    (folder / "part-2.csv").write_text("other\n")
    file, lines = _jvm.first_lines(spark, str(folder), "UTF-8", 2)
    assert file.endswith("part-1.csv.gz") and lines == ["id,name", "1,a"]
    assert _jvm.first_lines(spark, str(tmp_path / "nothing-*"), "UTF-8", 1) is None


@pytest.mark.spark
def test_java_class_name_names_the_java_exception(spark, tmp_path):
    hadoop_path, conf = _jvm.hadoop_file_system(spark)
    path = hadoop_path(str(tmp_path / "exists"))
    fs = path.getFileSystem(conf)
    fs.create(path, False).close()
    with pytest.raises(Exception) as caught:
        fs.create(path, False)
    assert _jvm.java_class_name(caught.value) == "org.apache.hadoop.fs.FileAlreadyExistsException"
    assert _jvm.java_class_name(ValueError("python")) == ""
