"""Session settings changed for one block and put back: exact values, and shared adaptive-off blocks."""

from __future__ import annotations

import threading

import pytest

from pyspark_pipeline_framework.spark.settings import ADAPTIVE, adaptive_execution_off, session_settings


class Conf:
    """The part of ``SparkSession.conf`` the helpers use, over a dict."""

    def __init__(self, **values: str):
        self.values = dict(values)

    def get(self, key, default=None):
        return self.values.get(key, default)

    def set(self, key, value):
        self.values[key] = value

    def unset(self, key):
        self.values.pop(key, None)


class Session:
    def __init__(self, **values: str):
        self.conf = Conf(**values)


def test_settings_hold_inside_the_block_and_previous_values_or_absence_come_back():
    spark = Session(**{"a": "user"})
    with session_settings(spark, {"a": "mine", "b": "new"}):
        assert spark.conf.values == {"a": "mine", "b": "new"}
    assert spark.conf.values == {"a": "user"}


def test_settings_come_back_when_the_block_fails():
    spark = Session()
    with pytest.raises(RuntimeError), session_settings(spark, {"a": "1"}):
        raise RuntimeError("statement failed")
    assert spark.conf.values == {}


def test_blocks_nest_on_one_thread_and_exclude_other_threads():
    spark = Session()
    entered = threading.Event()
    with session_settings(spark, {"a": "outer"}):
        with session_settings(spark, {"a": "inner"}):
            assert spark.conf.get("a") == "inner"
        assert spark.conf.get("a") == "outer"

        def change_from_another_thread():
            with session_settings(spark, {"a": "other"}):
                entered.set()

        other = threading.Thread(target=change_from_another_thread)
        other.start()
        other.join(timeout=0.3)
        assert not entered.is_set(), "another thread changed the settings inside the block"
    other.join(timeout=5)
    assert entered.is_set() and spark.conf.values == {}


def test_adaptive_execution_stays_off_until_the_last_of_overlapping_blocks_ends():
    spark = Session(**{ADAPTIVE: "true"})
    first = adaptive_execution_off(spark)
    second = adaptive_execution_off(spark)
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert spark.conf.get(ADAPTIVE) == "false"
    second.__exit__(None, None, None)
    assert spark.conf.get(ADAPTIVE) == "true"


def test_adaptive_execution_unset_before_is_unset_after():
    spark = Session()
    with adaptive_execution_off(spark):
        assert spark.conf.get(ADAPTIVE) == "false"
    assert ADAPTIVE not in spark.conf.values
