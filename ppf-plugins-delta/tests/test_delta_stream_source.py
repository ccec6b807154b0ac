"""DeltaSource with streaming = true: a table's new commits, or their row-level changes, as micro-batches."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.spark


def test_the_change_feed_of_a_table_streams_into_a_per_batch_pipeline(spark, tmp_path, table_path):
    spark.createDataFrame([(1, "ann"), (2, "bob")], "id INT, name STRING").write.format("delta").option(
        "delta.enableChangeDataFeed", "true"
    ).save(table_path)
    spark.sql(f"UPDATE delta.`{table_path}` SET name = 'bobby' WHERE id = 2")
    text = f"""pipeline {{
      name = cdf-stream
      streaming {{ trigger = available_now, checkpoint_location = "{tmp_path}/checkpoints" }}
      steps = [
        {{ name = changes, type = DeltaSource, config {{ path = "{table_path}", streaming = true,
           change_data_feed = true, starting_version = 0 }} }}
        {{ name = keep, type = MemorySink, config {{ name = cdf_changes }} }}
      ]
    }}"""
    from pyspark_pipeline_framework.testing import run_pipeline_text

    assert run_pipeline_text(text, spark=spark, directory=tmp_path).succeeded
    rows = sorted((r.id, r.name, r._change_type) for r in spark.table("global_temp.cdf_changes").collect())
    assert rows == [
        (1, "ann", "insert"),
        (2, "bob", "insert"),
        (2, "bob", "update_preimage"),
        (2, "bobby", "update_postimage"),
    ]


def test_a_streaming_delta_source_rejects_time_travel_before_any_jvm(tmp_path):
    from pyspark_pipeline_framework.core import ConfigError
    from pyspark_pipeline_framework.testing import validate_pipeline

    raw = {
        "name": "p",
        "streaming": {"checkpoint_location": "/chk"},
        "steps": [
            {"name": "read", "type": "DeltaSource", "config": {"path": "/t", "streaming": True, "version": 3}},
            {"name": "out", "type": "ParquetSink", "config": {"path": "/o"}},
        ],
    }
    with pytest.raises(ConfigError) as caught:
        validate_pipeline(raw)
    (issue,) = caught.value.issues
    assert issue.path == "pipeline.steps[0].config.version" and "no time travel" in issue.message
