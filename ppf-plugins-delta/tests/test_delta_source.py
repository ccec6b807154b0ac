"""DeltaSource against real delta-spark jars: path, table name, time travel, columns, change feed."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.spark

SCHEMA = "user_id INT, name STRING"


@pytest.fixture
def two_versions(spark, table_path):
    """A table with version 0 = users 1, 2 and version 1 = user 2 renamed (change feed on)."""
    from delta.tables import DeltaTable as SparkDeltaTable

    (
        spark.createDataFrame([(1, "ann"), (2, "bob")], SCHEMA)
        .write.format("delta")
        .option("delta.enableChangeDataFeed", "true")
        .save(table_path)
    )
    SparkDeltaTable.forPath(spark, table_path).update("user_id = 2", {"name": "'bobby'"})
    return table_path


def _read(run_steps, tmp_path, source_config: str) -> list[tuple]:
    from pyarrow import parquet

    out = tmp_path / "out"
    result = run_steps(f"""{{ name = read, type = DeltaSource, config {{ {source_config} }} }}
{{ name = write, type = ParquetSink, config {{ path = "{out}", mode = overwrite }} }}""")
    assert result.succeeded, result
    table = parquet.read_table(str(out))
    return sorted(zip(*[table.column(c).to_pylist() for c in table.column_names], strict=True))


def test_reads_the_latest_version_by_path(run_steps, tmp_path, two_versions):
    assert _read(run_steps, tmp_path, f'path = "{two_versions}"') == [(1, "ann"), (2, "bobby")]


def test_time_travel_by_version_and_column_selection(run_steps, tmp_path, two_versions):
    rows = _read(run_steps, tmp_path, f'path = "{two_versions}", version = 0, columns = [name]')
    assert rows == [("ann",), ("bob",)]


def test_time_travel_by_timestamp(spark, run_steps, tmp_path, two_versions):
    # Delta's own idea of version 0's time (file times may differ from commitInfo's).
    history = spark.sql(f"DESCRIBE HISTORY delta.`{two_versions}`").collect()
    first = next(row["timestamp"] for row in history if row["version"] == 0)
    at = first.strftime("%Y-%m-%d %H:%M:%S.%f")
    assert _read(run_steps, tmp_path, f'path = "{two_versions}", timestamp = "{at}"') == [(1, "ann"), (2, "bob")]


def test_change_data_feed_reads_row_changes(run_steps, tmp_path, two_versions):
    rows = _read(
        run_steps,
        tmp_path,
        f'path = "{two_versions}", change_data_feed = true, starting_version = 1, '
        "columns = [user_id, name, _change_type]",
    )
    assert rows == [(2, "bob", "update_preimage"), (2, "bobby", "update_postimage")]


def test_reads_a_catalog_table_by_name_at_a_version(spark, run_steps, tmp_path, two_versions):
    name = "ppf_delta_source_by_name"
    spark.sql(f"CREATE TABLE {name} USING delta LOCATION '{two_versions}'")
    try:
        assert _read(run_steps, tmp_path, f"table = {name}, version = 0") == [(1, "ann"), (2, "bob")]
    finally:
        spark.sql(f"DROP TABLE IF EXISTS {name}")
