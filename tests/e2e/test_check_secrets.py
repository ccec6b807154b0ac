"""`ppf validate --check-secrets`: every reference of a file resolved without running it, no value printed."""

from __future__ import annotations

import json

import pytest

from .conftest import probe

pytestmark = pytest.mark.e2e

PIPELINE = """
pipeline {
  name = "check-secrets"
  spark { conf { "spark.ppf.jdbc.password" = "secret://env/PPF_E2E_JDBC_PASSWORD" } }
  dead_letter { type = ParquetSink, config { path = "out/dead/{step}", options { token = "secret://env/PPF_E2E_DL_TOKEN" } } }
  steps = [
    { name = "extract", type = "CsvSource", config { path = "in.csv", options { password = "secret://env/PPF_E2E_DB_PASSWORD" } } }
    { name = "load", type = "ParquetSink", config { path = "out/load" } }
  ]
  hooks { audit_log { path = "secret://env/PPF_E2E_AUDIT_PATH" } }
}
"""
VALUES = {
    "PPF_E2E_JDBC_PASSWORD": "jdbc-c4n4ry",
    "PPF_E2E_DL_TOKEN": "dl-c4n4ry",
    "PPF_E2E_DB_PASSWORD": "db-c4n4ry",
    "PPF_E2E_AUDIT_PATH": "audit-c4n4ry.jsonl",
}


def write(tmp_path):
    (tmp_path / "pipeline.conf").write_text(PIPELINE, encoding="utf-8")
    return tmp_path / "pipeline.conf"


def test_every_reference_resolves_and_no_value_is_printed(tmp_path):
    path = write(tmp_path)
    done, facts = probe("validate", "--check-secrets", path, cwd=tmp_path, env=VALUES)
    assert done.returncode == 0, done.stderr
    assert "4 secret references resolved" in done.stdout and "OK (2 steps)" in done.stdout
    assert not facts["jvm_started"] and not facts["pyspark_imported"]
    for value in VALUES.values():
        assert value not in done.stdout + done.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "audit-c4n4ry.jsonl").exists()


def test_a_reference_that_does_not_resolve_is_named_by_its_config_path(tmp_path):
    path = write(tmp_path)
    text = PIPELINE.replace("PPF_E2E_DB_PASSWORD", "PPF_E2E_UNSET_DB_PASSWORD")
    path.write_text(text, encoding="utf-8")
    done, facts = probe("validate", "--check-secrets", path, cwd=tmp_path, env=VALUES)
    assert done.returncode == 2
    assert (
        "pipeline.steps[0].config.options.password: SecretNotFound: "
        "secret://env/PPF_E2E_UNSET_DB_PASSWORD: environment variable PPF_E2E_UNSET_DB_PASSWORD is not set"
    ) in done.stderr
    assert "SECRETS FAILED (1 of 4 references)" in done.stderr
    assert not facts["jvm_started"]
    as_json, _ = probe("validate", "--check-secrets", "--format", "json", path, cwd=tmp_path, env=VALUES)
    report = json.loads(as_json.stdout)[0]
    assert not report["valid"]
    assert [c["path"] for c in report["secrets"] if not c["ok"]] == ["pipeline.steps[0].config.options.password"]
    for value in VALUES.values():
        assert value not in done.stdout + done.stderr + as_json.stdout


def test_plain_validate_contacts_no_secret_store(tmp_path):
    path = write(tmp_path)
    done, _ = probe("validate", path, cwd=tmp_path, env={})
    assert done.returncode == 0 and "OK (2 steps)" in done.stdout and "secret" not in done.stdout


def test_a_hook_plugin_with_typed_settings_gets_them_structured(tmp_path):
    # `hooks { age { ... } }` is an AgeSettings: the plugins are built from pre-flight's structured settings.
    from pyrage import x25519

    from pyspark_pipeline_framework.encryption.age import encrypt

    key = x25519.Identity.generate()
    (tmp_path / "key.txt").write_text(f"{key}\n", encoding="utf-8")
    reference = encrypt("age-c4n4ry", [str(key.to_public())])
    (tmp_path / "pipeline.conf").write_text(
        f"""
        pipeline {{
          name = "typed-hook-settings"
          steps = [ {{ name = "extract", type = "CsvSource", config {{ path = "in.csv", options {{ password = "{reference}" }} }} }} ]
          hooks {{ age {{ identity_files = ["key.txt"], identity_env = "PPF_E2E_NO_AGE_KEYS" }} }}
        }}
        """,
        encoding="utf-8",
    )
    done, facts = probe("validate", "--check-secrets", "pipeline.conf", cwd=tmp_path)
    assert facts["exit"] == 0, done.stderr
    assert "1 secret references resolved" in done.stdout and "age-c4n4ry" not in done.stdout + done.stderr
