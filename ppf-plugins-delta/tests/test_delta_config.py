"""DeltaSource/DeltaSink config checks: caught by pre-flight, before any JVM."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pyspark_pipeline_framework.core import ConfigError
from pyspark_pipeline_framework.testing import validate_pipeline


def _issues(config: dict, type_: str = "DeltaSink") -> dict[str, str]:
    raw = {
        "name": "p",
        "steps": [
            {"name": "src", "type": "pyspark_pipeline_framework.components.DeltaSource", "config": {"path": "/in"}},
            {"name": "out", "type": f"pyspark_pipeline_framework.components.{type_}", "config": config},
        ],
    }
    if type_ == "DeltaSource":
        raw["steps"] = [raw["steps"][1]]
    try:
        validate_pipeline(raw)
    except ConfigError as exc:
        return {issue.path: issue.message for issue in exc.issues}
    return {}


def test_quick_start_sink_config_is_valid():
    assert _issues({"path": "s3://warehouse/users", "mode": "merge", "merge_keys": ["user_id"]}) == {}


@pytest.mark.parametrize(
    ("config", "path", "words"),
    [
        ({"mode": "append"}, "pipeline.steps[1].config.path", "location"),
        ({"path": "/t", "table": "db.t"}, "pipeline.steps[1].config.table", "not both"),
        ({"path": "/t", "mode": "merge"}, "pipeline.steps[1].config.merge_keys", "identify a row"),
        ({"path": "/t", "mode": "append", "merge_keys": ["id"]}, "pipeline.steps[1].config.merge_keys", "only applies"),
        (
            {"path": "/t", "mode": "append", "check_unique_keys": False},
            "pipeline.steps[1].config.check_unique_keys",
            "only applies",
        ),
        (
            {"path": "/t", "mode": "merge", "merge_keys": ["id"], "replace_where": "x = 1"},
            "pipeline.steps[1].config.replace_where",
            "overwrite",
        ),
        ({"path": "/t", "options": {"txnAppId": "x"}}, "pipeline.steps[1].config.options.txnAppId", "set by the sink"),
    ],
)
def test_sink_config_errors_name_the_key(config, path, words):
    issues = _issues(config)
    assert path in issues, issues
    assert words in issues[path]


def test_unknown_sink_mode_is_reported():
    assert "pipeline.steps[1].config.mode" in _issues({"path": "/t", "mode": "upsert"})


@pytest.mark.parametrize(
    ("config", "path"),
    [
        ({"path": "/t", "version": 1, "timestamp": "2024-01-01"}, "pipeline.steps[0].config.timestamp"),
        ({"path": "/t", "change_data_feed": True}, "pipeline.steps[0].config.starting_version"),
        ({"path": "/t", "starting_version": 1}, "pipeline.steps[0].config.starting_version"),
        (
            {"path": "/t", "change_data_feed": True, "starting_version": 0, "version": 1},
            "pipeline.steps[0].config.change_data_feed",
        ),
    ],
)
def test_source_config_errors_name_the_key(config, path):
    assert path in _issues(config, "DeltaSource")


def test_importing_the_plugin_and_its_hook_does_not_import_pyspark():
    code = (
        "import sys, ppf_delta, ppf_delta.spark_settings, ppf_delta.sink, ppf_delta.source; "
        "assert 'pyspark' not in sys.modules and 'delta' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
