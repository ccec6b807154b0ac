"""The audit trail: one record per step and per run, secrets never in it, sinks as plugins."""

from __future__ import annotations

import json
from typing import ClassVar

import pytest

from pyspark_pipeline_framework.audit import sinks as audit_sinks
from pyspark_pipeline_framework.audit.hook import AuditLogHook, AuditLogSettings
from pyspark_pipeline_framework.core import (
    ConfigError,
    Sink,
    SinkConfig,
    Source,
    SourceConfig,
    Transform,
    TransformConfig,
)
from pyspark_pipeline_framework.core.context import RunInfo
from pyspark_pipeline_framework.core.plugins import load_hook_plugins
from pyspark_pipeline_framework.core.redaction import fingerprint, redact
from pyspark_pipeline_framework.runner.config.preflight import validate_raw
from pyspark_pipeline_framework.runtime.run.context import RunContext
from pyspark_pipeline_framework.runtime.run.executor import PipelineExecutor
from pyspark_pipeline_framework.testing import InlineRegistry

SECRET_VALUE = "s3cr3t-from-the-environment"
LITERAL_TOKEN = "literal-token-value"


class DbSourceConfig(SourceConfig):
    table: str
    password: str
    api_token: str = ""


class DbSource(Source[DbSourceConfig]):
    def read(self):
        assert self.config.password == SECRET_VALUE  # the component gets the value...
        return [1, 2, 3]


class CheckConfig(TransformConfig):
    fail: bool = False


class Check(Transform[CheckConfig]):
    def transform(self, df):
        if self.config.fail:
            raise RuntimeError("bad batch")
        return df


class FilesSinkConfig(SinkConfig):
    path: str
    format: str = "parquet"


class FilesSink(Sink[FilesSinkConfig]):
    def write(self, df) -> None:
        return None


def run_audited(tmp_path, *, fail=False, audit_settings=None):
    raw = {
        "name": "audited",
        "spark": {"conf": {"spark.hadoop.fs.s3a.secret.key": "aws-secret-literal"}},
        "steps": [
            {
                "name": "extract",
                "type": "DbSource",
                "config": {
                    "table": "crm.customers",
                    "password": "secret://env/AUDIT_DB_PASSWORD",
                    "api_token": LITERAL_TOKEN,
                },
            },
            {"name": "check", "type": "Check", "config": {"fail": fail}},
            {"name": "load", "type": "FilesSink", "config": {"path": "s3a://lake/customers"}},
        ],
        "hooks": {"enable_audit_log": True, "audit_log": audit_settings or {"path": str(tmp_path / "audit.jsonl")}},
    }
    pipeline = validate_raw(raw, InlineRegistry({"DbSource": DbSource, "Check": Check, "FilesSink": FilesSink}))
    manager = load_hook_plugins(pipeline.spec.hooks, settings=pipeline.hook_settings).manager
    return PipelineExecutor(pipeline, RunContext(RunInfo("audited")), manager).run()


def records(tmp_path):
    return [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]


@pytest.fixture(autouse=True)
def db_password(monkeypatch):
    monkeypatch.setenv("AUDIT_DB_PASSWORD", SECRET_VALUE)


def test_one_record_per_step_then_one_for_the_run(tmp_path):
    result = run_audited(tmp_path)
    assert result.succeeded
    audit = records(tmp_path)
    assert [(r["event"], r.get("step")) for r in audit] == [
        ("step", "extract"),
        ("step", "check"),
        ("step", "load"),
        ("run", None),
    ]
    for record in audit:
        assert record["run_id"] == result.run_id and record["pipeline"] == "audited"
        assert record["user"] and record["host"] and record["time"] and record["started_at"]
        assert record["config_fingerprint"].startswith("sha256:")
    extract, check, load, run = audit
    assert extract["kind"] == "source" and extract["status"] == "succeeded" and extract["attempts"] == 1
    assert extract["inputs"] == [
        {"namespace": "spark_catalog", "name": "crm.customers", "kind": "table", "format": None}
    ]
    assert load["outputs"] == [{"namespace": "s3a://lake", "name": "customers", "kind": "path", "format": None}]
    assert check["inputs"] == check["outputs"] == []
    assert "rows_out" in extract  # present, None here: no Spark DataFrame, nothing observed
    assert extract["rows_read"] is None and extract["dead_letter_rows"] == 0  # a source's figures, always there
    assert "rows_read" not in check and "dead_letter_rows" not in check
    assert run["status"] == "succeeded" and run["error"] is None
    assert run["inputs"] == extract["inputs"] and run["outputs"] == load["outputs"]
    assert run["steps"] == {"extract": "succeeded", "check": "succeeded", "load": "succeeded"}


def test_secret_valued_fields_appear_redacted_or_as_references(tmp_path):
    run_audited(tmp_path)
    text = (tmp_path / "audit.jsonl").read_text()
    assert SECRET_VALUE not in text and LITERAL_TOKEN not in text and "aws-secret-literal" not in text
    extract, *_, run = records(tmp_path)
    assert extract["config"]["password"] == "secret://env/AUDIT_DB_PASSWORD"  # the reference, not the value
    assert extract["config"]["api_token"] == "***"
    assert extract["config"]["table"] == "crm.customers"
    assert run["config"]["spark"]["conf"]["spark.hadoop.fs.s3a.secret.key"] == "***"
    assert run["config"]["steps"][0]["config"]["password"] == "secret://env/AUDIT_DB_PASSWORD"


def test_a_failed_run_records_the_error_and_the_steps_that_never_ran(tmp_path):
    result = run_audited(tmp_path, fail=True)
    assert not result.succeeded
    _extract, check, load, run = records(tmp_path)
    assert check["status"] == "failed" and check["error"] == "RuntimeError: bad batch"
    assert load["status"] == "not_run" and load["error"] is None
    assert run["status"] == "failed" and run["error"] == "check: RuntimeError: bad batch"


def test_the_fingerprint_is_stable_and_follows_the_configuration(tmp_path):
    run_audited(tmp_path)
    run_audited(tmp_path)
    first, second = (r["config_fingerprint"] for r in records(tmp_path) if r["event"] == "run")
    assert first == second
    assert fingerprint(redact({"a": 1, "b": [1, 2]})) == fingerprint(redact({"b": [1, 2], "a": 1}))
    assert fingerprint(redact({"a": 1})) != fingerprint(redact({"a": 2}))


def test_records_go_to_audit_sinks_from_entry_points(tmp_path, monkeypatch):
    class ListSink:
        written: ClassVar[list] = []

        def __init__(self, settings):
            self.settings = settings

        def write(self, record):
            self.written.append((self.settings["label"], record["event"]))

    class BrokenSink:
        def __init__(self, settings):
            pass

        def write(self, record):
            raise OSError("disk full")

    class FakeEntryPoint:
        def __init__(self, name, target):
            self.name, self.target = name, target

        def load(self):
            return self.target

    installed = [FakeEntryPoint("memory", ListSink), FakeEntryPoint("broken", BrokenSink)]
    monkeypatch.setattr(
        audit_sinks, "entry_points", lambda group: installed if group == audit_sinks.AUDIT_SINK_GROUP else []
    )
    result = run_audited(
        tmp_path,
        audit_settings={
            "sinks": ["broken", "memory", "jsonl"],
            "sink_settings": {"memory": {"label": "m"}},
            "path": str(tmp_path / "audit.jsonl"),
        },
    )
    assert result.succeeded
    assert ListSink.written == [("m", "step")] * 3 + [("m", "run")]
    assert len(records(tmp_path)) == 4  # the broken sink cost the others nothing


def test_an_unknown_audit_sink_is_named_with_the_installed_ones():
    with pytest.raises(audit_sinks.UnknownAuditSink, match="no audit sink named 'kafka'") as caught:
        AuditLogHook(AuditLogSettings(sinks=["kafka"]))
    assert caught.value.hint == "installed audit sinks: jsonl" and caught.value.permanent


def audit_issues(settings):
    with pytest.raises(ConfigError) as failure:
        validate_raw(
            {
                "name": "audited",
                "steps": [{"name": "extract", "type": "DbSource", "config": {"table": "t", "password": "p"}}],
                "hooks": {"enable_audit_log": True, "audit_log": settings},
            },
            InlineRegistry({"DbSource": DbSource}),
        )
    return [(issue.path, issue.message, issue.hint) for issue in failure.value.issues]


def test_a_misspelled_audit_setting_is_a_config_error_not_ignored():
    assert audit_issues({"pth": "audit.jsonl"}) == [
        ("pipeline.hooks.audit_log.pth", "unknown key", "did you mean 'path'?")
    ]


def test_audit_sinks_and_their_settings_are_checked_before_the_run():
    issues = audit_issues({"sinks": ["jsonl", "kafka"], "sink_settings": {"jsonl": {}, "kafak": {"topic": "t"}}})
    assert [(path, message.split(";")[0].split(":")[0]) for path, message, _ in issues] == [
        ("pipeline.hooks.audit_log.sinks[1]", "no audit sink named 'kafka'"),
        ("pipeline.hooks.audit_log.sink_settings.kafak", "settings for 'kafak', which is not in sinks"),
    ]
    assert "did you mean 'kafka'?" in issues[1][1]
    # The spelling that earlier versions accepted, a block named after the sink, is an unknown key now.
    assert audit_issues({"sinks": ["jsonl"], "jsonl": {}})[0][:2] == ("pipeline.hooks.audit_log.jsonl", "unknown key")


def test_the_audit_settings_reach_the_hook_typed():
    pipeline = validate_raw(
        {
            "name": "audited",
            "steps": [{"name": "extract", "type": "DbSource", "config": {"table": "t", "password": "p"}}],
            "hooks": {"enable_audit_log": True, "audit_log": {"path": "a.jsonl"}},
        },
        InlineRegistry({"DbSource": DbSource}),
    )
    assert pipeline.hook_settings["audit_log"] == AuditLogSettings(path="a.jsonl")
    hook = load_hook_plugins(pipeline.spec.hooks, settings=pipeline.hook_settings).manager.get_plugin("audit_log")
    assert isinstance(hook, AuditLogHook) and str(hook.path) == "a.jsonl"
