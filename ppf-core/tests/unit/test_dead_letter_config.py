"""`ppf validate` on dead-letter blocks: one location per step unless appending, append by default,
and no block on a step that cannot produce dead letters."""

from __future__ import annotations

import pytest

from pyspark_pipeline_framework.core.errors import ConfigError
from pyspark_pipeline_framework.runner.config.preflight import validate
from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file

QUARANTINE = "{ checks = [ { type = not_null, columns = [a], action = quarantine } ] }"


def issues_of(write_conf, text: str) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        validate(load_pipeline_file(write_conf(text)))
    return {issue.path: f"{issue.message} / {issue.hint}" for issue in caught.value.issues}


@pytest.mark.parametrize("mode", ["overwrite", "error", "ignore"])
def test_two_steps_writing_dead_letters_to_one_location_must_append(write_conf, mode):
    issues = issues_of(
        write_conf,
        f"""
        pipeline {{
          name = "shared"
          dead_letter {{ type = ParquetSink, config {{ path = "/dead", mode = {mode} }} }}
          steps = [
            {{ name = "src", type = CsvSource, config {{ path = "in.csv" }} }}
            {{ name = "dq", type = DataQuality, config {QUARANTINE} }}
            {{ name = "out", type = ParquetSink, config {{ path = "/out" }} }}
          ]
        }}
        """,
    )
    message = issues["pipeline.dead_letter.config"]
    assert "'src', 'dq'" in message and "same location /dead" in message and f"mode = {mode}" in message
    assert "{step}" in message and "mode = append" in message
    assert len(issues) == 1


def test_two_steps_own_blocks_to_one_location_are_caught_too(write_conf):
    issues = issues_of(
        write_conf,
        f"""
        pipeline {{
          name = "shared"
          steps = [
            {{ name = "src", type = JsonSource, config {{ path = "in.json" }}
               dead_letter {{ type = JsonSink, config {{ path = "/dead", mode = overwrite }} }} }}
            {{ name = "dq", type = DataQuality, config {QUARANTINE}
               dead_letter {{ type = JsonSink, config {{ path = "/dead", mode = append }} }} }}
            {{ name = "out", type = ParquetSink, config {{ path = "/out" }} }}
          ]
        }}
        """,
    )
    assert "same location /dead with mode = overwrite" in issues["pipeline.steps[1].dead_letter.config"]


def test_one_location_is_fine_when_appending_and_append_is_the_default(write_conf):
    pipeline = validate(
        load_pipeline_file(
            write_conf(f"""
            pipeline {{
              name = "shared"
              dead_letter {{ type = ParquetSink, config {{ path = "/dead" }} }}
              steps = [
                {{ name = "src", type = CsvSource, config {{ path = "in.csv" }} }}
                {{ name = "dq", type = DataQuality, config {QUARANTINE} }}
                {{ name = "dq2", type = DataQuality, config {QUARANTINE}
                   dead_letter {{ type = ParquetSink, config {{ path = "/dead/{{step}}", mode = overwrite }} }} }}
                {{ name = "out", type = ParquetSink, config {{ path = "/out" }} }}
              ]
            }}
            """)
        )
    )
    assert {name: dl.config.mode for name, dl in pipeline.dead_letters.items()} == {
        "src": "append",  # not written: the dead-letter default
        "dq": "append",
        "dq2": "overwrite",  # written: kept
    }
    assert pipeline.spec.step("out").config == {"path": "/out"}  # a step's own sink keeps its default (error)


@pytest.mark.parametrize(
    "step",
    [
        'type = ParquetSource, config { path = "in" }',
        'type = FileSource, config { path = "in", format = orc }',
        "type = TableSource, config { table = db.t }",
        'type = DeltaSource, config { path = "in" }',
        'type = S3Source, config { path = "s3://bucket/in" }',
        'type = KafkaSource, config { bootstrap_servers = "k:9092", topic = t }',
    ],
)
def test_a_dead_letter_block_on_a_step_that_cannot_produce_dead_letters_is_an_error(write_conf, step):
    issues = issues_of(
        write_conf,
        f"""
        pipeline {{
          name = "never"
          steps = [
            {{ name = "src", {step}
               dead_letter {{ type = ParquetSink, config {{ path = "/dead" }} }} }}
            {{ name = "out", type = ParquetSink, config {{ path = "/out" }} }}
          ]
        }}
        """,
    )
    assert "cannot produce dead letters" in issues["pipeline.steps[0].dead_letter"]
    assert [path for path in issues if "dead_letter" in path] == ["pipeline.steps[0].dead_letter"]


def test_a_data_quality_step_without_a_quarantine_check_cannot_produce_dead_letters(write_conf):
    issues = issues_of(
        write_conf,
        """
        pipeline {
          name = "never"
          steps = [
            { name = "src", type = ParquetSource, config { path = "in" } }
            { name = "dq", type = DataQuality, config { checks = [ { type = not_null, columns = [a], action = drop } ] }
              dead_letter { type = ParquetSink, config { path = "/dead" } } }
            { name = "out", type = ParquetSink, config { path = "/out" } }
          ]
        }
        """,
    )
    assert list(issues) == ["pipeline.steps[1].dead_letter"]


def test_a_pipeline_level_block_applies_only_to_the_steps_that_can_produce_dead_letters(write_conf):
    pipeline = validate(
        load_pipeline_file(
            write_conf("""
            pipeline {
              name = "mixed"
              dead_letter { type = ParquetSink, config { path = "/dead/{step}" } }
              steps = [
                { name = "parquet", type = ParquetSource, config { path = "in" } }
                { name = "csv", type = CsvSource, config { path = "in.csv" } }
                { name = "both", type = SqlTransform, inputs = [parquet, csv], config { query = "SELECT 1" } }
                { name = "out", type = ParquetSink, config { path = "/out" } }
              ]
            }
            """)
        )
    )
    assert set(pipeline.dead_letters) == {"csv"}
