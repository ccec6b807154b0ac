"""Spark Connect sessions: what differs when the driver is a server and this process only a client.

A Connect session (``spark.remote = "sc://host:port"`` or ``SPARK_REMOTE``) has no SparkContext
and no JVM in this process: ``sparkContext``, ``_jsc`` and ``_jvm`` do not exist.  Everything in
ppf that reaches the driver's JVM asks :func:`is_connect` first and takes the Connect path
instead: a step's output is analyzed when the step ends (:func:`analyze_now`), jobs are tagged with :func:`tag_jobs` and cancelled with :func:`cancel_jobs` (Spark's
operation tags, which both kinds of session have), and the figures that come from the driver's
status stores are reported as unavailable.  ``docs/connect.md`` lists every difference.
"""

from __future__ import annotations

from typing import Any

#: The package of PySpark's Connect client classes (``pyspark.sql.connect.session.SparkSession``).
_CONNECT_PACKAGE = "pyspark.sql.connect."


def is_connect(spark: Any) -> bool:
    """Whether ``spark`` is a Spark Connect session (or a DataFrame of one).

    Decided by the object's class, without importing the Connect client (which needs gRPC).
    """
    return type(spark).__module__.startswith(_CONNECT_PACKAGE)


def analyze_now(df: Any) -> None:
    """Have the server analyze ``df``'s plan now: one request, no Spark job.

    A classic DataFrame is analyzed when it is made, so an unknown column fails the step that
    named it; a Connect DataFrame only when something asks for its schema or runs it.  Asked here,
    the error stays with the step that made the plan (its retries, ``on_failure``, its hooks).
    """
    _ = df.schema


def tag_jobs(spark: Any, tag: str) -> None:
    """Tag the operations this thread starts on a Connect session from now on with ``tag``."""
    spark.addTag(tag)


def cancel_jobs(spark: Any, tag: str | None = None) -> list[str]:
    """Interrupt the running operations of a Connect session tagged ``tag`` (every one with ``None``);
    the ids of the operations interrupted."""
    return list(spark.interruptAll() if tag is None else spark.interruptTag(tag))
