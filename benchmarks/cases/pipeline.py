"""3-step pipeline: ``ppf run`` against the same job written by hand, whole-process wall time and Spark jobs.

Read parquet; replace three string columns by their SHA-256 and keep rows with ``score >= 50``;
write parquet.  The ppf side runs a pipeline file (``ParquetSource``, the user transform
:class:`benchmarks.cases.hash_and_filter.HashAndFilter` named by dotted path, ``ParquetSink``)
through the real ``ppf run`` command; the other side is ``baselines/handwritten_pipeline.py``.
Both get identical Spark settings from :mod:`benchmarks.harness.settings`; runs are interleaved.
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.harness.dataset import ensure_dataset
from benchmarks.harness.event_log import single_event_log, summarize
from benchmarks.harness.interleave import Run, Side, interleave
from benchmarks.harness.settings import BASELINES, MASTER, PPF, PYTHON, ROOT, ROWS, WORK, spark_conf
from benchmarks.harness.table import jobs_figure, ratio_figure
from benchmarks.harness.timing import fresh, settle, wall_time

DEFAULT_PAIRS = 11
HASHED_COLUMNS = ["name", "email", "phone"]
CONDITION = "score >= 50"

FIGURES = [
    ratio_figure("[3-step pipeline](../benchmarks/cases/pipeline.py): `ppf run` / hand-written, wall time", 1.05),
    jobs_figure("3-step pipeline: Spark jobs, ppf / hand-written", "no extra", lambda ppf, hand: max(ppf) <= min(hand)),
]


def pipeline_config(source: Path, target: Path, event_log_dir: Path, master: str = MASTER) -> str:
    conf = {**spark_conf(), "spark.eventLog.dir": event_log_dir.as_uri()}
    conf_lines = "\n".join(f"      {json.dumps(k)} = {json.dumps(v)}" for k, v in conf.items())
    return f"""pipeline {{
  name = "benchmark-hash-and-filter"
  spark {{
    app_name = "ppf-hash-and-filter"
    master = "{master}"
    conf {{
{conf_lines}
    }}
  }}
  steps = [
    {{ name = "read-users", type = "ParquetSource", config {{ path = {json.dumps(str(source))} }} }}
    {{
      name = "hash-and-filter"
      type = "benchmarks.cases.hash_and_filter.HashAndFilter"
      config {{ columns = {json.dumps(HASHED_COLUMNS)}, condition = {json.dumps(CONDITION)} }}
    }}
    {{ name = "write-users", type = "ParquetSink", config {{ path = {json.dumps(str(target))}, mode = "overwrite" }} }}
  ]
}}
"""


def run_ppf(source: Path, run_dir: Path, master: str = MASTER, env: dict[str, str] | None = None) -> Run:
    event_logs = fresh(run_dir / "events")
    config = run_dir / "pipeline.conf"
    config.write_text(pipeline_config(source, run_dir / "out", event_logs, master))
    settle(run_dir / "out")
    # From the repository root, as a user runs ppf from their project: `benchmarks.` imports.
    seconds = wall_time([PPF, "run", "--config", str(config), "--log-format", "json"], cwd=ROOT, env=env)
    return Run(seconds, summarize(single_event_log(event_logs)).jobs)


def handwritten_command(source: Path, output: Path, event_logs: Path, master: str = MASTER) -> list[str]:
    conf = {**spark_conf(), "spark.eventLog.dir": event_logs.as_uri()}
    return [
        PYTHON,
        str(BASELINES / "handwritten_pipeline.py"),
        str(source),
        str(output),
        "--master",
        master,
        *[arg for k, v in conf.items() for arg in ("--conf", f"{k}={v}")],
    ]


def run_handwritten(source: Path, run_dir: Path, master: str = MASTER, env: dict[str, str] | None = None) -> Run:
    event_logs = fresh(run_dir / "events")
    settle(run_dir / "out")
    seconds = wall_time(handwritten_command(source, run_dir / "out", event_logs, master), cwd=ROOT, env=env)
    return Run(seconds, summarize(single_event_log(event_logs)).jobs)


def measure(pairs: int = DEFAULT_PAIRS) -> dict:
    source = ensure_dataset()
    work = WORK / "pipeline"
    runs = interleave(
        pairs,
        {
            "ppf": Side(lambda _: run_ppf(source, work / "ppf")),
            "hand": Side(lambda _: run_handwritten(source, work / "hand")),
        },
    )
    return runs.record("ppf", "hand", {"rows": ROWS})
