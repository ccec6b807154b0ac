"""OpenLineage events through the real executor, read back from openlineage-python's file transport."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import structlog
from ppf_metrics_test_pipeline import COMPONENTS, run

from ppf_metrics.lineage import LineageHook, run_uuid
from pyspark_pipeline_framework.core import ConfigError, Validator, ValidatorConfig
from pyspark_pipeline_framework.core.plugins import load_hook_plugins
from pyspark_pipeline_framework.testing import InlineRegistry, validate_pipeline


class ChecksConfig(ValidatorConfig):
    fail: bool = False


class Checks(Validator[ChecksConfig]):
    """Reports data-quality results the way ppf's validators do (``step_metrics``)."""

    def validate(self, df):
        return df

    def step_metrics(self, final=False):
        return {
            "data_quality": {
                "rows_checked": 3,
                "checks": {
                    "id_not_null": {"type": "not_null", "action": "fail", "rows_failed": 0, "passed": True},
                    "amount_positive": {"type": "expression", "action": "warn", "rows_failed": 1, "passed": False},
                },
            }
        }


def lineage_pipeline(tmp_path, *, fail=False, transport=None, timeout="10s"):
    transport = transport or {"type": "file", "log_file_path": str(tmp_path / "lineage.jsonl"), "append": True}
    return validate_pipeline(
        {
            "name": "orders",
            "steps": [
                {"name": "read", "type": "Numbers"},
                {"name": "validate", "type": "Checks"},
                {"name": "check", "type": "MaybeFail", "config": {"fail": fail}},
                {"name": "store", "type": "Discard"},
            ],
            "hooks": {
                "enable_lineage": True,
                "lineage": {"namespace": "etl", "transport": transport, "timeout": timeout},
            },
        },
        InlineRegistry({**COMPONENTS, "Checks": Checks}),
    )


def events(tmp_path):
    return [json.loads(line) for line in (tmp_path / "lineage.jsonl").read_text().splitlines() if line.strip()]


def by_job(all_events):
    jobs: dict[str, list[str]] = {}
    for event in all_events:
        jobs.setdefault(event["job"]["name"], []).append(event["eventType"])
    return jobs


def test_start_and_one_complete_per_run_and_step_sharing_the_run_id(tmp_path):
    result = run(lineage_pipeline(tmp_path))
    assert result.succeeded
    found = events(tmp_path)
    assert by_job(found) == {
        "orders": ["START", "COMPLETE"],
        "orders.read": ["START", "COMPLETE"],
        "orders.validate": ["START", "COMPLETE"],
        "orders.check": ["START", "COMPLETE"],
        "orders.store": ["START", "COMPLETE"],
    }
    run_id = run_uuid(result.run_id)
    pipeline_events = [e for e in found if e["job"]["name"] == "orders"]
    assert {e["run"]["runId"] for e in pipeline_events} == {run_id}
    for event in found:
        assert event["job"]["namespace"] == "etl"
        if event["job"]["name"] != "orders":
            parent = event["run"]["facets"]["parent"]
            assert parent["run"]["runId"] == run_id
            assert (parent["job"]["namespace"], parent["job"]["name"]) == ("etl", "orders")
            assert event["run"]["runId"] == run_uuid(result.run_id, event["job"]["name"].split(".", 1)[1])


def test_data_quality_results_ride_on_the_data_that_was_checked(tmp_path):
    run(lineage_pipeline(tmp_path))
    (complete,) = [
        e for e in events(tmp_path) if e["job"]["name"] == "orders.validate" and e["eventType"] == "COMPLETE"
    ]
    (checked,) = complete["inputs"]
    assert (checked["namespace"], checked["name"]) == ("ppf://etl", "orders.read")
    assertions = {a["name"]: a["success"] for a in checked["inputFacets"]["dataQualityAssertions"]["assertions"]}
    assert assertions == {"id_not_null": True, "amount_positive": False}
    assert checked["inputFacets"]["dataQualityMetrics"]["rowCount"] == 3


def test_a_failing_run_ends_with_fail_and_an_error_facet(tmp_path):
    result = run(lineage_pipeline(tmp_path, fail=True))
    assert not result.succeeded
    found = events(tmp_path)
    jobs = by_job(found)
    assert jobs["orders"] == ["START", "FAIL"] and jobs["orders.check"] == ["START", "FAIL"]
    assert "orders.store" not in jobs  # never started, so no events
    (step_fail,) = [e for e in found if e["job"]["name"] == "orders.check" and e["eventType"] == "FAIL"]
    error = step_fail["run"]["facets"]["errorMessage"]
    assert error["message"] == "RuntimeError: upstream API is down" and error["programmingLanguage"] == "PYTHON"
    assert "Traceback" in error["stackTrace"]
    (run_fail,) = [e for e in found if e["job"]["name"] == "orders" and e["eventType"] == "FAIL"]
    assert "check: RuntimeError: upstream API is down" in run_fail["run"]["facets"]["errorMessage"]["message"]


class Always503(BaseHTTPRequestHandler):
    received = 0

    def do_POST(self):
        type(self).received += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(503)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def unavailable_backend():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Always503)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_backend_answering_503_does_not_fail_the_run(tmp_path, unavailable_backend):
    transport = {"type": "http", "url": unavailable_backend, "timeout": 1, "retry": {"total": 1, "backoff_factor": 0}}
    with structlog.testing.capture_logs() as logs:
        result = run(lineage_pipeline(tmp_path, transport=transport, timeout="5s"))
    assert result.succeeded
    assert Always503.received >= 1  # the events were really sent, and refused
    assert [e for e in logs if e["event"] in ("lineage_emit_failed", "lineage_not_delivered")]
    assert not [e for e in logs if e["event"] == "hook_failed"]


def test_settings_are_checked_before_the_run_with_their_config_path():
    with pytest.raises(ConfigError, match=r"pipeline\.hooks\.lineage\.namespce: unknown key"):
        validate_pipeline(
            {
                "name": "p",
                "steps": [{"name": "read", "type": "Numbers"}],
                "hooks": {"enable_lineage": True, "lineage": {"namespce": "x"}},
            },
            InlineRegistry(COMPONENTS),
        )
    with pytest.raises(ConfigError, match=r"pipeline\.hooks\.lineage\.timeout: .*duration"):
        validate_pipeline(
            {
                "name": "p",
                "steps": [{"name": "read", "type": "Numbers"}],
                "hooks": {"enable_lineage": True, "lineage": {"timeout": "soon"}},
            },
            InlineRegistry(COMPONENTS),
        )


def test_enable_lineage_switches_the_plugin_on_through_its_entry_point(tmp_path):
    pipeline = lineage_pipeline(tmp_path)
    plugin = load_hook_plugins(pipeline.spec.hooks, settings=pipeline.hook_settings).manager.get_plugin("lineage")
    assert isinstance(plugin, LineageHook) and plugin.settings.namespace == "etl"
