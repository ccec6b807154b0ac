"""The driver's JVM behind classic PySpark: the only module of ppf-core that reaches past PySpark's API.

Three promises of ppf need what PySpark does not offer in Python:

* step figures at no Spark cost (``runtime/figures``): the bytes and records a sink wrote come from
  Spark's status store (what the Spark UI shows), and the rows a plain-scan source read from its
  scan's ``number of output rows`` metric in the SQL status store, matched to the source through
  the column ids of its optimized plan;
* a bounded wait for an observation (``spark/observations``): ``Observation.get`` blocks with no
  timeout, while the Java observation's future says whether its values are there;
* atomic file writes (``spark/staged_write``): renames through Hadoop's ``FileSystem``, configured
  as the session's own reads and writes are (``SessionState.newHadoopConf``: the context's Hadoop
  configuration with the session's settings, such as per-bucket S3 credentials set at run time),
  and the Java class of a failed call's exception;
* a CSV header checked against the declared schema (``components/files``) without a Spark job:
  the first lines of the first file, read through the same ``FileSystem`` and compression codecs;
* a quiet cancellation (``runtime/run/executor``): ``SparkContext.setLogLevel`` changes only the
  root logger, while Spark's aborting writers and killed tasks log through loggers that ppf's
  log4j settings name (``org.apache.spark.util.Utils``); log4j's ``Configurator`` sets them all.

For them this module reads underscore attributes of pyspark (``SparkContext._jsc``,
``SparkSession._jsparkSession``, ``SparkSession._jvm``, ``DataFrame._jdf``, ``Observation._jo``;
on Spark Connect the client's ``Observation._result``, see :func:`keep_first_observed_values`)
and Scala members that PySpark does not wrap (``SparkContext.statusStore``, ``listenerBus``,
``SharedState.statusStore``, ``QueryExecution.optimizedPlan``), and nothing else in ppf-core does,
so a new PySpark is checked in one place: ``tests/spark/test_jvm_bridge.py`` fails when the
installed PySpark is not :data:`WRITTEN_FOR`, and exercises every handle on a real session.

Under Spark Connect (:func:`~pyspark_pipeline_framework.spark.connect.is_connect`) there is no
driver JVM in the client: every function here returns ``None`` (or ``False``) without touching
any of those attributes, and the callers fall back: figures are reported as missing, an observation is read
on a thread within the bounded wait, and a file write goes straight to its target as Spark does it.
"""

from __future__ import annotations

from typing import Any

from pyspark_pipeline_framework.spark.connect import is_connect

#: The PySpark version these handles were checked against.
WRITTEN_FOR = "4.2.0"


def status_store(spark: Any) -> Any | None:
    """The application's ``AppStatusStore`` (jobs and stages with their task metrics)."""
    if is_connect(spark):
        return None
    try:
        return spark.sparkContext._jsc.sc().statusStore()
    except Exception:  # Spark Connect: no SparkContext
        return None


def sql_status_store(spark: Any) -> Any | None:
    """The ``SQLAppStatusStore`` (SQL executions, their plan graphs and metric values)."""
    if is_connect(spark):
        return None
    try:
        return spark._jsparkSession.sharedState().statusStore()
    except Exception:
        return None


def wait_for_listener_bus(spark: Any, wait_ms: int) -> bool:
    """Wait (at most ``wait_ms``) until Spark's listener bus has delivered every queued event to
    the status stores; ``False`` if it did not drain in time or there is no bus (Spark Connect)."""
    if is_connect(spark):
        return False
    try:
        spark.sparkContext._jsc.sc().listenerBus().waitUntilEmpty(wait_ms)
        return True
    except Exception:
        return False


def optimized_plan(df: Any) -> Any | None:
    """The root ``LogicalPlan`` of ``df`` after optimization (``None`` under Spark Connect)."""
    if is_connect(df):
        return None
    java_df = getattr(df, "_jdf", None)
    if java_df is None:
        return None
    return java_df.queryExecution().optimizedPlan()


def observation_future(observation: Any) -> Any | None:
    """The ``scala.concurrent.Future`` of an observation's values (``isCompleted()``), once it is
    attached to a DataFrame; ``None`` before that and under Spark Connect."""
    if is_connect(observation):
        return None
    java_observation = getattr(observation, "_jo", None)
    return None if java_observation is None else java_observation.future()


class _FirstResult(dict[str, Any]):
    """An observation's values that keep the first action's figures: later updates are ignored."""

    def update(self, *args: Any, **kwargs: Any) -> None:
        if not self:
            super().update(*args, **kwargs)


def keep_first_observed_values(observation: Any) -> None:
    """Make a Spark Connect observation keep the values of the first action that ran its plan.

    A classic ``Observation`` keeps the first action's values.  Spark Connect's client updates its
    result dict (``Observation._result``, filled in place) from every later action's response too,
    and a later action that reads the observed plan from a cache reports the metric accumulated
    over the executions: a row count read by two sinks running at once comes back doubled or
    tripled.  Attached right after ``DataFrame.observe``; a no-op on classic sessions.
    """
    if not is_connect(observation) or getattr(observation, "_result", None) != {}:
        return
    observation._result = _FirstResult()


def only_fatal_spark_logs(spark: Any) -> bool:
    """Let Spark's log4j loggers, every one of them, print only fatal messages from now on;
    ``False`` without a driver JVM (Spark Connect)."""
    if is_connect(spark):
        return False
    jvm = getattr(spark, "_jvm", None)
    if jvm is None:
        return False
    log4j = jvm.org.apache.logging.log4j
    log4j.core.config.Configurator.setAllLevels(log4j.LogManager.ROOT_LOGGER_NAME, log4j.Level.FATAL)
    return True


def hadoop_file_system(spark: Any) -> tuple[Any, Any] | None:
    """Hadoop's ``Path`` class and the Hadoop configuration the session's own reads and writes use;
    ``None`` under Spark Connect."""
    if is_connect(spark):
        return None
    jvm = getattr(spark, "_jvm", None)
    if jvm is None:
        return None
    return jvm.org.apache.hadoop.fs.Path, spark._jsparkSession.sessionState().newHadoopConf()


def java_class_name(error: BaseException) -> str:
    """The Java class of the exception behind a Py4J error (``""`` for a Python exception)."""
    java_exception = getattr(error, "java_exception", None)
    if java_exception is None:
        return ""
    try:
        return str(java_exception.getClass().getName())
    except Exception:
        return ""


def first_lines(spark: Any, path: str, encoding: str, count: int) -> tuple[str, list[str]] | None:
    """Up to ``count`` lines of the first data file of ``path`` (a file, directory or glob, as Spark
    lists them: hidden ``_`` / ``.`` names skipped), decompressed by Hadoop's codecs; ``None``
    without a JVM or when nothing matches."""
    found = hadoop_file_system(spark)
    if found is None:
        return None
    hadoop_path, conf = found
    pattern = hadoop_path(path)
    fs = pattern.getFileSystem(conf)
    statuses = fs.globStatus(pattern)
    first = _first_file(fs, sorted(statuses or [], key=lambda s: s.getPath().toString()))
    if first is None:
        return None
    jvm = spark._jvm
    stream = fs.open(first)
    codec = jvm.org.apache.hadoop.io.compress.CompressionCodecFactory(conf).getCodec(first)
    if codec is not None:
        stream = codec.createInputStream(stream)
    reader = jvm.java.io.BufferedReader(jvm.java.io.InputStreamReader(stream, encoding))
    try:
        lines: list[str] = []
        while len(lines) < count:
            line = reader.readLine()
            if line is None:
                break
            lines.append(str(line))
        return first.toString(), lines
    finally:
        reader.close()


def _first_file(fs: Any, statuses: list[Any]) -> Any | None:
    for status in statuses:
        name = status.getPath().getName()
        if name.startswith(".") or (name.startswith("_") and "=" not in name):  # as Spark's file index
            continue
        if not status.isDirectory():
            return status.getPath()
        inner = fs.listStatus(status.getPath())
        found = _first_file(fs, sorted(inner, key=lambda s: s.getPath().toString()))
        if found is not None:
            return found
    return None


def first_line_of(spark: Any, path: str) -> str | None:
    """The first line of one file (hidden names included: a commit lock), ``None`` if it is gone."""
    found = hadoop_file_system(spark)
    if found is None:
        return None
    hadoop_path, conf = found
    file = hadoop_path(path)
    try:
        stream = file.getFileSystem(conf).open(file)
    except Exception as error:
        if java_class_name(error).endswith("FileNotFoundException"):
            return None
        raise
    jvm = spark._jvm
    reader = jvm.java.io.BufferedReader(jvm.java.io.InputStreamReader(stream, "UTF-8"))
    try:
        line = reader.readLine()
        return None if line is None else str(line)
    finally:
        reader.close()
