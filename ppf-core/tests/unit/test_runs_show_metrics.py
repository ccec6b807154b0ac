"""`ppf runs show` prints a finished run's observed figures, kept in the run ledger."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from pyspark_pipeline_framework.core import Sink, SinkConfig, Source, SourceConfig
from pyspark_pipeline_framework.core.registry import ComponentRegistry
from pyspark_pipeline_framework.runner.cli import app
from pyspark_pipeline_framework.runner.config.preflight import validate_raw
from pyspark_pipeline_framework.runtime.resilience.ledger import RunLedger
from pyspark_pipeline_framework.runtime.run.launch import run_pipeline

NO_SPARK = object()


class Rows(Source[SourceConfig]):
    def read(self):
        return [1, 2, 3]


class Counted(Sink[SinkConfig]):
    """Reports figures itself, as validators do, so this test needs no Spark."""

    def write(self, df) -> None:
        self._written = len(df)

    def step_metrics(self, final=False):
        return {"rows_written": self._written, "rows_quarantined": 1, "bytes_written": None}


class Registry(ComponentRegistry):
    def __init__(self):
        super().__init__(eps=[])

    def resolve(self, type_name):
        return {"Rows": Rows, "Counted": Counted}[type_name]


def test_runs_show_prints_the_figures_of_each_step(tmp_path):
    pipeline = validate_raw(
        {"name": "counted", "steps": [{"name": "read", "type": "Rows"}, {"name": "write", "type": "Counted"}]},
        Registry(),
    )
    ledger = RunLedger(tmp_path / "runs")
    result = run_pipeline(pipeline, spark=NO_SPARK, ledger=ledger)
    assert result.succeeded
    assert ledger.load(result.run_id)["steps"]["write"]["metrics"]["rows_written"] == 3

    runner = CliRunner()
    shown = runner.invoke(app, ["runs", "show", result.run_id, "--ledger-dir", str(tmp_path / "runs")])
    assert shown.exit_code == 0
    (write_line,) = [line for line in shown.stdout.splitlines() if line.strip().startswith("write")]
    assert "rows_quarantined=1 rows_written=3" in write_line and "bytes_written" not in write_line
    as_json = json.loads(
        runner.invoke(app, ["runs", "show", "last", "--ledger-dir", str(tmp_path / "runs"), "--format", "json"]).stdout
    )
    assert as_json["steps"]["write"]["metrics"]["rows_quarantined"] == 1
