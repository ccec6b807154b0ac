"""The vault plugin inside a pipeline: loaded from its entry point, resolving at run time only (OpenBao)."""

from __future__ import annotations

import textwrap

import pytest

from ppf_vault import VaultPlugin, VaultSettings
from pyspark_pipeline_framework.core import ConfigError, Hook, Source, SourceConfig
from pyspark_pipeline_framework.core.plugins import load_hook_plugins
from pyspark_pipeline_framework.testing import HookCalls, InlineRegistry, load_and_validate, run_without_spark


class ConnectionConfig(SourceConfig):
    user: str
    password: str


class Connection(Source[ConnectionConfig]):
    """Hands on its config, so the test sees what the component was given."""

    def read(self):
        return self.config


COMPONENTS = InlineRegistry({"Connection": Connection})


def pipeline_file(tmp_path, vault_url: str, unique: str):
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
                user = "secret://vault/secret/data/{unique}/db#user"
                # quoted: unquoted, HOCON would read // as a comment
                password = "secret://vault/{unique}/db#password"
              }}
            }}
          ]
          hooks {{ vault {{ url = "{vault_url}" }} }}
        }}
    """),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def db_secret(openbao, vault_token, unique):
    openbao.client().secrets.kv.v2.create_or_update_secret(
        path=f"{unique}/db", secret={"user": "etl", "password": "hunter2"}
    )
    return unique


def test_validation_keeps_the_reference_and_never_contacts_vault(tmp_path, unique):
    # An address where nothing listens: validation must not try it.
    pipeline = load_and_validate(pipeline_file(tmp_path, "http://127.0.0.1:9", unique), registry=COMPONENTS)
    assert pipeline.steps["connect"].config.password == f"secret://vault/{unique}/db#password"


def test_installed_plugin_loads_from_its_entry_point_with_its_settings(openbao, tmp_path, unique):
    pipeline = load_and_validate(pipeline_file(tmp_path, openbao.url, unique), registry=COMPONENTS)
    assert pipeline.hook_settings["vault"] == VaultSettings(url=openbao.url)
    plugin = load_hook_plugins(pipeline.spec.hooks, settings=pipeline.hook_settings).manager.get_plugin("vault")
    assert isinstance(plugin, VaultPlugin)
    assert plugin.settings.url == openbao.url


def test_settings_with_a_typo_are_a_config_error_with_path_file_and_line(tmp_path, unique):
    path = pipeline_file(tmp_path, "http://vault:8200", unique)
    path.write_text(path.read_text().replace("hooks { vault { url", 'hooks { vault { mout = "kv", url'))
    with pytest.raises(ConfigError) as failure:
        load_and_validate(path, registry=COMPONENTS)
    [issue] = failure.value.issues
    assert (issue.path, issue.message, issue.hint) == (
        "pipeline.hooks.vault.mout",
        "unknown key",
        "did you mean 'mount'?",
    )
    assert issue.file == str(path) and path.read_text().splitlines()[issue.line - 1].strip().startswith("hooks { vault")


def test_an_approle_block_without_its_secret_id_is_a_config_error(tmp_path, unique):
    path = pipeline_file(tmp_path, "http://vault:8200", unique)
    path.write_text(path.read_text().replace("hooks { vault { url", "hooks { vault { approle { role_id = r }, url"))
    with pytest.raises(ConfigError, match=r"pipeline\.hooks\.vault\.approle\.secret_id"):
        load_and_validate(path, registry=COMPONENTS)


def test_run_gives_the_component_the_values_and_logs_only_references(
    openbao, db_secret, tmp_path, ppf_hook_calls, ppf_log_events
):
    pipeline = load_and_validate(pipeline_file(tmp_path, openbao.url, db_secret), registry=COMPONENTS)
    result = run_without_spark(pipeline, plugins=[ppf_hook_calls])
    assert result.succeeded, result.to_dict()
    (connected,) = ppf_hook_calls.of("after_step")
    given = connected["result"]
    assert (given.user, given.password) == ("etl", "hunter2")
    assert "hunter2" not in repr(given)
    assert ppf_log_events.named("step_succeeded") and "hunter2" not in repr(list(ppf_log_events))


class UnsealOnRetry(Hook):
    """Unseals the server when the executor announces a retry, as an operator would meanwhile."""

    def __init__(self, server):
        super().__init__()
        self.server = server
        self.retries = []

    def on_retry(self, step_name, attempt, error):
        self.retries.append(str(error))
        self.server.client().sys.submit_unseal_key(self.server.unseal_key)


def test_a_sealed_server_is_retried_within_the_steps_policy_and_a_missing_key_is_not(tmp_path, monkeypatch):
    from ppf_vault.testing import openbao_dev_server

    with openbao_dev_server() as server:
        server.client().secrets.kv.v2.create_or_update_secret(
            path="s/db", secret={"user": "etl", "password": "hunter2"}
        )
        monkeypatch.setenv("VAULT_TOKEN", server.root_token)
        path = pipeline_file(tmp_path, server.url, "s")
        path.write_text(
            path.read_text().replace(
                'name = "vault-demo"', 'name = "vault-demo"\n  retry { max_attempts = 3, initial_delay = "10ms" }'
            )
        )
        pipeline = load_and_validate(path, registry=COMPONENTS)
        server.client().sys.seal()
        unseal, calls = UnsealOnRetry(server), HookCalls()
        result = run_without_spark(pipeline, plugins=[unseal, calls])
        assert result.succeeded, result.to_dict()
        assert result.step("connect").attempts == 2 and "is sealed or down" in unseal.retries[0]
        assert calls.of("after_step")[0]["result"].password == "hunter2"

        path.write_text(path.read_text().replace("s/db#password", "s/db#pasword"))
        pipeline = load_and_validate(path, registry=COMPONENTS)
        result = run_without_spark(pipeline)
        step = result.step("connect")
        assert step.attempts == 1 and "SecretKeyNotFound" in step.error and "(keys: password, user)" in step.error
