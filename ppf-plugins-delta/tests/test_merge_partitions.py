"""How many partitions a checked merge's join gets: adaptive execution's coalescing rule, up front (no JVM)."""

from __future__ import annotations

import pytest

from ppf_delta.compat import join_partitions, parse_bytes
from pyspark_pipeline_framework.core import ConfigError

MB = 1 << 20


def settings(**overrides: str):
    values = {"spark.sql.shuffle.partitions": "200", **{k.replace("_", "."): v for k, v in overrides.items()}}
    return lambda key, default=None: values.get(key, default)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("64MB", 64 * MB), ("1m", MB), ("67108864", 64 * MB), ("2g", 2 << 30), ("512k", 512 << 10), (" 10 b ", 10)],
)
def test_byte_sizes_are_read_as_spark_reads_them(text, expected):
    assert parse_bytes(text) == expected


def test_a_byte_size_with_an_unknown_unit_is_refused():
    with pytest.raises(ValueError, match="not a byte size"):
        parse_bytes("64 furlongs")


def test_small_data_gets_one_partition_per_core_as_parallelism_first_coalescing_gives():
    # 80 MB over 8 cores: 10 MB partitions (below the 64 MB advisory size), so 8 of them.
    assert join_partitions(settings(), 80 * MB, default_parallelism=8) == 8


def test_tiny_data_is_not_split_below_the_minimum_partition_size():
    assert join_partitions(settings(), 3 * MB, default_parallelism=8) == 3


def test_never_fewer_than_two_partitions_which_a_join_can_reuse_unless_the_join_has_one():
    assert join_partitions(settings(), 1000, default_parallelism=8) == 2
    assert join_partitions(settings(spark_sql_shuffle_partitions="1"), 1000, default_parallelism=8) == 1


def test_large_data_gets_advisory_sized_partitions_up_to_the_shuffle_partition_count():
    assert join_partitions(settings(), 640 * MB, default_parallelism=2) == 10
    assert join_partitions(settings(), 1 << 40, default_parallelism=2) == 200


def test_without_parallelism_first_only_the_advisory_size_counts():
    conf = settings(spark_sql_adaptive_coalescePartitions_parallelismFirst="false")
    assert join_partitions(conf, 80 * MB, default_parallelism=8) == 2


def test_the_advisory_size_setting_is_honoured():
    conf = settings(spark_sql_adaptive_advisoryPartitionSizeInBytes="16m")
    assert join_partitions(conf, 640 * MB, default_parallelism=2) == 40


def test_initial_partition_number_caps_like_the_shuffle_partition_count():
    conf = settings(spark_sql_adaptive_coalescePartitions_initialPartitionNum="12")
    assert join_partitions(conf, 1 << 40, default_parallelism=2) == 12


@pytest.mark.parametrize("switch", ["spark_sql_adaptive_enabled", "spark_sql_adaptive_coalescePartitions_enabled"])
def test_without_coalescing_the_join_keeps_the_shuffle_partition_count(switch):
    assert join_partitions(settings(**{switch: "false"}), 3 * MB, default_parallelism=8) == 200


def test_an_unknown_table_size_keeps_the_partition_count_the_join_would_start_from():
    assert join_partitions(settings(), None, default_parallelism=8) == 200


def test_a_setting_that_is_not_a_byte_size_is_a_config_error_naming_it_and_never_retried():
    conf = settings(spark_sql_adaptive_advisoryPartitionSizeInBytes="lots")
    with pytest.raises(ConfigError) as caught:
        join_partitions(conf, 640 * MB, default_parallelism=2)
    [issue] = caught.value.issues
    assert issue.path == 'pipeline.spark.conf."spark.sql.adaptive.advisoryPartitionSizeInBytes"'
    assert issue.message == "Spark setting spark.sql.adaptive.advisoryPartitionSizeInBytes = 'lots' is not a byte size"
    assert "64MB" in issue.hint
    assert caught.value.permanent  # a retry block does not repeat the merge
