"""Which Spark a pipeline runs on: ``spark.remote`` / ``SPARK_REMOTE`` (Spark Connect) or a local driver."""

from __future__ import annotations

import socket
import textwrap
import time

import pytest

from pyspark_pipeline_framework.core.errors import EnvironmentProblem
from pyspark_pipeline_framework.core.spec import SparkSettings
from pyspark_pipeline_framework.runtime.session.builder import check_reachable, plan_session
from pyspark_pipeline_framework.spark.connect import is_connect
from pyspark_pipeline_framework.testing import load_and_validate

URL = "sc://spark.example.com:15002"


def test_spark_remote_in_the_pipeline_wins_over_master_and_the_environment(monkeypatch):
    monkeypatch.setenv("SPARK_REMOTE", "sc://elsewhere:15002")
    plan = plan_session(SparkSettings(master="local[2]", remote=URL), "p")
    assert plan.remote == URL
    assert plan.master is None  # the pipeline's master is unused on Connect: the file runs unchanged


def test_spark_remote_from_the_environment(monkeypatch):
    monkeypatch.setenv("SPARK_REMOTE", URL)
    plan = plan_session(SparkSettings(master="local[2]"), "p")
    assert (plan.remote, plan.master) == (URL, None)


def test_spark_remote_as_a_spark_property(monkeypatch):
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    plan = plan_session(SparkSettings(conf={"spark.remote": URL}), "p")
    assert plan.remote == URL
    assert "spark.remote" not in plan.conf  # not sent to the server as a property


def test_without_remote_the_session_is_local(monkeypatch):
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    plan = plan_session(SparkSettings(master="local[2]"), "p")
    assert (plan.remote, plan.master) == (None, "local[2]")


def test_remote_is_a_setting_of_the_pipeline_file(tmp_path, monkeypatch):
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    config = tmp_path / "pipeline.conf"
    config.write_text(
        textwrap.dedent(f"""
        pipeline {{
          name = "remote"
          spark {{ remote = "{URL}" }}
          steps = [ {{ name = "src", type = "ParquetSource", config {{ path = "in" }} }}
                    {{ name = "out", type = "ParquetSink", config {{ path = "out" }} }} ]
        }}
    """)
    )
    assert load_and_validate(config).spec.spark.remote == URL


def test_is_connect_decides_by_the_class_of_pyspark_s_connect_client():
    class Classic:
        pass

    assert not is_connect(Classic())
    connect_like = type("SparkSession", (), {"__module__": "pyspark.sql.connect.session"})
    assert is_connect(connect_like())


def test_an_unreachable_connect_server_is_said_at_once():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(EnvironmentProblem, match=f"127.0.0.1:{port} cannot be reached"):
        check_reachable(f"sc://127.0.0.1:{port}/;user_id=me")
    assert time.monotonic() - started < 5


def test_a_url_that_is_not_spark_connects_is_refused():
    with pytest.raises(EnvironmentProblem, match="not a Spark Connect URL"):
        check_reachable("spark://127.0.0.1:7077")
