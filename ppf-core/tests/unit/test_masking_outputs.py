"""Masking where the batch executor's own masking does not reach: a streaming run's failures and the CLI's tracebacks."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime

from structlog.testing import capture_logs

from pyspark_pipeline_framework.core import Hook, Source, SourceConfig
from pyspark_pipeline_framework.core.context import RunInfo
from pyspark_pipeline_framework.core.masking import MASK, secret_masker
from pyspark_pipeline_framework.core.plugins import load_hook_plugins
from pyspark_pipeline_framework.core.results import StepStatus
from pyspark_pipeline_framework.core.streaming import streaming_plan
from pyspark_pipeline_framework.runner.config.preflight import validate_raw
from pyspark_pipeline_framework.runtime.resilience.ledger import RunLedger, RunRecorder
from pyspark_pipeline_framework.runtime.run.context import RunContext
from pyspark_pipeline_framework.runtime.run.streaming import StreamingRun
from pyspark_pipeline_framework.testing import InlineRegistry

VALUE = "stream-canary/Pa55+word="


class BrokerConfig(SourceConfig):
    password: str = ""


class Broker(Source[BrokerConfig]):
    """A streaming source whose broker refuses the login, quoting the password (as drivers do)."""

    @classmethod
    def reads_stream(cls, config):
        return True

    def read(self):
        raise ConnectionError(f"SASL login refused for password {VALUE}")


class Results(Hook):
    def __init__(self):
        super().__init__()
        self.errors: list[str | None] = []

    def pipeline_end(self, result):
        self.errors += [step.error for step in result.steps]


def test_a_streaming_step_failing_with_the_value_in_its_error_is_masked_for_hooks_logs_and_the_ledger(tmp_path):
    from pyspark_pipeline_framework.components import ParquetSink

    secret_masker().add(VALUE)
    pipeline = validate_raw(
        {
            "name": "stream",
            "streaming": {"checkpoint_location": str(tmp_path / "chk")},
            "steps": [
                {"name": "read", "type": "Broker"},
                {"name": "load", "type": "ParquetSink", "config": {"path": str(tmp_path / "out")}},
            ],
        },
        InlineRegistry({"Broker": Broker, "ParquetSink": ParquetSink}),
    )
    plan = streaming_plan(pipeline.spec, pipeline.graph, pipeline.steps)
    assert plan is not None
    results = Results()
    manager = load_hook_plugins(pipeline.spec.hooks, [results]).manager
    ledger = RunLedger(tmp_path / "runs")
    recorder = RunRecorder(ledger, pipeline, "run-1", datetime.now(UTC))
    with capture_logs() as logs:
        result = StreamingRun(pipeline, plan, RunContext(RunInfo("stream")), manager, recorder=recorder).run()

    read = result.step("read")
    assert read.status is StepStatus.FAILED
    assert read.error == f"step 'read' (on the stream): ConnectionError: SASL login refused for password {MASK}"
    assert results.errors[0] == read.error
    assert VALUE not in repr(logs) and any(e.get("error") == read.error for e in logs)
    written = "".join(path.read_text() for path in (tmp_path / "runs").rglob("*.json"))
    assert "SASL login refused for password ***" in written and VALUE not in written


CLI_PROBE = """
import sys, threading
from pyspark_pipeline_framework.core.masking import secret_masker
from pyspark_pipeline_framework.runner.cli import app, main

secret_masker().add({value!r})

@app.command("boom")
def boom() -> None:
    worker = threading.Thread(target=lambda: (_ for _ in ()).throw(ValueError("thread saw {value}")), name="w")
    worker.start()
    worker.join()
    try:
        raise KeyError("inner {value}")
    except KeyError as error:
        raise RuntimeError("jdbc:postgresql://db/app?password={value}") from error

sys.argv = ["ppf", "boom"]
main()
"""


def test_a_traceback_the_cli_ends_in_is_printed_masked_with_its_frames_and_chained_causes():
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CLI_PROBE.format(value=VALUE))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    err = done.stderr
    assert VALUE not in err and VALUE not in done.stdout
    assert "Traceback (most recent call last)" in err and "line " in err and "in boom" in err
    assert f"RuntimeError: jdbc:postgresql://db/app?password={MASK}" in err
    assert f"KeyError: 'inner {MASK}'" in err  # the cause, chained
    assert "Exception in thread w:" in err and f"ValueError: thread saw {MASK}" in err


def test_the_terminal_progress_display_shows_a_failed_steps_error_masked_and_as_text():
    import io

    from pyspark_pipeline_framework.runner.progress import TerminalProgress

    secret_masker().add(VALUE)
    out = io.StringIO()
    TerminalProgress(out).on_step_error("load", RuntimeError(f"[bold]login[/bold] refused: {VALUE}\nJava stack..."))
    assert out.getvalue().strip() == f"✘ load (RuntimeError: [bold]login[/bold] refused: {MASK}) [1/0]"


def test_an_error_whose_text_cannot_be_read_is_still_described_masked():
    """A Py4J error asks the JVM for its text; after a SIGTERM to the process group the JVM is gone."""

    class Py4JJavaError(Exception):
        def __str__(self):
            raise ConnectionRefusedError(111, "Connection refused")

    secret_masker().add(VALUE)
    try:
        text = secret_masker().mask_error(Py4JJavaError(f"An error occurred while calling o42.save with {VALUE}.\n"))
    finally:
        secret_masker().forget([VALUE])
    assert text.startswith(f"Py4JJavaError: An error occurred while calling o42.save with {MASK}.")
    assert "JVM is gone" in text and VALUE not in text
