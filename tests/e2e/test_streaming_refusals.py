"""What a streaming pipeline refuses, before any JVM starts: `--resume` (its checkpoints resume it)
and a Spark Connect session (its micro-batches run ppf's steps in this process)."""

from __future__ import annotations

import pytest

from .conftest import ppf

PIPELINE = """
pipeline {
  name = "rates"
  streaming { trigger = available_now, checkpoint_location = "checkpoints" }
  steps = [
    { name = "rate", type = RateSource, config { rows_per_second = 5 } }
    { name = "show", type = ConsoleSink }
  ]
}
"""


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--resume", "last"], "resumes from its checkpoints by itself: run it again without --resume"),
        (["--override", "spark.remote=sc://127.0.0.1:1"], "a streaming pipeline cannot run over Spark Connect"),
    ],
    ids=["resume", "spark-connect"],
)
def test_a_streaming_pipeline_is_refused_before_spark_starts(tmp_path, extra, said):
    (tmp_path / "pipeline.conf").write_text(PIPELINE)
    done = ppf("run", "pipeline.conf", *extra, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert said in done.stderr
    assert not (tmp_path / "checkpoints").exists()
