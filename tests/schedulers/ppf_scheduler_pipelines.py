"""The pipeline files the scheduler tests run: a CSV source, and two branches each written as Parquet."""

from __future__ import annotations

import textwrap
from pathlib import Path

ROWS = 40


def two_branch_pipeline(folder: Path, *, flaky: bool = False, slow: bool = False, shape_settings: str = "") -> Path:
    """``extract`` -> ``copy`` (Parquet) and ``extract`` -> ``shape`` -> ``report`` (Parquet); with
    ``flaky``, ``shape`` fails on its first run only; with ``slow``, its first run takes ten minutes
    a row (``<folder>/slow_once`` exists once it started).  ``shape_settings`` are added to its step
    (e.g. ``on_failure = skip``)."""
    source = folder / "in.csv"
    source.write_text("id,name\n" + "".join(f"{i},user{i}\n" for i in range(ROWS)), encoding="utf-8")
    if flaky or slow:
        step, marker = ("FailsOnce", "failed_once") if flaky else ("SlowOnce", "slow_once")
        shape = (
            f'{{ name = "shape", type = "ppf_scheduler_steps.{step}", inputs = [extract], '
            f'config {{ marker = "{folder / marker}" }} {shape_settings} }}'
        )
    else:
        shape = (
            '{ name = "shape", type = SqlTransform, inputs = [extract], '
            'config { query = "SELECT id, upper(name) AS name FROM extract" } }'
        )
    path = folder / "pipeline.conf"
    path.write_text(
        textwrap.dedent(f"""
        pipeline {{
          name = "scheduled_users"
          checkpoint = true  # a failed run keeps its steps' outputs: a retry resumes from them
          spark {{ master = "local[1]" }}
          steps = [
            {{ name = "extract", type = CsvSource, config {{ path = "{source}", options {{ header = "true" }} }} }}
            {{ name = "copy", type = ParquetSink, inputs = [extract],
               config {{ path = "{folder / "out" / "copy"}", mode = overwrite }} }}
            {shape}
            {{ name = "report", type = ParquetSink, inputs = [shape],
               config {{ path = "{folder / "out" / "report"}", mode = overwrite }} }}
          ]
        }}
        """),
        encoding="utf-8",
    )
    return path
