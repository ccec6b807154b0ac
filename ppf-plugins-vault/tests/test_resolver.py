"""VaultSecretResolver against a real OpenBao server (conftest.py); the fake only for 5xx and timeouts."""

from __future__ import annotations

import time

import hvac
import pytest

from ppf_vault import VaultSecretResolver, VaultSettings
from ppf_vault.resolver import SecretPath, split_reference, vault_message
from ppf_vault.testing import free_port, openbao_dev_server
from pyspark_pipeline_framework.core import PermanentError
from pyspark_pipeline_framework.core.secrets import (
    InvalidSecretReference,
    PermanentSecretError,
    SecretAccessDenied,
    SecretCredentialsInvalid,
    SecretError,
    SecretKeyNotFound,
    SecretNotFound,
    SecretUnavailable,
)
from pyspark_pipeline_framework.core.structuring import make_converter

READ_POLICY = 'path "secret/data/{name}" {{ capabilities = ["read"] }}'


def resolver_for(server, **settings) -> VaultSecretResolver:
    # Structured as pre-flight structures hooks { vault { ... } } (nested blocks such as approle included).
    return VaultSecretResolver(make_converter().structure({"url": server.url, **settings}, VaultSettings))


def write(server, path, data, mount="secret", namespace=None):
    server.client(namespace=namespace).secrets.kv.v2.create_or_update_secret(path=path, secret=data, mount_point=mount)


def not_permanent(error: BaseException) -> bool:
    return isinstance(error, SecretError) and not isinstance(error, PermanentError)


def test_reference_names_mount_version_path_and_key():
    settings = VaultSettings(kv1_mounts=["legacy"])
    assert split_reference("kv/data/db#password", settings) == SecretPath("kv", 2, "db", "password")
    assert split_reference("team/db#password", settings) == SecretPath("secret", 2, "team/db", "password")
    assert split_reference("legacy/team/db#password", settings) == SecretPath("legacy", 1, "team/db", "password")
    assert split_reference("db#password", VaultSettings(mount="old", kv_version=1)) == SecretPath(
        "old", 1, "db", "password"
    )
    with pytest.raises(InvalidSecretReference, match="name the key after '#'"):
        split_reference("kv/data/db", settings)


def test_vault_messages_are_cleaned_of_hvac_lists_and_urls():
    error = hvac.exceptions.Forbidden(
        "1 error occurred:\n\t* permission denied\n\n, on get http://x/v1/a",
        errors=["1 error occurred:\n\t* permission denied\n\t* invalid token\n\n"],
    )
    assert vault_message(error) == "permission denied; invalid token"


def test_reads_one_key_of_a_kv2_secret_once_per_secret(openbao, vault_token, unique):
    write(openbao, f"{unique}/db", {"user": "etl", "password": "hunter2"})
    resolver = resolver_for(openbao)
    assert resolver.resolve(f"secret/data/{unique}/db#password") == "hunter2"
    assert resolver.resolve(f"{unique}/db#user") == "etl"  # the configured mount, same secret
    assert list(resolver._secrets) == [f"secret/data/{unique}/db"]


def test_kv_version_1_mounts(openbao, vault_token, unique):
    openbao.client().sys.enable_secrets_engine("kv", path=f"legacy-{unique}", options={"version": "1"})
    openbao.client().secrets.kv.v1.create_or_update_secret(
        path="db", secret={"password": "v1-pass"}, mount_point=f"legacy-{unique}"
    )
    assert resolver_for(openbao, kv1_mounts=[f"legacy-{unique}"]).resolve(f"legacy-{unique}/db#password") == "v1-pass"
    assert resolver_for(openbao, mount=f"legacy-{unique}", kv_version=1).resolve("db#password") == "v1-pass"


def test_address_comes_from_vault_addr_when_not_configured(openbao, vault_token, unique, monkeypatch):
    write(openbao, unique, {"password": "hunter2"})
    monkeypatch.setenv("VAULT_ADDR", openbao.url)
    assert VaultSecretResolver().resolve(f"{unique}#password") == "hunter2"


def test_missing_secret_and_missing_key_are_permanent_and_name_the_reference(openbao, vault_token, unique):
    write(openbao, unique, {"user": "etl", "password": "hunter2"})
    resolver = resolver_for(openbao)
    with pytest.raises(SecretNotFound, match=f"secret://vault/{unique}-nope#password: Vault has no secret") as gone:
        resolver.resolve(f"{unique}-nope#password")
    with pytest.raises(SecretKeyNotFound, match=r"has no key 'pasword' \(keys: password, user\)") as key:
        resolver.resolve(f"{unique}#pasword")
    for error in (gone.value, key.value):
        assert isinstance(error, PermanentError) and "hunter2" not in str(error)


def test_a_token_without_the_policy_is_refused_permanently(openbao, vault_token, unique, monkeypatch):
    write(openbao, unique, {"password": "hunter2"})
    root = openbao.client()
    root.sys.create_or_update_policy(name=f"read-{unique}-other", policy=READ_POLICY.format(name=f"{unique}-other"))
    token = root.auth.token.create(policies=[f"read-{unique}-other"], ttl="10m")["auth"]["client_token"]
    monkeypatch.setenv("VAULT_TOKEN", token)
    with pytest.raises(
        SecretAccessDenied,
        match=f"Vault refused to read secret/data/{unique} "
        r"\(permission denied\); the token's policies",
    ) as refused:
        resolver_for(openbao).resolve(f"{unique}#password")
    assert isinstance(refused.value, PermanentError)
    assert "\n" not in str(refused.value) and "hunter2" not in str(refused.value)


def test_expired_revoked_and_wrong_tokens_are_permanent_credential_errors(openbao, vault_token, unique, monkeypatch):
    write(openbao, unique, {"password": "hunter2"})
    root = openbao.client()
    root.sys.create_or_update_policy(name=f"read-{unique}", policy=READ_POLICY.format(name=unique))
    short = root.auth.token.create(policies=[f"read-{unique}"], ttl="1s", renewable=False)["auth"]["client_token"]
    revoked = root.auth.token.create(policies=[f"read-{unique}"], ttl="10m")["auth"]["client_token"]
    root.auth.token.revoke(revoked)
    time.sleep(2)  # the short token's TTL passes
    for token in (short, revoked, "s.not-a-token"):
        monkeypatch.setenv("VAULT_TOKEN", token)
        with pytest.raises(
            SecretCredentialsInvalid, match="does not accept the token: it is expired, revoked or wrong"
        ):
            resolver_for(openbao).resolve(f"{unique}#password")


def test_missing_token_variable_is_named(openbao, vault_token, unique, monkeypatch):
    write(openbao, unique, {"password": "hunter2"})
    monkeypatch.delenv("VAULT_TOKEN")
    with pytest.raises(SecretCredentialsInvalid, match="environment variable VAULT_TOKEN is not set"):
        resolver_for(openbao).resolve(f"{unique}#password")
    monkeypatch.setenv("TEAM_VAULT_TOKEN", openbao.root_token)
    assert resolver_for(openbao, token_env="TEAM_VAULT_TOKEN").resolve(f"{unique}#password") == "hunter2"


def test_approle_login(openbao, vault_token, unique):
    write(openbao, unique, {"password": "hunter2"})
    root = openbao.client()
    root.sys.create_or_update_policy(name=f"read-{unique}", policy=READ_POLICY.format(name=unique))
    root.sys.enable_auth_method("approle", path=f"approle-{unique}")
    root.auth.approle.create_or_update_approle(
        f"etl-{unique}", token_policies=[f"read-{unique}"], token_ttl="10m", mount_point=f"approle-{unique}"
    )
    role_id = root.auth.approle.read_role_id(f"etl-{unique}", mount_point=f"approle-{unique}")["data"]["role_id"]
    secret_id = root.auth.approle.generate_secret_id(f"etl-{unique}", mount_point=f"approle-{unique}")["data"][
        "secret_id"
    ]
    approle = {"role_id": role_id, "secret_id": secret_id, "mount": f"approle-{unique}"}
    assert resolver_for(openbao, approle=approle).resolve(f"{unique}#password") == "hunter2"
    with pytest.raises(SecretCredentialsInvalid, match=f"refused the AppRole login at auth/approle-{unique}") as bad:
        resolver_for(openbao, approle={**approle, "secret_id": "wrong"}).resolve(f"{unique}#password")
    assert "\n" not in str(bad.value) and secret_id not in str(bad.value)


def test_namespaces(openbao, vault_token, unique):
    root = openbao.client()
    root.sys.create_namespace(path=f"team-{unique}")
    in_namespace = openbao.client(namespace=f"team-{unique}")
    in_namespace.sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})
    write(openbao, "db", {"password": "namespaced"}, namespace=f"team-{unique}")
    assert resolver_for(openbao, namespace=f"team-{unique}").resolve("db#password") == "namespaced"
    with pytest.raises(SecretNotFound, match=f"in namespace team-{unique}"):
        resolver_for(openbao, namespace=f"team-{unique}").resolve("other#password")


def test_a_renewable_token_is_renewed_during_a_long_run(openbao, vault_token, unique, monkeypatch):
    write(openbao, f"{unique}/early", {"password": "first"})
    write(openbao, f"{unique}/late", {"password": "second"})
    root = openbao.client()
    root.sys.create_or_update_policy(
        name=f"read-{unique}", policy=f'path "secret/data/{unique}/*" {{ capabilities = ["read"] }}'
    )
    for variable in ("RENEWED_TOKEN", "FIXED_TOKEN"):
        monkeypatch.setenv(
            variable,
            root.auth.token.create(policies=[f"read-{unique}"], ttl="3s", renewable=True, explicit_max_ttl="5m")[
                "auth"
            ]["client_token"],
        )
    renewing = resolver_for(openbao, token_env="RENEWED_TOKEN")
    fixed = resolver_for(openbao, token_env="FIXED_TOKEN", renew=False)
    assert renewing.resolve(f"{unique}/early#password") == "first"
    assert fixed.resolve(f"{unique}/early#password") == "first"
    time.sleep(4.5)  # longer than the tokens' TTL: only renewals keep one alive
    try:
        assert renewing.resolve(f"{unique}/late#password") == "second"
        assert renewing._renewer is not None and renewing._renewer.renewals >= 2
    finally:
        renewing.close()
    with pytest.raises(SecretCredentialsInvalid, match="expired, revoked or wrong"):
        fixed.resolve(f"{unique}/late#password")


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # verify = false, on purpose
def test_tls_with_the_servers_ca_and_a_clear_error_without_it(monkeypatch):
    monkeypatch.delenv("VAULT_CACERT", raising=False)
    with openbao_dev_server(tls=True) as server:
        write(server, "db", {"password": "over-tls"})
        monkeypatch.setenv("VAULT_TOKEN", server.root_token)
        assert resolver_for(server, ca_cert=server.ca_cert).resolve("db#password") == "over-tls"
        monkeypatch.setenv("VAULT_CACERT", server.ca_cert)
        assert resolver_for(server).resolve("db#password") == "over-tls"
        monkeypatch.delenv("VAULT_CACERT")
        with pytest.raises(PermanentSecretError, match=r"certificate is not trusted .* ca_cert") as untrusted:
            resolver_for(server).resolve("db#password")
        assert isinstance(untrusted.value, PermanentError)
        assert resolver_for(server, verify=False).resolve("db#password") == "over-tls"


def test_a_sealed_server_is_a_transient_error_and_reads_again_once_unsealed(monkeypatch):
    with openbao_dev_server() as server:
        write(server, "db", {"password": "after-unseal"})
        monkeypatch.setenv("VAULT_TOKEN", server.root_token)
        server.client().sys.seal()
        resolver = resolver_for(server)
        with pytest.raises(SecretUnavailable, match=r"is sealed or down .*unseal it") as sealed:
            resolver.resolve("db#password")
        assert not_permanent(sealed.value) and "\n" not in str(sealed.value)
        server.client().sys.submit_unseal_key(server.unseal_key)
        assert resolver.resolve("db#password") == "after-unseal"  # the same resolver, as a retried step would


def test_an_unreachable_server_is_a_transient_error_that_fails_fast(monkeypatch):
    monkeypatch.setenv("VAULT_TOKEN", "t")
    resolver = VaultSecretResolver(VaultSettings(url=f"http://127.0.0.1:{free_port()}", timeout=2))
    started = time.monotonic()
    with pytest.raises(SecretUnavailable, match="cannot reach Vault") as unreachable:
        resolver.resolve("kv/data/db#password")
    assert not_permanent(unreachable.value) and time.monotonic() - started < 5


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient_and_cleaned_up(faulty_vault, status):
    faulty_vault.status = status
    with pytest.raises(SecretUnavailable, match="internal error") as failed:
        resolver_for(faulty_vault).resolve("kv/data/db#password")
    assert not_permanent(failed.value)
    assert "\n" not in str(failed.value) and "\t" not in str(failed.value) and "* " not in str(failed.value)


def test_a_server_that_does_not_answer_in_time_is_a_transient_error(faulty_vault):
    faulty_vault.delay = 3
    started = time.monotonic()
    with pytest.raises(SecretUnavailable, match="did not answer within 1 s") as slow:
        resolver_for(faulty_vault, timeout=1).resolve("kv/data/db#password")
    assert not_permanent(slow.value) and time.monotonic() - started < 2.9


def test_settings_are_keyword_only_and_frozen():
    with pytest.raises(TypeError):
        VaultSettings("http://vault:8200")  # type: ignore[misc]
    settings = VaultSettings(url="http://vault:8200")
    with pytest.raises(AttributeError):
        settings.url = "elsewhere"  # type: ignore[misc]
