"""S3Source/S3Sink config problems are reported by pre-flight, before any JVM."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pyspark_pipeline_framework.core import ConfigError
from pyspark_pipeline_framework.testing import validate_pipeline


def _issues(source: dict, sink: dict | None = None) -> dict[str, str]:
    raw = {
        "name": "p",
        "steps": [{"name": "read", "type": "pyspark_pipeline_framework.components.S3Source", "config": source}],
    }
    if sink is not None:
        raw["steps"].append({"name": "write", "type": "S3Sink", "config": sink})
    try:
        validate_pipeline(raw)
    except ConfigError as exc:
        return {issue.path: issue.message for issue in exc.issues}
    return {}


def test_quick_start_source_config_is_valid():
    assert _issues({"path": "s3://raw-data/users/*.parquet", "format": "parquet"}) == {}


@pytest.mark.parametrize("path", ["s3://b/k", "s3a://b/k", "s3n://b/k", "S3://b/k"])
def test_all_s3_schemes_are_accepted(path):
    assert _issues({"path": path}) == {}


@pytest.mark.parametrize(
    ("config", "key", "words"),
    [
        ({"path": "s3:///users/*.parquet"}, "path", "names no bucket"),
        ({"path": "/local/users"}, "path", "not an S3 URI"),
        ({"path": "s3://b/k", "format": "parkett"}, "format", "did you mean 'parquet'"),
        ({"path": "s3://b/k", "endpoint": "127.0.0.1:9000"}, "endpoint", "not a URL"),
        ({"path": "s3://b/k", "credentials": "profile"}, "profile", "profile name"),
        ({"path": "s3://b/k", "credentials": "keys", "access_key_id": "a"}, "secret_access_key", "needs"),
        ({"path": "s3://b/k", "access_key_id": "a"}, "access_key_id", "only applies"),
    ],
)
def test_source_config_errors_name_the_key(config, key, words):
    issues = _issues(config)
    assert words in issues.get(f"pipeline.steps[0].config.{key}", ""), issues


def test_sink_errors_are_reported_together_with_the_source_errors():
    issues = _issues({"path": "s3://b/k"}, {"path": "s3a://", "format": "nope"})
    assert set(issues) == {"pipeline.steps[1].config.path", "pipeline.steps[1].config.format"}


def test_a_dotted_data_source_class_is_accepted_as_format():
    assert _issues({"path": "s3://b/k", "format": "com.example.MyFormat"}) == {}


def test_ppf_validate_reports_a_bucketless_path_without_importing_pyspark(tmp_path: Path):
    conf = tmp_path / "p.conf"
    conf.write_text(
        "pipeline { name = p, steps = [ { name = read, type = S3Source, "
        'config { path = "s3:///users" } }, { name = w, type = S3Sink, '
        'config { path = "s3://out/x", format = "parquet" } } ] }'
    )
    # The installed `ppf` command, run in this process so that its imports can be seen.
    code = (
        "import sys; from importlib.metadata import entry_points\n"
        "(ppf,) = entry_points(group='console_scripts', name='ppf')\n"
        f"sys.argv = ['ppf', 'validate', {str(conf)!r}]\n"
        "try:\n    ppf.load()()\nexcept SystemExit as e:\n    code = e.code\n"
        "assert 'pyspark' not in sys.modules\nsys.exit(code)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert "pipeline.steps[0].config.path" in done.stderr and "names no bucket" in done.stderr
