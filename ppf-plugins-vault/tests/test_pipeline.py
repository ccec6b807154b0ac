"""The vault plugin inside a pipeline: loaded from its entry point, resolving at run time only (OpenBao)."""

from __future__ import annotations

import textwrap

import pytest
from structlog.testing import capture_logs

from ppf_vault import VaultPlugin
from pyspark_pipeline_framework.core import Hook, Source, SourceConfig
from pyspark_pipeline_framework.core.context import RunInfo
from pyspark_pipeline_framework.core.plugins import load_hook_plugins
from pyspark_pipeline_framework.runner.config.preflight import validate
from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file
from pyspark_pipeline_framework.runtime.run.context import RunContext
from pyspark_pipeline_framework.runtime.run.executor import PipelineExecutor
from pyspark_pipeline_framework.testing import InlineRegistry


class ConnectionConfig(SourceConfig):
    user: str
    password: str


class Connection(Source[ConnectionConfig]):
    """Hands on its config, so the test sees what the component was given."""

    def read(self):
        return self.config


class Outputs(Hook):
    def __init__(self):
        super().__init__()
        self.by_step = {}

    def after_step(self, step_name, result):
        self.by_step[step_name] = result


def pipeline_file(tmp_path, vault_url: str, unique: str):
    path = tmp_path / "pipeline.conf"
    path.write_text(textwrap.dedent(f"""
        pipeline {{
          name = "vault-demo"
          steps = [
            {{
              name = "connect"
              type = "Connection"
              config {{
                user = "secret://vault/secret/data/{unique}/db#user"
                # quoted: unquoted, HOCON would read // as a comment
                password = "secret://vault/{unique}/db#password"
              }}
            }}
          ]
          hooks {{ vault {{ url = "{vault_url}" }} }}
        }}
    """), encoding="utf-8")
    return path


@pytest.fixture
def db_secret(openbao, vault_token, unique):
    openbao.client().secrets.kv.v2.create_or_update_secret(path=f"{unique}/db", secret={"user": "etl",
                                                                                         "password": "hunter2"})
    return unique


def test_validation_keeps_the_reference_and_never_contacts_vault(tmp_path, unique):
    # An address where nothing listens: validation must not try it.
    pipeline = validate(load_pipeline_file(pipeline_file(tmp_path, "http://127.0.0.1:9", unique)),
                        InlineRegistry({"Connection": Connection}))
    assert pipeline.steps["connect"].config.password == f"secret://vault/{unique}/db#password"


def test_installed_plugin_loads_from_its_entry_point_with_its_settings(openbao, tmp_path, unique):
    pipeline = validate(load_pipeline_file(pipeline_file(tmp_path, openbao.url, unique)),
                        InlineRegistry({"Connection": Connection}))
    plugin = load_hook_plugins(pipeline.spec.hooks).manager.get_plugin("vault")
    assert isinstance(plugin, VaultPlugin)
    assert plugin.vault_settings.url == openbao.url


def test_run_gives_the_component_the_values_and_logs_only_references(openbao, db_secret, tmp_path):
    pipeline = validate(load_pipeline_file(pipeline_file(tmp_path, openbao.url, db_secret)),
                        InlineRegistry({"Connection": Connection}))
    outputs = Outputs()
    manager = load_hook_plugins(pipeline.spec.hooks, [outputs]).manager
    with capture_logs() as logs:
        result = PipelineExecutor(pipeline, RunContext(RunInfo("vault-demo")), manager).run()
    assert result.succeeded, result.to_dict()
    given = outputs.by_step["connect"]
    assert (given.user, given.password) == ("etl", "hunter2")
    assert "hunter2" not in repr(given)
    assert "hunter2" not in repr(logs)
