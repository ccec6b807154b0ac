"""Streaming pipelines before any JVM: the `streaming` block, where each step runs, queries and checkpoints."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pyspark_pipeline_framework.core.errors import ConfigError
from pyspark_pipeline_framework.core.streaming import streaming_plan
from pyspark_pipeline_framework.runner.config.preflight import validate
from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file
from pyspark_pipeline_framework.runner.plan import render_json, render_text

KAFKA = 'type = KafkaSource, config { bootstrap_servers = "b:9092", topic = users, schema = "id BIGINT NOT NULL" }'


def kafka_pipeline(streaming: str = 'checkpoint_location = "/chk"', steps: str = "") -> str:
    return f"""
    pipeline {{
      name = "users stream"
      streaming {{ {streaming} }}
      steps = [
        {{ name = read, {KAFKA} }}
        {steps or '{ name = clean, type = Filter, config { condition = "id > 0" } }'}
        {{ name = load, type = ParquetSink, config {{ path = /out }} }}
      ]
    }}
    """


def issues_of(write_conf, text: str, overrides=()):
    with pytest.raises(ConfigError) as caught:
        validate(load_pipeline_file(write_conf(text), list(overrides)))
    return {issue.path: issue for issue in caught.value.issues}


def test_a_kafka_pipeline_is_a_streaming_pipeline_whose_later_steps_run_per_micro_batch(write_conf):
    pipeline = validate(load_pipeline_file(write_conf(kafka_pipeline())))
    plan = streaming_plan(pipeline.spec, pipeline.graph, pipeline.steps)
    assert plan is not None
    assert dict(plan.placement) == {"read": "stream", "clean": "micro_batch", "load": "micro_batch"}
    (query,) = plan.queries
    assert (query.name, query.step, query.batch_steps) == ("users stream.read", "read", ("clean", "load"))
    assert query.checkpoint == "/chk/users_stream/read"  # derived from the pipeline's and the step's names


def test_a_batch_pipeline_has_no_streaming_plan_and_its_plan_text_is_unchanged(write_conf):
    text = """
    pipeline { name = batch, steps = [
      { name = read, type = ParquetSource, config { path = /in } }
      { name = load, type = ParquetSink, config { path = /out } } ] }
    """
    pipeline = validate(load_pipeline_file(write_conf(text)))
    assert streaming_plan(pipeline.spec, pipeline.graph, pipeline.steps) is None
    assert render_text(pipeline).splitlines() == [
        "pipeline 'batch': 2 steps",
        "  1. read [source: ParquetSource]",
        "  2. load [sink: ParquetSink] <- read",
    ]
    assert "runs" not in render_json(pipeline)


def test_ppf_plan_shows_which_steps_run_on_the_stream_and_which_per_micro_batch(write_conf):
    pipeline = validate(load_pipeline_file(write_conf(kafka_pipeline('trigger = "10s", checkpoint_location = "/chk"'))))
    text = render_text(pipeline)
    assert "streaming (trigger 10s)" in text
    assert "1. read [source: KafkaSource]  (on the stream)" in text
    assert "2. clean [transform: Filter] <- read  (per micro-batch)" in text
    assert "query users stream.read: micro-batches of 'read' -> clean, load; checkpoint /chk/users_stream/read" in text
    steps = {s["name"]: s["runs"] for s in json.loads(render_json(pipeline))["steps"]}
    assert steps == {"read": "stream", "clean": "micro_batch", "load": "micro_batch"}


def test_reference_data_runs_in_each_micro_batch_of_the_query_that_joins_it(write_conf):
    steps = """
        { name = countries, type = CsvSource, config { path = /ref } }
        { name = joined, type = SqlTransform, inputs = [read, countries],
          config { query = "SELECT * FROM read JOIN countries USING (id)" } }
    """
    pipeline = validate(load_pipeline_file(write_conf(kafka_pipeline(steps=steps))))
    plan = streaming_plan(pipeline.spec, pipeline.graph, pipeline.steps)
    assert plan.placement["countries"] == "static"
    assert plan.queries[0].batch_steps == ("countries", "joined", "load")


def test_an_override_sets_the_trigger(write_conf):
    pipeline = validate(load_pipeline_file(write_conf(kafka_pipeline()), ["streaming.trigger=available_now"]))
    assert pipeline.spec.streaming.trigger == "available_now"


def test_streaming_settings_and_placements_are_checked_with_their_paths(write_conf):
    issues = issues_of(write_conf, kafka_pipeline('trigger = "soon", stop_timeout = "0s"'))
    assert "invalid trigger 'soon'" in issues["pipeline.streaming.trigger"].message
    assert "pipeline.streaming.stop_timeout" in issues
    assert "needs a checkpoint location" in issues["pipeline.streaming.checkpoint_location"].message
    assert issues["pipeline.streaming.trigger"].line is not None  # located in the file


def test_on_stream_needs_a_stream_and_a_transform(write_conf):
    batch = """
    pipeline { name = batch, steps = [
      { name = read, type = ParquetSource, config { path = /in } }
      { name = clean, type = Filter, on_stream = true, config { condition = "x" } }
      { name = load, type = ParquetSink, config { path = /out } } ] }
    """
    assert (
        "only applies to steps downstream of a streaming source"
        in issues_of(write_conf, batch)["pipeline.steps[1].on_stream"].message
    )
    on_sink = kafka_pipeline(steps='{ name = clean, type = Filter, config { condition = "id > 0" } }').replace(
        "{ name = load, type = ParquetSink", "{ name = load, type = ParquetSink, on_stream = true"
    )
    assert "only transforms run on the stream" in issues_of(write_conf, on_sink)["pipeline.steps[2].on_stream"].message


def test_two_queries_never_share_a_checkpoint(write_conf):
    text = f"""
    pipeline {{
      name = two
      streaming {{ checkpoint_location = "/chk" }}
      steps = [
        {{ name = "a b", {KAFKA} }}
        {{ name = out1, type = ParquetSink, config {{ path = /o1 }} }}
        {{ name = "a_b", {KAFKA} }}
        {{ name = out2, type = ParquetSink, config {{ path = /o2 }} }}
      ]
    }}
    """
    issue = issues_of(write_conf, text)["pipeline.steps[2].name"]
    assert "would share the checkpoint /chk/two/a_b with step 'a b'" in issue.message


def test_kafka_source_config_is_checked(write_conf):
    text = kafka_pipeline().replace(
        'topic = users, schema = "id BIGINT NOT NULL"', 'topic = users, pattern = "u.*", options { subscribe = x }'
    )
    issues = issues_of(write_conf, text)
    assert "give one of topic, topics and pattern" in issues["pipeline.steps[0].config.pattern"].message
    assert "set it there" in issues["pipeline.steps[0].config.options.subscribe"].message


def test_validating_a_streaming_pipeline_imports_no_pyspark(write_conf):
    # In a fresh process: other unit tests of this one may have imported pyspark already.
    code = (
        "import sys\n"
        "from pyspark_pipeline_framework.runner.config.preflight import validate\n"
        "from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file\n"
        "validate(load_pipeline_file(sys.argv[1]))\n"
        "print('pyspark' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(write_conf(kafka_pipeline()))], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
