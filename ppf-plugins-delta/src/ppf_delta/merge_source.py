"""The source of a checked MERGE: read once, checked for duplicate keys, laid out for the merge's join.

Delta materializes a merge's source (a local checkpoint) so that its two passes, finding the
touched files and then rewriting them, see the same rows.  When the merge keys are checked, the
sink does that materialization itself, with the rows shuffled by the keys and sorted by them
within each partition.  Planned without adaptive execution, the checkpoint keeps the knowledge of
that layout, so the check (a window count over the keys) streams through the rows without a
shuffle or sort of its own, and the merge's join uses the layout instead of shuffling and sorting
the source again: the check's shuffle replaces one the merge would run anyway, so it adds no
Spark job.  Delta is told not to materialize a second time.

Adaptive execution is switched off only for a source whose plan has no shuffle of its own, where
it has nothing to adapt; a source that joins or aggregates is checkpointed with it on, checked
while it is checkpointed, and the merge's join shuffles it again (one job more than an unchecked
merge).  Without adaptive
execution nothing coalesces the join's partitions after the fact, so their number is chosen up
front the way adaptive execution would coalesce them (:func:`join_partitions`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from pyspark_pipeline_framework.spark import adaptive_execution_off, session_settings

from .unique_keys import guard_unique_keys

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

MATERIALIZE_SOURCE = "spark.databricks.delta.merge.materializeSource"
STORAGE_LEVEL = "spark.databricks.delta.merge.materializeSource.rddStorageLevel"
DEFAULT_STORAGE_LEVEL = "DISK_ONLY"  # Delta's own default for a materialized merge source


@contextmanager
def checked_merge_source(df: DataFrame, keys: list[str], target: Any) -> Iterator[DataFrame]:
    """``df`` materialized and checked for duplicate keys; Delta's own materialization is off inside.

    Evaluating it raises (from Spark) when a key occurs twice, before the merge writes anything.  ``target`` is the
    ``DeltaTable`` merged into, used only for its size.
    """
    spark = df.sparkSession
    if not hasattr(df, "_jdf"):  # Spark Connect: no plan access; Delta materializes the checked plan
        yield guard_unique_keys(df, keys)
        return
    table_bytes = known_table_bytes(target)
    estimate = estimated_bytes(df) + table_bytes if table_bytes is not None else None
    partitions = join_partitions(spark.conf.get, estimate, spark.sparkContext.defaultParallelism)
    from pyspark import StorageLevel

    level_name = cast(str, spark.conf.get(STORAGE_LEVEL, DEFAULT_STORAGE_LEVEL))  # not None: it has a default
    level = getattr(StorageLevel, level_name.upper(), StorageLevel.DISK_ONLY)
    clustered = df.repartition(partitions, *keys)
    if has_shuffle(df):
        materialized = source = local_checkpoint(guard_unique_keys(clustered, keys), level)
    else:
        with adaptive_execution_off(spark):
            materialized = local_checkpoint(clustered.sortWithinPartitions(*keys), level)
        # Rows already clustered and sorted by the keys: the window count streams through them in
        # each of the merge's passes (the first raises before anything is written).
        source = guard_unique_keys(materialized, keys)
    try:
        with session_settings(spark, {MATERIALIZE_SOURCE: "none"}):
            yield source
    finally:
        materialized._jdf.queryExecution().analyzed().rdd().unpersist(False)


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
    except Exception:  # an internal of delta-spark: without it the join keeps its full partition count
        return None


def estimated_bytes(df: DataFrame) -> int:
    """The optimizer's size estimate (file sizes for a scan)."""
    size = df._jdf.queryExecution().optimizedPlan().stats().sizeInBytes()
    return size if isinstance(size, int) else int(size.toString())  # py4j converts scala.math.BigInt


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
        raise ValueError(
            f'Spark setting {key} = {value!r} is not a byte size; give e.g. "64MB" or a number of '
            "bytes in spark.conf (pipeline file) or --override spark.conf..."
        ) from None
