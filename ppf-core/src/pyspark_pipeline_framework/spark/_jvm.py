"""The driver's JVM behind classic PySpark: the only module of ppf-core that reaches past PySpark's API.

Three promises of ppf need what PySpark does not offer in Python:

* step figures at no Spark cost (``runtime/figures``): the bytes and records a sink wrote come from
  Spark's status store (what the Spark UI shows), and the rows a plain-scan source read from its
  scan's ``number of output rows`` metric in the SQL status store, matched to the source through
  the column ids of its optimized plan;
* a bounded wait for an observation (``spark/observations``): ``Observation.get`` blocks with no
  timeout, while the Java observation's future says whether its values are there;
* atomic file writes (``spark/staged_write``): renames through Hadoop's ``FileSystem``, configured
  with Spark's own Hadoop configuration;
* a quiet cancellation (``runtime/run/executor``): ``SparkContext.setLogLevel`` changes only the
  root logger, while Spark's aborting writers and killed tasks log through loggers that ppf's
  log4j settings name (``org.apache.spark.util.Utils``); log4j's ``Configurator`` sets them all.

For them this module reads underscore attributes of pyspark (``SparkContext._jsc``,
``SparkSession._jsparkSession``, ``SparkSession._jvm``, ``DataFrame._jdf``, ``Observation._jo``)
and Scala members that PySpark does not wrap (``SparkContext.statusStore``, ``listenerBus``,
``SharedState.statusStore``, ``QueryExecution.optimizedPlan``), and nothing else in ppf-core does,
so a new PySpark is checked in one place: ``tests/spark/test_jvm_bridge.py`` fails when the
installed PySpark is not :data:`WRITTEN_FOR`, and exercises every handle on a real session.

Under Spark Connect there is no driver JVM in the client: every function here returns ``None``
(or ``False``), and the callers fall back: figures are reported as missing, an observation is read
on a thread within the bounded wait, and a file write goes straight to its target as Spark does it.
"""

from __future__ import annotations

from typing import Any

#: The PySpark version these handles were checked against.
WRITTEN_FOR = "4.2.0"


def status_store(spark: Any) -> Any | None:
    """The application's ``AppStatusStore`` (jobs and stages with their task metrics)."""
    try:
        return spark.sparkContext._jsc.sc().statusStore()
    except Exception:  # Spark Connect: no SparkContext
        return None


def sql_status_store(spark: Any) -> Any | None:
    """The ``SQLAppStatusStore`` (SQL executions, their plan graphs and metric values)."""
    try:
        return spark._jsparkSession.sharedState().statusStore()
    except Exception:
        return None


def wait_for_listener_bus(spark: Any, wait_ms: int) -> bool:
    """Wait (at most ``wait_ms``) until Spark's listener bus has delivered every queued event to
    the status stores; ``False`` if it did not drain in time or there is no bus (Spark Connect)."""
    try:
        spark.sparkContext._jsc.sc().listenerBus().waitUntilEmpty(wait_ms)
        return True
    except Exception:
        return False


def optimized_plan(df: Any) -> Any | None:
    """The root ``LogicalPlan`` of ``df`` after optimization."""
    java_df = getattr(df, "_jdf", None)
    if java_df is None:
        return None
    return java_df.queryExecution().optimizedPlan()


def observation_future(observation: Any) -> Any | None:
    """The ``scala.concurrent.Future`` of an observation's values (``isCompleted()``), once it is
    attached to a DataFrame; ``None`` before that and under Spark Connect."""
    java_observation = getattr(observation, "_jo", None)
    return None if java_observation is None else java_observation.future()


def only_fatal_spark_logs(spark: Any) -> bool:
    """Let Spark's log4j loggers, every one of them, print only fatal messages from now on;
    ``False`` without a driver JVM (Spark Connect)."""
    jvm = getattr(spark, "_jvm", None)
    if jvm is None:
        return False
    log4j = jvm.org.apache.logging.log4j
    log4j.core.config.Configurator.setAllLevels(log4j.LogManager.ROOT_LOGGER_NAME, log4j.Level.FATAL)
    return True


def hadoop_file_system(spark: Any) -> tuple[Any, Any] | None:
    """Hadoop's ``Path`` class and Spark's Hadoop configuration (for ``Path.getFileSystem``)."""
    jvm = getattr(spark, "_jvm", None)
    if jvm is None:
        return None
    return jvm.org.apache.hadoop.fs.Path, spark._jsc.hadoopConfiguration()
