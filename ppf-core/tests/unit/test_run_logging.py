"""Summary log lines per step, and the log level from the pipeline file or the CLI."""

from __future__ import annotations

import io
import json

import pytest
import structlog
from typer.testing import CliRunner

from pyspark_pipeline_framework.core.results import StepResult, StepStatus
from pyspark_pipeline_framework.runner.cli import app
from pyspark_pipeline_framework.runner.config.preflight import validate
from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file
from pyspark_pipeline_framework.runtime.run.launch import run_pipeline
from pyspark_pipeline_framework.runtime.run.summary import step_summary
from pyspark_pipeline_framework.runtime.session.logs import configure_logging

T = "ppf_test_components"
NO_SPARK = object()


@pytest.fixture(autouse=True)
def _restore_logging_config():
    """configure_logging changes process-wide structlog settings; later tests expect the defaults."""
    saved = structlog.get_config()
    structlog.reset_defaults()  # and an earlier test's level filter would hide the events read here
    yield
    structlog.configure(**saved)


def test_one_summary_line_per_step_in_execution_order_then_the_run_line(write_conf):
    path = write_conf(f"""
        pipeline {{
          name = "summaries"
          steps = [
            {{ name = "numbers", type = "{T}.Numbers", config {{ values = [1, 2] }} }}
            {{ name = "boom", type = "{T}.Boom" }}
            {{ name = "out", type = "{T}.Collect" }}
          ]
        }}
    """)
    with structlog.testing.capture_logs() as logs:
        result = run_pipeline(validate(load_pipeline_file(path)), spark=NO_SPARK)
    assert not result.succeeded
    summaries = [e for e in logs if e["event"] == "step_summary"]
    assert [(s["step"], s["status"]) for s in summaries] == [
        ("numbers", "succeeded"),
        ("boom", "failed"),
        ("out", "not_run"),
    ]
    assert summaries[0]["attempts"] == 1 and "duration_s" in summaries[0]
    assert summaries[1]["error"].startswith("RuntimeError")
    # No Spark DataFrames here: the figures are reported as missing, not invented.
    assert summaries[0]["rows_out"] is None
    run_line = logs[-1]
    assert run_line["event"] == "pipeline_finished" and run_line["succeeded"] is False


def test_summary_carries_quarantined_rows_when_a_validator_reports_them():
    step = StepResult(
        "check",
        StepStatus.SUCCEEDED,
        attempts=2,
        duration_s=1.5,
        metrics={"rows_in": 10, "rows_out": 8, "rows_quarantined": 2, "internal": "x"},
    )
    assert step_summary(step) == {
        "status": "succeeded",
        "duration_s": 1.5,
        "attempts": 2,
        "rows_in": 10,
        "rows_out": 8,
        "rows_quarantined": 2,
    }


def level_line_counts(stream_text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in stream_text.splitlines():
        if line.startswith("{"):
            level = json.loads(line)["level"]
            counts[level] = counts.get(level, 0) + 1
    return counts


def test_configured_level_filters_events():
    stream = io.StringIO()
    configure_logging("json", "warning", stream=stream)
    log = structlog.get_logger("ppf")
    log.info("hidden")
    log.warning("shown")
    assert level_line_counts(stream.getvalue()) == {"warning": 1}


def test_py4j_failures_logged_on_the_root_logger_stay_out_of_the_log():
    import logging

    from py4j import java_gateway

    stream = io.StringIO()
    configure_logging("json", "info", stream=stream)
    try:
        raise ConnectionResetError("the JVM is gone")
    except ConnectionResetError:
        # What py4j does when the JVM dies under a call (java_gateway.GatewayClient.send_command).
        record = logging.getLogger().makeRecord(
            "root", logging.ERROR, java_gateway.__file__, 1060, "Exception while sending command.", (), None
        )
        logging.getLogger().handle(record)
    logging.getLogger().error("a user's own error on the root logger")
    assert "Exception while sending command" not in stream.getvalue()
    assert "a user's own error on the root logger" in stream.getvalue()


def test_pipeline_log_level_applies_and_the_cli_option_wins(write_conf, monkeypatch):
    path = write_conf(f"""
        pipeline {{
          name = "levels"
          log_level = "debug"
          steps = [ {{ name = "numbers", type = "{T}.Numbers", config {{ values = [1] }} }}, {{ name = "out", type = "{T}.Collect" }} ]
        }}
    """)
    chosen = []
    import pyspark_pipeline_framework.runtime.session.logs as logs

    real = logs.configure_logging
    monkeypatch.setattr(
        logs,
        "configure_logging",
        lambda fmt="auto", level="info", stream=None: (chosen.append(level), real(fmt, level, stream=io.StringIO())),
    )
    runner = CliRunner()
    assert runner.invoke(app, ["run", "--config", str(path), "--dry-run", "--log-format", "json"]).exit_code == 0
    assert chosen[-1] == "debug"
    chosen.clear()
    assert (
        runner.invoke(
            app, ["run", "--config", str(path), "--dry-run", "--log-format", "json", "--log-level", "error"]
        ).exit_code
        == 0
    )
    assert chosen == ["error"]


def test_a_validators_quarantined_rows_reach_the_summary_line():
    from pyspark_pipeline_framework.core import Sink, SinkConfig, Source, SourceConfig, Validator, ValidatorConfig
    from pyspark_pipeline_framework.core.registry import ComponentRegistry
    from pyspark_pipeline_framework.runner.config.preflight import validate_raw

    class Rows(Source[SourceConfig]):
        def read(self):
            return [1, 2, 3]

    class Quarantining(Validator[ValidatorConfig]):
        def validate(self, df):
            return df[:2]

        def step_metrics(self, final=False):  # as ppf's DataQuality validator reports
            return {"data_quality": {"rows_checked": 3, "rows_quarantined": 1, "checks": {}}}

    class Drop(Sink[SinkConfig]):
        def write(self, df):
            return None

    class Registry(ComponentRegistry):
        def __init__(self):
            super().__init__(eps=[])

        def resolve(self, type_name):
            return {"Rows": Rows, "Quarantining": Quarantining, "Drop": Drop}[type_name]

    pipeline = validate_raw(
        {
            "name": "dq",
            "steps": [
                {"name": "read", "type": "Rows"},
                {"name": "check", "type": "Quarantining"},
                {"name": "drop", "type": "Drop"},
            ],
        },
        Registry(),
    )
    with structlog.testing.capture_logs() as logs:
        result = run_pipeline(pipeline, spark=NO_SPARK)
    assert result.step("check").metrics["rows_quarantined"] == 1
    (check_line,) = [e for e in logs if e["event"] == "step_summary" and e["step"] == "check"]
    assert check_line["rows_quarantined"] == 1
