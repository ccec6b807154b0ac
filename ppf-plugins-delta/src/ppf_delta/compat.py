"""What the checked merge needs beyond the public APIs of PySpark and delta-spark, for the versions it was written for.

The checked merge (:mod:`.merge_source`) materializes its source itself, shuffled and sorted by the
merge keys, so that the duplicate-key check rides on the shuffle the merge's join needs anyway:
the Quick Start runs 12 Spark jobs with the check, against 14 with the check inside Delta's own
materialization of the source (see ``docs/plugins-delta.md``).  Doing so needs what PySpark and
delta-spark do not offer in Python:

* :func:`has_shuffle`: whether a DataFrame's physical plan exchanges rows.  Only a plan without a
  shuffle of its own is checkpointed with adaptive execution off (so the checkpoint keeps the
  knowledge of its layout); PySpark shows a plan only as printed text (``explain``).
* :func:`estimated_bytes`: the optimizer's size estimate of the source, and
  :func:`known_table_bytes`, the table's size from its snapshot, to size the join.  The public
  ``DeltaTable.detail()`` gives the same table size, but it lists the table's log again and
  computes more than the size (three Spark jobs on its first call): seconds per merge on S3.
* :func:`join_partitions`: Spark's own rule for coalescing shuffle partitions
  (``CoalesceShufflePartitions``), applied up front, since without adaptive execution nothing
  coalesces the join's partitions afterwards.  A copy of Spark's rule, so it belongs with the
  Spark version it copies.
* :func:`local_checkpoint`, :func:`release_checkpoint`: the checkpoint's blocks released once the
  merge is done or the check failed, as Delta releases its own materialized source; PySpark's
  ``unpersist`` does not reach a checkpoint.

Under Spark Connect (:func:`has_plan_access` is false) none of this is available: the checked
source is left to Delta's own materialization (one Spark job more).  ``tests/test_compat.py``
fails when the installed PySpark or delta-spark is not the one in :data:`WRITTEN_FOR`, and runs
every function here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyspark_pipeline_framework.core import ConfigError, ConfigIssue
from pyspark_pipeline_framework.spark import is_connect

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

#: The versions the functions below were checked against.
WRITTEN_FOR = {"pyspark": "4.2.0", "delta-spark": "4.4.0"}


def has_plan_access(df: DataFrame) -> bool:
    """Whether ``df`` is a classic DataFrame, whose plans the driver's JVM holds (not Spark Connect)."""
    return not is_connect(df)


def has_shuffle(df: DataFrame) -> bool:
    """Whether the physical plan exchanges rows (a shuffle or a broadcast) or runs subqueries."""
    pending = [df._jdf.queryExecution().executedPlan()]
    while pending:
        node = pending.pop()
        if node.nodeName() == "AdaptiveSparkPlan":  # its plan as prepared, exchanges included
            node = node.initialPlan()
        if "Exchange" in node.nodeName() or node.subqueries().nonEmpty():
            return True
        children = node.children()
        pending.extend(children.apply(i) for i in range(children.size()))
    return False


def estimated_bytes(df: DataFrame) -> int:
    """The optimizer's size estimate (file sizes for a scan)."""
    size = df._jdf.queryExecution().optimizedPlan().stats().sizeInBytes()
    return size if isinstance(size, int) else int(size.toString())  # py4j converts scala.math.BigInt


def known_table_bytes(table: Any) -> int | None:
    """The Delta table's size, ``None`` when this delta-spark keeps it elsewhere.

    From the latest checksum file (``_delta_log/<version>.crc``, one small read) when there is one.
    Only without it from the snapshot's state, whose reconstruction (three Spark jobs) the merge
    needs anyway; run here, those jobs would come before the source is read, on a colder JVM,
    and take longer than inside the merge.
    """
    try:
        snapshot = table._jdt.deltaLog().unsafeVolatileSnapshot()
        checksum = snapshot.checksumOpt()
        size = checksum.get().tableSizeBytes() if checksum.isDefined() else snapshot.sizeInBytes()
        return int(size)
    except Exception:  # without a size the join keeps its full partition count
        return None


def local_checkpoint(df: DataFrame, level: Any) -> DataFrame:
    """``df.localCheckpoint``, whose blocks are released when it fails (the duplicate-key check fires
    inside it), as they are after the merge when it succeeds."""
    context = df.sparkSession.sparkContext._jsc
    before = set(context.getPersistentRDDs().keySet())
    try:
        return df.localCheckpoint(eager=True, storageLevel=level)
    except BaseException:
        # The failed checkpoint's RDD is registered but unreachable: the one checkpoint made since.
        for rdd_id, rdd in dict(context.getPersistentRDDs()).items():
            if rdd_id not in before and rdd.rdd().isLocallyCheckpointed():
                rdd.unpersist(False)
        raise


def release_checkpoint(checkpointed: DataFrame) -> None:
    """Free the blocks of a :func:`local_checkpoint` (without waiting for them to be removed)."""
    checkpointed._jdf.queryExecution().analyzed().rdd().unpersist(False)


_BYTE_UNITS = {
    "": 1,
    "b": 1,
    "k": 1 << 10,
    "kb": 1 << 10,
    "m": 1 << 20,
    "mb": 1 << 20,
    "g": 1 << 30,
    "gb": 1 << 30,
    "t": 1 << 40,
    "tb": 1 << 40,
    "p": 1 << 50,
    "pb": 1 << 50,
}


def parse_bytes(text: str) -> int:
    """A Spark byte-size setting ("64MB", "1m", "67108864") in bytes."""
    match = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", text)
    if not match or match.group(2).lower() not in _BYTE_UNITS:
        raise ValueError(f"not a byte size: {text!r}")
    return int(match.group(1)) * _BYTE_UNITS[match.group(2).lower()]


def join_partitions(
    conf: Callable[[str, str | None], str | None], estimated: int | None, default_parallelism: int
) -> int:
    """How many partitions the merge's join gets: what adaptive execution would coalesce it to.

    The same rule as Spark's ``CoalesceShufflePartitions``, applied to the size estimate of source
    plus table instead of measured shuffle sizes, and never more than the join would start from.
    With adaptive execution or its coalescing off, or no estimate, the join keeps the partition
    count it would start from (``spark.sql.shuffle.partitions``).
    """
    shuffle_partitions = int(conf("spark.sql.shuffle.partitions", "200") or 200)
    if _off(conf("spark.sql.adaptive.enabled", "true")) or _off(
        conf("spark.sql.adaptive.coalescePartitions.enabled", "true")
    ):
        return shuffle_partitions
    initial = int(conf("spark.sql.adaptive.coalescePartitions.initialPartitionNum", None) or shuffle_partitions)
    if estimated is None:
        return initial
    advisory = _setting_bytes(
        conf,
        "spark.sql.adaptive.advisoryPartitionSizeInBytes",
        conf("spark.sql.adaptive.shuffle.targetPostShuffleInputSize", "64MB") or "64MB",
    )
    target = advisory
    if not _off(conf("spark.sql.adaptive.coalescePartitions.parallelismFirst", "true")):
        minimum_count = int(conf("spark.sql.adaptive.coalescePartitions.minPartitionNum", None) or default_parallelism)
        minimum_size = _setting_bytes(conf, "spark.sql.adaptive.coalescePartitions.minPartitionSize", "1MB")
        target = max(minimum_size, min(advisory, math.ceil(estimated / max(1, minimum_count))))
    # At least two: one partition is planned as a single partition, a layout no join reuses.
    return min(initial, max(2, math.ceil(estimated / max(1, target))))


def _off(setting: str | None) -> bool:
    return (setting or "").strip().lower() == "false"


def _setting_bytes(conf: Callable[[str, str | None], str | None], key: str, default: str) -> int:
    value = conf(key, None) or default
    try:
        return parse_bytes(value)
    except ValueError:
        # A configuration error, not bad weather: retrying the step cannot help.
        raise ConfigError(
            [
                ConfigIssue(
                    f'pipeline.spark.conf."{key}"',
                    f"Spark setting {key} = {value!r} is not a byte size",
                    f'give e.g. "64MB" or a number of bytes in spark.conf (pipeline file) or '
                    f"--override 'spark.conf.\"{key}\"=64MB'",
                )
            ]
        ) from None
