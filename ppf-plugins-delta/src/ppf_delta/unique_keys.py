"""Merge keys must identify one source row: checked while the merge's source is computed.

A duplicate key that matches a target row makes Delta fail with a generic error; one that
matches nothing is silently inserted twice.  Instead of a separate counting pass, the source is
wrapped in a filter that raises as soon as a key occurs twice (a window count over the merge
keys), so nothing is committed.  For a merge into an existing table the window's shuffle doubles
as the merge join's own (see :mod:`.merge_source`).  Only when the check fires does one small
extra Spark job collect a sample of the duplicates for the error message."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark_pipeline_framework.core import PermanentError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

#: Marks the guard's error inside whatever exception Spark wraps it in.
MARKER = "PPF_DUPLICATE_MERGE_KEY"
SAMPLE_SIZE = 5


class DuplicateMergeKeyError(PermanentError):
    """The source holds several rows for one merge key; the target table was not changed."""


def guard_unique_keys(df: DataFrame, keys: list[str]) -> DataFrame:
    """``df`` unchanged, except that evaluating it fails when a key occurs more than once."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    # Window functions are not allowed in a filter: count into a column, check it, drop it.
    counted = "__ppf_merge_key_rows"
    occurrences = F.count(F.lit(1)).over(Window.partitionBy(*[F.col(k) for k in keys]))
    failure = F.raise_error(F.concat(F.lit(f"{MARKER} "), F.to_json(F.struct(*[F.col(k) for k in keys]))))
    return (
        df.withColumn(counted, occurrences)
        .filter(F.when(F.col(counted) > 1, failure).otherwise(F.lit(True)))
        .drop(counted)
    )


def is_duplicate_key_failure(error: BaseException) -> bool:
    return MARKER in str(error)


def duplicate_key_error(df: DataFrame, keys: list[str], config_path: str, target: str) -> DuplicateMergeKeyError:
    """The error to raise instead of Spark's: names the keys and a sample of duplicated values."""
    from pyspark.sql import functions as F

    rows = (
        df.groupBy(*keys)
        .agg(F.count(F.lit(1)).alias("rows"))
        .filter(F.col("rows") > 1)
        .orderBy(F.col("rows").desc())
        .limit(SAMPLE_SIZE)
        .collect()
    )
    sample = "; ".join(", ".join(f"{k}={row[k]!r}" for k in keys) + f" ({row['rows']} rows)" for row in rows)
    return DuplicateMergeKeyError(
        f"{config_path}: merge key ({', '.join(keys)}) is not unique in the source, so the merge into "
        f"{target} was not run and the table is unchanged; duplicated keys: {sample or 'see the Spark error'}. "
        "Deduplicate the input first (e.g. a Deduplicate step) or choose merge_keys that identify one row."
    )
