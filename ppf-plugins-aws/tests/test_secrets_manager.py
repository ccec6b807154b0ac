"""secret://aws-sm/... against moto's Secrets Manager on 127.0.0.1, used through boto3 as against AWS."""

from __future__ import annotations

import itertools
import json
import time
from contextlib import contextmanager

import pytest
import requests

from ppf_aws.secrets_manager import SecretsManagerPlugin, SecretsManagerResolver, SecretsManagerSettings, parse
from ppf_aws.testing import TEST_ACCESS_KEY, TEST_REGION, TEST_SECRET_KEY, free_port
from pyspark_pipeline_framework.core import ConfigError, PermanentError
from pyspark_pipeline_framework.core.plugins import load_hook_plugins
from pyspark_pipeline_framework.core.secrets import (
    InvalidSecretReference,
    SecretAccessDenied,
    SecretCredentialsInvalid,
    SecretKeyNotFound,
    SecretNotFound,
    Secrets,
    SecretUnavailable,
)
from pyspark_pipeline_framework.core.spec import HooksBlock
from pyspark_pipeline_framework.testing import load_and_validate

_names = itertools.count()


def settings_for(server, **overrides) -> SecretsManagerSettings:
    return SecretsManagerSettings(
        **{
            **server.secrets_manager_settings(),
            "credentials": "keys",
            "access_key_id": TEST_ACCESS_KEY,
            "secret_access_key": TEST_SECRET_KEY,
            **overrides,
        }
    )


def resolver_for(server, **overrides) -> SecretsManagerResolver:
    return SecretsManagerResolver(settings_for(server, **overrides))


@pytest.fixture
def secret_name(s3_server):
    return f"ppf/test-{next(_names)}"


def reads_of(resolver: SecretsManagerResolver) -> list[dict]:
    """The GetSecretValue calls the resolver's boto3 client makes from now on (botocore's event hooks)."""
    calls: list[dict] = []
    resolver._connect().meta.events.register(
        "provide-client-params.secrets-manager.GetSecretValue", lambda params, **_: calls.append(dict(params))
    )
    return calls


def test_references_name_the_secret_its_version_and_key():
    assert parse("prod/db#password").secret_id == "prod/db"
    assert parse("prod/db#password").key == "password"
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf"
    assert parse(f"{arn}?stage=AWSPREVIOUS#user").secret_id == arn
    assert parse(f"{arn}?stage=AWSPREVIOUS#user").stage == "AWSPREVIOUS"
    assert parse("prod/db?version=v-1").version_id == "v-1"
    assert parse("keytab?encoding=base64").base64
    for bad, message in [
        ("prod/db?stage=A&version=B", "not both"),
        ("prod/db?colour=red", "unknown: colour"),
        ("prod/db#", "expected"),
        ("prod/db?encoding=hex", "use encoding=base64"),
    ]:
        with pytest.raises(InvalidSecretReference, match=message):
            parse(bad)


def test_a_secret_string_whole_and_one_key_of_a_json_secret(s3_server, secret_name):
    arn = s3_server.create_secret(secret_name, json.dumps({"user": "etl", "password": "hunter2", "port": 5432}))
    s3_server.create_secret(secret_name + "-plain", "just-a-token")
    resolver = resolver_for(s3_server)
    assert resolver.resolve(f"{secret_name}#password") == "hunter2"
    assert resolver.resolve(f"{secret_name}#port") == "5432"
    assert resolver.resolve(f"{arn}#user") == "etl"
    assert resolver.resolve(f"{secret_name}-plain") == "just-a-token"


def test_each_version_is_fetched_once_however_many_keys_are_read(s3_server, secret_name):
    s3_server.create_secret(secret_name, json.dumps({"user": "etl", "password": "hunter2"}))
    resolver = resolver_for(s3_server)
    calls = reads_of(resolver)
    assert [resolver.resolve(f"{secret_name}#{key}") for key in ("user", "password", "user")] == [
        "etl",
        "hunter2",
        "etl",
    ]
    assert calls == [{"SecretId": secret_name}]


def test_a_version_stage_or_id_reads_that_version(s3_server, secret_name):
    client = s3_server.client("secretsmanager")
    first = client.create_secret(Name=secret_name, SecretString=json.dumps({"password": "old"}))["VersionId"]
    client.put_secret_value(SecretId=secret_name, SecretString=json.dumps({"password": "new"}))
    resolver = resolver_for(s3_server)
    assert resolver.resolve(f"{secret_name}#password") == "new"
    assert resolver.resolve(f"{secret_name}?stage=AWSCURRENT#password") == "new"
    assert resolver.resolve(f"{secret_name}?stage=AWSPREVIOUS#password") == "old"
    assert resolver.resolve(f"{secret_name}?version={first}#password") == "old"
    with pytest.raises(SecretNotFound, match=r"\?stage=NOPE"):
        resolver.resolve(f"{secret_name}?stage=NOPE#password")


def test_binary_secrets_as_text_or_base64(s3_server, secret_name):
    s3_server.create_secret(secret_name, json.dumps({"key": "k-1"}).encode())
    s3_server.create_secret(secret_name + "-keytab", b"\x05\x02\xff\x00")
    resolver = resolver_for(s3_server)
    assert resolver.resolve(f"{secret_name}#key") == "k-1"
    assert resolver.resolve(f"{secret_name}-keytab?encoding=base64") == "BQL/AA=="
    with pytest.raises(InvalidSecretReference, match=r"binary and not UTF-8 text; add \?encoding=base64"):
        resolver.resolve(f"{secret_name}-keytab")


def test_missing_secret_and_missing_key_name_the_reference_and_are_permanent(s3_server, secret_name):
    s3_server.create_secret(secret_name, json.dumps({"user": "etl", "password": "hunter2"}))
    s3_server.create_secret(secret_name + "-plain", "not json")
    resolver = resolver_for(s3_server)
    with pytest.raises(SecretNotFound, match=f"secret://aws-sm/{secret_name}-nope#password: .*no such secret") as gone:
        resolver.resolve(f"{secret_name}-nope#password")
    with pytest.raises(SecretKeyNotFound, match=r"has no key 'pasword' \(keys: password, user\)") as key:
        resolver.resolve(f"{secret_name}#pasword")
    with pytest.raises(InvalidSecretReference, match="not a JSON object"):
        resolver.resolve(f"{secret_name}-plain#password")
    for error in (gone.value, key.value):
        assert isinstance(error, PermanentError) and "hunter2" not in str(error)


@contextmanager
def iam_enforced(server):
    """moto checks signatures and IAM policies inside the block (its reset-auth API), as AWS does."""
    requests.post(f"{server.endpoint}/moto-api/reset-auth", data=b"0", timeout=5).raise_for_status()
    try:
        yield
    finally:
        requests.post(f"{server.endpoint}/moto-api/reset-auth", data=b"inf", timeout=5).raise_for_status()


def test_credentials_without_permission_and_unknown_credentials_are_permanent_errors(s3_server, secret_name):
    s3_server.create_secret(secret_name, json.dumps({"password": "hunter2"}))
    iam = s3_server.client("iam")
    user = f"reader-{next(_names)}"
    iam.create_user(UserName=user)  # no policy: may read nothing
    key = iam.create_access_key(UserName=user)["AccessKey"]
    with iam_enforced(s3_server):
        with pytest.raises(
            SecretAccessDenied, match=r"refused the read .*not authorized to perform: secretsmanager:GetSecretValue"
        ) as denied:
            resolver_for(s3_server, access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"]).resolve(
                f"{secret_name}#password"
            )
        with pytest.raises(SecretCredentialsInvalid, match="does not accept the AWS credentials") as unknown:
            resolver_for(s3_server).resolve(f"{secret_name}#password")
    for error in (denied.value, unknown.value):
        assert isinstance(error, PermanentError) and "hunter2" not in str(error)


def test_an_unreachable_endpoint_is_a_transient_error_that_fails_fast(s3_server):
    resolver = resolver_for(s3_server, endpoint=f"http://127.0.0.1:{free_port()}", timeout=2)
    started = time.monotonic()
    with pytest.raises(SecretUnavailable, match="cannot reach Secrets Manager") as unreachable:
        resolver.resolve("prod/db#password")
    assert not isinstance(unreachable.value, PermanentError)
    assert time.monotonic() - started < 10


def _validate_settings(tmp_path, block: str) -> None:
    path = tmp_path / "pipeline.conf"
    path.write_text(
        "pipeline { name = p\n"
        f"  hooks {{ aws_secrets_manager {{ {block} }} }}\n"
        '  steps = [{ name = read, type = parquet, config { path = "in" } },\n'
        '           { name = write, type = parquet, inputs = [read], config { path = "out" } }]\n'
        "}\n"
    )
    load_and_validate(path)


def test_settings_are_checked_by_preflight_with_path_file_and_line(tmp_path):
    with pytest.raises(ConfigError, match=r"pipeline\.hooks\.aws_secrets_manager\.regoin.*unknown key") as typo:
        _validate_settings(tmp_path, 'regoin = "eu-west-1"')
    assert "pipeline.conf:2" in typo.value.render()
    with pytest.raises(ConfigError, match=r"aws_secrets_manager\.secret_access_key.*credentials = \"keys\" needs"):
        _validate_settings(tmp_path, "credentials = keys, access_key_id = AKIA")
    with pytest.raises(ConfigError, match=r"aws_secrets_manager\.endpoint.*'localhost:4566' is not a URL"):
        _validate_settings(tmp_path, 'endpoint = "localhost:4566"')


def test_the_standard_aws_environment_is_enough(s3_server, secret_name, monkeypatch):
    s3_server.create_secret(secret_name, "from-the-environment")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", s3_server.endpoint)
    monkeypatch.setenv("AWS_REGION", TEST_REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TEST_SECRET_KEY)
    assert SecretsManagerResolver().resolve(secret_name) == "from-the-environment"


def test_the_installed_plugin_offers_the_scheme_with_its_settings(s3_server, secret_name):
    s3_server.create_secret(secret_name, json.dumps({"password": "hunter2"}))
    settings = settings_for(s3_server)
    manager = load_hook_plugins(HooksBlock(), settings={"aws_secrets_manager": settings}).manager
    assert isinstance(manager.get_plugin("aws_secrets_manager"), SecretsManagerPlugin)
    secrets = Secrets.from_plugins(manager)
    assert secrets.resolve(f"secret://aws-sm/{secret_name}#password") == "hunter2"
