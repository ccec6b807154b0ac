"""VaultSecretResolver against the fake Vault of conftest.py (a stand-in HTTP server, not real Vault)."""

from __future__ import annotations

import socket
import time

import pytest

from ppf_vault import VaultSecretResolver, VaultSettings
from ppf_vault.resolver import split_reference
from pyspark_pipeline_framework.core.secrets import SecretError


def resolver_for(vault, **settings) -> VaultSecretResolver:
    return VaultSecretResolver(VaultSettings(url=vault.url, **settings))


def test_reference_names_mount_path_and_key():
    assert split_reference("kv/data/db#password", "secret") == ("kv", "db", "password")
    assert split_reference("team/db#password", "secret") == ("secret", "team/db", "password")
    with pytest.raises(SecretError, match="name the key after '#'"):
        split_reference("kv/data/db", "secret")


def test_reads_one_key_of_a_kv2_secret(fake_vault):
    resolver = resolver_for(fake_vault)
    assert resolver.resolve("kv/data/db#password") == "hunter2"
    assert fake_vault.requests == ["/v1/kv/data/db"]


def test_a_reference_without_data_reads_the_configured_mount(fake_vault):
    assert resolver_for(fake_vault).resolve("api#key") == "k-123"
    assert resolver_for(fake_vault, mount="kv").resolve("db#user") == "etl"


def test_each_secret_is_read_once_per_resolver(fake_vault):
    resolver = resolver_for(fake_vault)
    assert resolver.resolve("kv/data/db#user") == "etl"
    assert resolver.resolve("kv/data/db#password") == "hunter2"
    assert fake_vault.requests == ["/v1/kv/data/db"]


def test_address_comes_from_vault_addr_when_not_configured(fake_vault, monkeypatch):
    monkeypatch.setenv("VAULT_ADDR", fake_vault.url)
    assert VaultSecretResolver().resolve("kv/data/db#password") == "hunter2"


def test_missing_secret_missing_key_and_wrong_token_are_clear_errors(fake_vault, monkeypatch):
    resolver = resolver_for(fake_vault)
    with pytest.raises(SecretError, match="Vault has no secret kv/data/nope"):
        resolver.resolve("kv/data/nope#password")
    with pytest.raises(SecretError, match=r"has no key 'pasword' \(keys: password, user\)"):
        resolver.resolve("kv/data/db#pasword")
    monkeypatch.setenv("VAULT_TOKEN", "wrong")
    with pytest.raises(SecretError, match="Vault refused to read kv/data/db") as refused:
        resolver_for(fake_vault).resolve("kv/data/db#password")
    assert "hunter2" not in str(refused.value)


def test_token_is_read_from_the_named_environment_variable(fake_vault, monkeypatch):
    monkeypatch.delenv("VAULT_TOKEN")
    with pytest.raises(SecretError, match="environment variable VAULT_TOKEN is not set"):
        resolver_for(fake_vault).resolve("kv/data/db#password")
    monkeypatch.setenv("TEAM_VAULT_TOKEN", "s.test-token")
    assert resolver_for(fake_vault, token_env="TEAM_VAULT_TOKEN").resolve("kv/data/db#password") == "hunter2"


def test_unreachable_vault_fails_fast_with_a_secret_error(monkeypatch):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("VAULT_TOKEN", "t")
    resolver = VaultSecretResolver(VaultSettings(url=f"http://127.0.0.1:{port}", timeout=2))
    started = time.monotonic()
    with pytest.raises(SecretError, match="cannot reach Vault"):
        resolver.resolve("kv/data/db#password")
    assert time.monotonic() - started < 5


def test_settings_are_keyword_only_and_frozen():
    with pytest.raises(TypeError):
        VaultSettings("http://vault:8200")  # type: ignore[misc]
    settings = VaultSettings(url="http://vault:8200")
    with pytest.raises(AttributeError):
        settings.url = "elsewhere"  # type: ignore[misc]
