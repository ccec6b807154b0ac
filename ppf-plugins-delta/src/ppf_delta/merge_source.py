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
front the way adaptive execution would coalesce them (:func:`.compat.join_partitions`).  What
this needs beyond the public APIs of PySpark and delta-spark is in :mod:`.compat`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from pyspark_pipeline_framework.spark import adaptive_execution_off, session_settings

from .compat import (
    estimated_bytes,
    has_plan_access,
    has_shuffle,
    join_partitions,
    known_table_bytes,
    local_checkpoint,
    release_checkpoint,
)
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
    if not has_plan_access(df):  # Spark Connect: Delta materializes the checked plan
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
        release_checkpoint(materialized)
