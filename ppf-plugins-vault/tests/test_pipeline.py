"""The vault plugin inside a pipeline: loaded from its entry point, resolving at run time only.

Vault here is the fake of conftest.py (a stand-in HTTP server), not a real Vault server.
"""

from __future__ import annotations

import textwrap

import pytest
from structlog.testing import capture_logs

from ppf_vault import VaultPlugin, VaultSettings
from pyspark_pipeline_framework.core import ConfigError, Hook, Source, SourceConfig
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


def pipeline_file(tmp_path, vault_url: str):
    path = tmp_path / "pipeline.conf"
    path.write_text(
        textwrap.dedent(f"""
        pipeline {{
          name = "vault-demo"
          steps = [
            {{
              name = "connect"
              type = "Connection"
              config {{
                user = "secret://vault/kv/data/db#user"
                # quoted: unquoted, HOCON would read // as a comment
                password = "secret://vault/kv/data/db#password"
              }}
            }}
          ]
          hooks {{ vault {{ url = "{vault_url}" }} }}
        }}
    """),
        encoding="utf-8",
    )
    return path


def test_validation_keeps_the_reference_and_never_contacts_vault(fake_vault, tmp_path):
    pipeline = validate(
        load_pipeline_file(pipeline_file(tmp_path, fake_vault.url)), InlineRegistry({"Connection": Connection})
    )
    assert pipeline.steps["connect"].config.password == "secret://vault/kv/data/db#password"
    assert fake_vault.requests == []


def test_installed_plugin_loads_from_its_entry_point_with_its_settings(fake_vault, tmp_path):
    pipeline = validate(
        load_pipeline_file(pipeline_file(tmp_path, fake_vault.url)), InlineRegistry({"Connection": Connection})
    )
    assert pipeline.hook_settings["vault"] == VaultSettings(url=fake_vault.url)
    plugin = load_hook_plugins(pipeline.spec.hooks, settings=pipeline.hook_settings).manager.get_plugin("vault")
    assert isinstance(plugin, VaultPlugin)
    assert plugin.settings.url == fake_vault.url


def test_settings_with_a_typo_are_a_config_error_with_path_file_and_line(tmp_path):
    path = pipeline_file(tmp_path, "http://vault:8200")
    path.write_text(path.read_text().replace("hooks { vault { url", 'hooks { vault { mout = "kv", url'))
    with pytest.raises(ConfigError) as failure:
        validate(load_pipeline_file(path), InlineRegistry({"Connection": Connection}))
    [issue] = failure.value.issues
    assert (issue.path, issue.message, issue.hint) == (
        "pipeline.hooks.vault.mout",
        "unknown key",
        "did you mean 'mount'?",
    )
    assert issue.file == str(path) and path.read_text().splitlines()[issue.line - 1].strip().startswith("hooks { vault")


def test_run_gives_the_component_the_values_and_logs_only_references(fake_vault, tmp_path):
    pipeline = validate(
        load_pipeline_file(pipeline_file(tmp_path, fake_vault.url)), InlineRegistry({"Connection": Connection})
    )
    outputs = Outputs()
    manager = load_hook_plugins(pipeline.spec.hooks, [outputs], settings=pipeline.hook_settings).manager
    with capture_logs() as logs:
        result = PipelineExecutor(pipeline, RunContext(RunInfo("vault-demo")), manager).run()
    assert result.succeeded, result.to_dict()
    given = outputs.by_step["connect"]
    assert (given.user, given.password) == ("etl", "hunter2")
    assert "hunter2" not in repr(given)
    assert "hunter2" not in repr(logs)
    assert fake_vault.requests == ["/v1/kv/data/db"]
