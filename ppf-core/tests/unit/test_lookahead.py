"""Look-ahead: a component's prepare() runs while earlier steps run, and never changes results."""

from __future__ import annotations

import json
import threading

import ppf_test_components as tc
import pytest

from pyspark_pipeline_framework.runner.config.preflight import validate
from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file
from pyspark_pipeline_framework.runtime.run.launch import run_pipeline
from pyspark_pipeline_framework.runtime.run.lookahead import Lookahead

T = "ppf_test_components"
NO_SPARK = object()


def run(write_conf, sink_config: str = "", timeout: float = 10):
    text = f"""
    pipeline {{
      name = "lookahead"
      steps = [
        {{ name = "wait", type = "{T}.WaitForSignal", config {{ signal = "prepared", timeout = {timeout} }} }}
        {{ name = "out", type = "{T}.PreparingSink", config {{ {sink_config} }} }}
      ]
    }}
    """
    return run_pipeline(validate(load_pipeline_file(write_conf(text))), spark=NO_SPARK)


def test_a_sink_is_prepared_while_the_steps_before_it_run(write_conf):
    # The source only finishes early if the sink's prepare() ran while the source was still running.
    result = run(write_conf)
    assert result.succeeded
    assert tc.WRITTEN["out"] == {"rows": [True], "prepared_on": "ppf-lookahead"}


def test_a_failed_preparation_is_forgotten_and_the_step_runs_as_usual(write_conf):
    result = run(write_conf, "fail_prepare = true", timeout=0.5)
    assert result.succeeded
    # The source waited in vain (nothing prepared), and the sink wrote with a component of its own.
    assert tc.WRITTEN["out"] == {"rows": [False], "prepared_on": None}


def test_run_without_preparing_components_starts_no_thread(write_conf, monkeypatch):
    started = []
    monkeypatch.setattr(threading.Thread, "start", lambda self: started.append(self.name))
    Lookahead([], build=lambda name: None, log=None)
    assert started == []


class _Log:
    def __init__(self):
        self.events = []

    def debug(self, event, **fields):
        self.events.append((event, fields))


def test_a_step_whose_turn_comes_before_its_preparation_does_not_wait():
    first_running, release = threading.Event(), threading.Event()
    built = []

    def build(name):
        if name == "a":
            first_running.set()
            release.wait(10)
        built.append(name)
        return name

    lookahead = Lookahead(["a", "b"], build, _Log())
    assert first_running.wait(10)
    assert lookahead.take("b") is None  # "b" was still pending: its step builds its own, at once
    release.set()
    assert lookahead.take("a") == "a"  # under way: waited for
    assert built == ["a"]  # "b" was never prepared, since its step took it over


def test_close_prepares_nothing_more_and_take_of_unknown_steps_is_none():
    release = threading.Event()
    built = []

    def build(name):
        release.wait(10)
        built.append(name)
        return name

    lookahead = Lookahead(["a", "b"], build, _Log())
    lookahead.close()
    release.set()
    lookahead._thread.join(10)
    assert built in ([], ["a"])  # "a" may have started before close(); "b" never does
    assert lookahead.take("c") is None


def test_failures_are_logged_at_debug_level_and_the_next_step_is_still_prepared():
    log = _Log()

    def build(name):
        if name == "a":
            raise ConnectionError("unreachable")
        return name

    lookahead = Lookahead(["a", "b"], build, log)
    lookahead._thread.join(10)
    assert lookahead.take("a") is None
    assert lookahead.take("b") == "b"
    assert log.events == [("step_prepare_failed", {"step": "a", "error": "ConnectionError: unreachable"})]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_step_waiting_for_its_preparation_goes_on_even_when_the_thread_dies():
    started, release = threading.Event(), threading.Event()

    def build(name):
        started.set()
        release.wait(10)
        raise SystemExit  # not an Exception: ends the look-ahead thread

    lookahead = Lookahead(["a"], build, _Log())
    assert started.wait(10)
    waiter = threading.Thread(target=lambda: results.append(lookahead.take("a")))
    results = []
    waiter.start()
    release.set()
    waiter.join(10)
    lookahead._thread.join(10)  # its exception is reported (and filtered) within this test
    assert not waiter.is_alive() and results == [None]


class _FakeSpark:
    """Reads a kept checkpoint back as the list it stands for (no JVM)."""

    class read:
        @staticmethod
        def parquet(location):
            return [1, 2]


def test_steps_a_resumed_run_does_not_run_again_are_not_prepared(write_conf, tmp_path):
    from pyspark_pipeline_framework.runtime.resilience.ledger import RunLedger

    pipeline = validate(
        load_pipeline_file(
            write_conf(f"""
    pipeline {{
      name = "resumed"
      steps = [
        {{ name = "numbers", type = "{T}.Numbers", config {{ values = [1, 2] }} }}
        {{ name = "out", type = "{T}.PreparingSink" }}
        {{ name = "boom", type = "{T}.Boom", inputs = ["numbers"] }}
      ]
    }}
    """)
        )
    )
    ledger = RunLedger(tmp_path / "runs")
    first = run_pipeline(pipeline, spark=NO_SPARK, ledger=ledger)
    assert [s.status.name for s in first.steps] == ["SUCCEEDED", "SUCCEEDED", "FAILED"]
    record = ledger.load(first.run_id)
    (tmp_path / "kept").mkdir()
    record["steps"]["numbers"]["checkpoint"] = str(tmp_path / "kept")  # as if its output had been kept
    ledger.storage.write_text(f"{first.run_id}.json", json.dumps(record))
    tc.SIGNALS.clear()

    resumed = run_pipeline(pipeline, spark=_FakeSpark(), ledger=ledger, resume=first.run_id)
    assert [s.status.name for s in resumed.steps] == ["SUCCEEDED", "SUCCEEDED", "FAILED"]  # boom fails again
    assert not tc.SIGNALS["prepared"].is_set()  # "out" completed before: neither run again nor prepared
