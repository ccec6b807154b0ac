"""Spark's driver JVM in a process group of its own.

A scheduler that stops a task signals the task's whole process group (Airflow does, as does
``kill -- -PGID``).  Started by pyspark in ppf's group, the JVM would get that SIGTERM too and shut
down at once: a batch run could not cancel its jobs cleanly, a streaming run could not finish its
micro-batch.  In a group of its own it hears only from ppf, which stops it at the end of the run.
It still never outlives ppf: pyspark's gateway exits when its stdin pipe from ppf closes, as when
ppf is killed.  (systemd's default signals every process of the service's cgroup, whatever their
group: docs/streaming.md says to use ``KillMode=mixed``.)
"""

from __future__ import annotations

import os
from collections.abc import Mapping

#: Set by spark-submit (and pyspark's shell) when the JVM runs already and Python joins it.
GATEWAY_PORT_ENV = "PYSPARK_GATEWAY_PORT"


def start_driver_jvm(conf: Mapping[str, str]) -> bool:
    """Start the driver JVM in a group of its own and a SparkContext on it with ``conf``.

    Returns ``False``, having started nothing, when a JVM or a session exists already (spark-submit,
    a test's shared session): the session builder then joins it as it always does.
    """
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway
    from pyspark.sql import SparkSession

    if os.environ.get(GATEWAY_PORT_ENV) or _session_exists(SparkSession):
        return False
    spark_conf = SparkConf(loadDefaults=False).setAll(list(conf.items()))
    gateway = launch_gateway(spark_conf, popen_kwargs={"start_new_session": True})
    try:
        SparkContext(conf=spark_conf, gateway=gateway)
    except ValueError:  # a SparkContext without a session runs already: leave this JVM, join that one
        _stop(gateway)
        return False
    return True


def _session_exists(session_class: type) -> bool:
    try:
        session_class.active()  # type: ignore[attr-defined]
    except Exception:  # PySparkRuntimeError NO_ACTIVE_OR_DEFAULT_SESSION
        return False
    return True


def _stop(gateway: object) -> None:
    """End a gateway JVM nobody uses: closing its stdin pipe makes it exit."""
    process = getattr(gateway, "proc", None)
    try:
        gateway.shutdown()  # type: ignore[attr-defined]
    finally:
        if process is not None and process.stdin is not None:
            process.stdin.close()
            process.wait(timeout=30)
