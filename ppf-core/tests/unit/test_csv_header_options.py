"""How the CSV header check reads Spark's reader options (the header itself is checked on Spark)."""

from __future__ import annotations

from pyspark_pipeline_framework.spark.csv_header import header_checked, split_header, with_schema_enforced


def test_a_header_is_checked_only_when_the_options_say_there_is_one():
    assert header_checked({"HEADER": "True"}) and not header_checked({}) and not header_checked({"header": "false"})


def test_sparks_per_file_check_is_switched_on_unless_the_user_set_it():
    assert with_schema_enforced({"header": "true"}) == {"header": "true", "enforceSchema": "false"}
    assert with_schema_enforced({"enforceschema": "true"}) == {"enforceschema": "true"}


def test_the_header_line_splits_as_the_reader_options_say():
    assert split_header('id,"a, b",c', {}) == ["id", "a, b", "c"]
    assert split_header("id;name", {"sep": ";"}) == ["id", "name"]
    assert split_header("id\tname", {"delimiter": "\\t"}) == ["id", "name"]
    assert split_header("id||name", {"sep": "||"}) == ["id", "name"]
