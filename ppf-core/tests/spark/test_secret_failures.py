"""A sink whose secret cannot be had writes nothing; one whose store is down for a moment is retried."""

from __future__ import annotations

import textwrap

import pytest

from pyspark_pipeline_framework.core import Hook
from pyspark_pipeline_framework.core.results import StepStatus
from pyspark_pipeline_framework.core.secrets import SecretUnavailable
from pyspark_pipeline_framework.testing import run_pipeline_text

pytestmark = pytest.mark.spark


class FlakyStore(Hook):
    """``secret://flaky/<value>``: unavailable on the first ``failures`` reads, then the value."""

    scheme = "flaky"

    def __init__(self, failures: int):
        super().__init__()
        self.failures = failures
        self.reads = 0

    def ppf_secret_resolvers(self):
        return [self]

    def resolve(self, reference: str) -> str:
        self.reads += 1
        if self.reads <= self.failures:
            raise SecretUnavailable(f"secret://flaky/{reference}: the store is down")
        return reference


def pipeline(tmp_path, compression: str) -> str:
    (tmp_path / "in.csv").write_text("id\n1\n2\n3\n", encoding="utf-8")
    return textwrap.dedent(f"""
        pipeline {{
          name = "secret-sink"
          retry {{ max_attempts = 3, initial_delay = "10ms" }}
          steps = [
            {{ name = "src", type = CsvSource, config {{ path = "{tmp_path}/in.csv", options {{ header = "true" }} }} }}
            {{ name = "out", type = ParquetSink, config {{ path = "{tmp_path}/out", options {{ compression = "{compression}" }} }} }}
          ]
        }}
    """)


def test_a_missing_secret_fails_the_sink_at_once_and_writes_nothing(spark, tmp_path, monkeypatch):
    monkeypatch.delenv("PPF_TEST_UNSET_COMPRESSION", raising=False)
    result = run_pipeline_text(
        pipeline(tmp_path, "secret://env/PPF_TEST_UNSET_COMPRESSION"), spark=spark, directory=tmp_path
    )
    out = result.step("out")
    assert out.status is StepStatus.FAILED and out.attempts == 1
    assert (
        f"SecretNotFound: {tmp_path}/pipeline.conf:7: pipeline.steps[1].config.options.compression: "
        "secret://env/PPF_TEST_UNSET_COMPRESSION" in out.error
    ), out.error
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out*"))


def test_a_store_down_for_a_moment_is_retried_and_the_sink_writes_once(spark, tmp_path):
    store = FlakyStore(failures=1)
    result = run_pipeline_text(
        pipeline(tmp_path, "secret://flaky/snappy"), spark=spark, directory=tmp_path, plugins=[store]
    )
    assert result.succeeded, result.to_dict()
    assert result.step("out").attempts == 2 and store.reads == 2
    assert sorted(row["id"] for row in spark.read.parquet(str(tmp_path / "out")).collect()) == ["1", "2", "3"]
    assert all(".snappy." in p.name for p in (tmp_path / "out").glob("part-*"))
