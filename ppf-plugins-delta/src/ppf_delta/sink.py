"""DeltaSink: append, overwrite (optionally only where a predicate holds) or merge into a Delta table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal, cast

import attrs

from pyspark_pipeline_framework.core import Sink, SinkConfig
from pyspark_pipeline_framework.spark import is_connect

from .connect import needs_delta_connect, with_plain_strings
from .merge_source import checked_merge_source
from .target import check_path_or_table, describe, existing_table
from .transaction import WriteTransaction
from .unique_keys import duplicate_key_error, guard_unique_keys, is_duplicate_key_failure

if TYPE_CHECKING:
    from delta.tables import DeltaTable
    from pyspark.sql import DataFrame, SparkSession

DeltaWriteMode = Literal["append", "overwrite", "merge"]


class DeltaSinkConfig(SinkConfig):
    #: Table location: a local path or any Hadoop URI (s3://, hdfs://, abfss://...).
    path: str | None = None
    #: Catalog table name instead of a path, e.g. "sales.orders" (created if missing).
    table: str | None = None
    #: append: add rows; overwrite: replace the table (or only `replace_where` rows);
    #: merge: upsert by `merge_keys`.
    mode: DeltaWriteMode = "append"
    #: merge: columns that identify a row; must be unique in the input (checked, see docs).
    merge_keys: list[str] = attrs.field(factory=list)
    #: merge: extra SQL condition for a match, using the aliases `target` and `source`,
    #: e.g. "target.region = 'eu'". ANDed with the key equality.
    merge_condition: str | None = None
    #: merge: delete target rows that no input row matches (the table mirrors the input).
    delete_unmatched: bool = False
    #: merge: fail before committing when a merge key occurs twice in the input (its shuffle by
    #: the keys is reused by the merge's join: no extra Spark job).  Turn off only when an earlier
    #: step guarantees uniqueness: Delta itself would insert duplicated new keys twice.
    check_unique_keys: bool = True
    #: overwrite: replace only the rows matching this SQL predicate, e.g. "day = '2024-05-01'".
    replace_where: str | None = None
    #: Columns to partition a new table by.
    partition_by: list[str] = attrs.field(factory=list)
    #: Schema evolution: add new input columns to the table instead of failing.
    merge_schema: bool = False
    #: Delta table properties, e.g. { "delta.enableChangeDataFeed" = "true" }; set when they differ.
    table_properties: dict[str, str] = attrs.field(factory=dict)
    #: Further Delta writer options (append and overwrite), passed as written.
    options: dict[str, str] = attrs.field(factory=dict)

    def check(self) -> Iterable[tuple[str, str]]:
        yield from check_path_or_table(self.path, self.table)
        if self.mode == "merge" and not self.merge_keys:
            yield "merge_keys", 'mode = "merge" needs the columns that identify a row, e.g. merge_keys = ["id"]'
        if self.mode != "merge":
            for key, value in (
                ("merge_keys", self.merge_keys),
                ("merge_condition", self.merge_condition),
                ("delete_unmatched", self.delete_unmatched),
                ("check_unique_keys", not self.check_unique_keys),
            ):
                if value:
                    yield key, f'only applies with mode = "merge" (mode is {self.mode!r})'
        if self.replace_where is not None and self.mode != "overwrite":
            yield "replace_where", f'only applies with mode = "overwrite" (mode is {self.mode!r})'
        if len(set(self.merge_keys)) != len(self.merge_keys):
            yield "merge_keys", "lists a column twice"
        for key in ("txnAppId", "txnVersion", "replaceWhere", "mergeSchema"):
            if key in self.options:
                yield f"options.{key}", "is set by the sink itself; use the sink's own option for it"


class DeltaSink(Sink[DeltaSinkConfig]):
    """Writes to a Delta table: append, overwrite, overwrite with replace_where, or merge (upsert) by keys.

    Appends, overwrites and merges are idempotent within a run: a retried attempt of the step
    commits at most once.  In a streaming pipeline each micro-batch commits at most once across
    runs (a batch replayed after a crash is skipped when it committed before).  Merge keys that are not unique in the input fail the step with the duplicated
    keys named, before anything is written.
    """

    #: The table found by :meth:`prepare`, used by the first attempt only (a retry looks again).
    _prepared_target: DeltaTable | None = None

    def prepare(self) -> None:
        # Finding the table lists its log (an S3 LIST and GETs): done while earlier steps run.
        config = self.config
        if self._needs_target():
            self._prepared_target = existing_table(self.context.spark, config.path, config.table)

    def _needs_target(self) -> bool:
        """Only a merge and table properties need the existing table; a plain append or overwrite does not look."""
        return self.config.mode == "merge" or bool(self.config.table_properties)

    def write(self, df: DataFrame) -> None:
        spark = df.sparkSession
        config = self.config
        if is_connect(df):  # strings the Python client typed would carry an explicit collation into the table
            df = with_plain_strings(df)
        if not self._needs_target():
            self._save(df, config.mode, creating=False)
            self.logger.info("delta_written", target=describe(config.path, config.table), mode=config.mode)
            return
        # A table missing at preparation may have been created since (by an earlier step): look again.
        target, self._prepared_target = self._prepared_target, None
        if target is None:
            target = existing_table(spark, config.path, config.table)
        exists = target is not None
        if config.mode == "merge" and exists:
            self._merge(spark, target, df)
        else:
            # A merge into a table that does not exist yet creates it from the input.
            mode = "append" if config.mode == "merge" else config.mode
            source = self._guarded(df) if config.mode == "merge" else df
            self._run_guarded(df, lambda: self._save(source, mode, creating=not exists))
        if exists:
            self._apply_table_properties(spark, target)
        self.logger.info("delta_written", target=describe(config.path, config.table), mode=config.mode)

    # -- append / overwrite ------------------------------------------------------------------
    def _save(self, df: DataFrame, mode: str, *, creating: bool) -> None:
        config = self.config
        options = dict(config.options)
        options.update(WriteTransaction.for_component(self.context, self.step_name).writer_options())
        if config.merge_schema:
            options["mergeSchema"] = "true"
        if config.replace_where is not None:
            options["replaceWhere"] = config.replace_where
        if creating:
            # Delta applies `delta.*` writer options as table properties when it creates the table.
            options.update(config.table_properties)
        writer = df.write.format("delta").mode(mode).options(**options)
        if config.partition_by:
            writer = writer.partitionBy(*config.partition_by)
        if config.path is not None:
            writer.save(config.path)
        else:
            writer.saveAsTable(cast(str, config.table))  # the config check requires a path or a table

    # -- merge -------------------------------------------------------------------------------
    def _merge(self, spark: SparkSession, target: DeltaTable, df: DataFrame) -> None:
        config = self.config
        self._run_guarded(
            df,
            lambda: (
                self._merge_checked(spark, target, df)
                if config.check_unique_keys
                else self._execute_merge(spark, target, df)
            ),
        )

    def _merge_checked(self, spark: SparkSession, target: DeltaTable, df: DataFrame) -> None:
        with checked_merge_source(df, list(self.config.merge_keys), target) as source:
            self._execute_merge(spark, target, source)

    def _execute_merge(self, spark: SparkSession, target: DeltaTable, source: DataFrame) -> None:
        config = self.config
        condition = " AND ".join(f"target.`{key}` = source.`{key}`" for key in config.merge_keys)
        if config.merge_condition:
            condition = f"{condition} AND ({config.merge_condition})"
        builder = (
            target.alias("target")
            .merge(source.alias("source"), condition)
            .whenMatchedUpdateAll()
            .whenNotMatchedInsertAll()
        )
        if config.delete_unmatched:
            builder = builder.whenNotMatchedBySourceDelete()
        if config.merge_schema:
            builder = builder.withSchemaEvolution()
        with (
            WriteTransaction.for_component(self.context, self.step_name).for_dml(spark),
            needs_delta_connect(f"the merge into {describe(config.path, config.table)}"),
        ):
            builder.execute()

    def _guarded(self, df: DataFrame) -> DataFrame:
        if not self.config.check_unique_keys:
            return df
        return guard_unique_keys(df, list(self.config.merge_keys))

    def _run_guarded(self, df: DataFrame, action) -> None:
        try:
            action()
        except Exception as error:
            if not is_duplicate_key_failure(error):
                raise
            target = describe(self.config.path, self.config.table)
            raise duplicate_key_error(
                df, list(self.config.merge_keys), self.config_path("merge_keys"), target
            ) from None

    # -- table properties --------------------------------------------------------------------
    def _apply_table_properties(self, spark: SparkSession, target: DeltaTable) -> None:
        wanted = self.config.table_properties
        if not wanted:
            return
        with needs_delta_connect(f"table_properties of {describe(self.config.path, self.config.table)}"):
            current = target.detail().collect()[0]["properties"] or {}
        changed = {k: v for k, v in wanted.items() if current.get(k) != v}
        if changed:  # only then: every ALTER is a commit of its own
            assignments = ", ".join(f"'{k}' = '{v}'" for k, v in changed.items())
            name = f"delta.`{self.config.path}`" if self.config.path is not None else self.config.table
            spark.sql(f"ALTER TABLE {name} SET TBLPROPERTIES ({assignments})")
