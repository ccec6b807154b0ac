"""Finding the Delta table a sink writes to: one lookup, and only "no table here" means None."""

from __future__ import annotations

import pytest

from ppf_delta.target import existing_table

pytestmark = pytest.mark.spark


def test_a_delta_table_is_found_and_a_missing_or_plain_directory_is_none(spark, tmp_path):
    spark.createDataFrame([(1,)], "id INT").write.format("delta").save(str(tmp_path / "delta"))
    spark.createDataFrame([(1,)], "id INT").write.parquet(str(tmp_path / "plain"))

    found = existing_table(spark, str(tmp_path / "delta"), None)
    assert found is not None and found.toDF().count() == 1
    assert existing_table(spark, str(tmp_path / "missing"), None) is None
    assert existing_table(spark, str(tmp_path / "plain"), None) is None


def test_a_path_that_cannot_be_read_is_an_error_not_a_missing_table(spark):
    # Treated as missing, the sink would try to create a table there and fail later, less clearly.
    with pytest.raises(Exception, match="nosuchscheme"):
        existing_table(spark, "nosuchscheme://bucket/table", None)


def test_a_catalog_table_is_found_by_name(spark, tmp_path):
    assert existing_table(spark, None, "ppf_target_test_missing") is None
    spark.createDataFrame([(1,)], "id INT").write.format("delta").option("path", str(tmp_path / "named")).saveAsTable(
        "ppf_target_test_named"
    )
    try:
        assert existing_table(spark, None, "ppf_target_test_named") is not None
    finally:
        spark.sql("DROP TABLE ppf_target_test_named")
