"""Encrypted values: secret://age/ (pyrage, in-process), secret://sops/ (the sops binary), `ppf secrets`."""

from __future__ import annotations

import base64
import re
import subprocess

import pytest
from pyrage import x25519
from typer.testing import CliRunner

from pyspark_pipeline_framework.core import PermanentError
from pyspark_pipeline_framework.core.errors import ConfigError
from pyspark_pipeline_framework.core.plugins import load_hook_plugins
from pyspark_pipeline_framework.core.secrets import (
    InvalidSecretReference,
    SecretCredentialsInvalid,
    SecretDecryptionFailed,
    SecretKeyNotFound,
    SecretNotFound,
    Secrets,
)
from pyspark_pipeline_framework.core.spec import HooksBlock
from pyspark_pipeline_framework.encryption.age import AgeSecretResolver, AgeSettings, encrypt
from pyspark_pipeline_framework.encryption.sops import SopsSecretResolver, SopsSettings
from pyspark_pipeline_framework.runner.cli import app
from pyspark_pipeline_framework.testing import load_and_validate


@pytest.fixture
def identity(tmp_path):
    """A new age key pair; the identity in a file (as age-keygen writes it)."""
    key = x25519.Identity.generate()
    path = tmp_path / f"key-{str(key.to_public())[-6:]}.txt"
    path.write_text(f"# created: now\n# public key: {key.to_public()}\n{key}\n", encoding="utf-8")
    return key, path


def ciphertext(reference: str) -> str:
    assert reference.startswith("secret://age/")
    return reference.removeprefix("secret://age/")


# -- age ---------------------------------------------------------------------------------------
def test_age_value_decrypts_with_an_identity_file(identity):
    key, path = identity
    reference = encrypt("hunter2", [str(key.to_public())])
    assert base64.b64decode(ciphertext(reference)).startswith(b"age-encryption.org/v1")
    resolver = AgeSecretResolver(AgeSettings(identity_files=[str(path)]))
    assert resolver.resolve(ciphertext(reference)) == "hunter2"


def test_age_identities_from_an_environment_variable_and_several_for_rotation(identity, tmp_path, monkeypatch):
    old, old_file = identity
    new = x25519.Identity.generate()
    monkeypatch.setenv("TEAM_AGE_KEYS", f"# rotated in March\n{new}\n")
    for_old = encrypt("old-value", [str(old.to_public())])
    for_new = encrypt("new-value", [str(new.to_public())])
    both = AgeSecretResolver(AgeSettings(identity_files=[str(old_file)], identity_env="TEAM_AGE_KEYS"))
    assert both.resolve(ciphertext(for_old)) == "old-value"
    assert both.resolve(ciphertext(for_new)) == "new-value"
    monkeypatch.setenv("PPF_AGE_IDENTITY", str(new))  # the default variable
    assert AgeSecretResolver().resolve(ciphertext(for_new)) == "new-value"


def test_a_wrong_key_and_a_tampered_value_are_permanent_decryption_failures(identity):
    key, path = identity
    resolver = AgeSecretResolver(AgeSettings(identity_files=[str(path)]))
    other = encrypt("hunter2", [str(x25519.Identity.generate().to_public())])
    with pytest.raises(SecretDecryptionFailed, match="none of the 1 age identities can decrypt it") as wrong:
        resolver.resolve(ciphertext(other))
    raw = bytearray(base64.b64decode(ciphertext(encrypt("hunter2", [str(key.to_public())]))))
    raw[-3] ^= 0x01  # one bit of the payload
    with pytest.raises(SecretDecryptionFailed, match="damaged or was altered") as tampered:
        resolver.resolve(base64.b64encode(bytes(raw)).decode())
    with pytest.raises(InvalidSecretReference, match="not base64"):
        resolver.resolve("not base64!")
    for error in (wrong.value, tampered.value):
        assert isinstance(error, PermanentError) and "hunter2" not in str(error)


def test_no_identity_or_a_broken_one_is_named_without_echoing_the_key(identity, tmp_path, monkeypatch):
    key, _ = identity
    monkeypatch.delenv("PPF_AGE_IDENTITY", raising=False)
    reference = encrypt("hunter2", [str(key.to_public())])
    with pytest.raises(SecretCredentialsInvalid, match="no age identity to decrypt with"):
        AgeSecretResolver().resolve(ciphertext(reference))
    broken = tmp_path / "broken.txt"
    broken.write_text("AGE-SECRET-KEY-1THISISNOTAKEY\n", encoding="utf-8")
    with pytest.raises(SecretCredentialsInvalid, match=r"broken.txt, line 1: not an age identity") as error:
        AgeSecretResolver(AgeSettings(identity_files=[str(broken)])).resolve(ciphertext(reference))
    assert "THISISNOTAKEY" not in str(error.value)
    pipeline = tmp_path / "pipeline.conf"
    pipeline.write_text(
        'pipeline { name = p, hooks { age { identity_file = "key.txt" } }\n'
        '  steps = [{ name = read, type = parquet, config { path = "in" } },\n'
        '           { name = write, type = parquet, inputs = [read], config { path = "out" } }] }\n'
    )
    with pytest.raises(ConfigError, match=r"pipeline\.hooks\.age\.identity_file.*unknown key"):
        load_and_validate(pipeline)


def test_ppf_secrets_encrypt_and_decrypt_read_the_value_from_standard_input(identity):
    key, path = identity
    runner = CliRunner()
    encrypted = runner.invoke(app, ["secrets", "encrypt", "--recipient", str(key.to_public())], input="s3cr3t-value\n")
    assert encrypted.exit_code == 0, encrypted.output
    reference = encrypted.stdout.strip()
    assert re.fullmatch(r"secret://age/[A-Za-z0-9+/=]+", reference) and "s3cr3t-value" not in reference
    decrypted = runner.invoke(app, ["secrets", "decrypt", "--identity-file", str(path)], input=reference + "\n")
    assert decrypted.exit_code == 0, decrypted.output
    assert decrypted.stdout == "s3cr3t-value\n"
    # The value is never an argument (shell history would keep it).
    refused = runner.invoke(app, ["secrets", "encrypt", "--recipient", str(key.to_public()), "s3cr3t-value"])
    assert refused.exit_code == 2
    wrong = runner.invoke(app, ["secrets", "decrypt"], input=reference, env={"PPF_AGE_IDENTITY": ""})
    assert wrong.exit_code == 2 and "no age identity" in wrong.output


# -- sops --------------------------------------------------------------------------------------
SOPS_PLAIN = """\
db:
  user: etl
  password: hunter2
  replicas:
    - host: replica-1
      password: r1-pass
api_token: t0ken
"""


def sops_encrypt(tmp_path, recipient: str, name: str = "secrets.enc.yaml"):
    plain = tmp_path / "plain.yaml"
    plain.write_text(SOPS_PLAIN, encoding="utf-8")
    encrypted = tmp_path / name
    done = subprocess.run(
        [
            SopsSettings().executable(),
            "--encrypt",
            "--age",
            recipient,
            "--input-type",
            "yaml",
            "--output-type",
            "yaml",
            str(plain),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    encrypted.write_text(done.stdout, encoding="utf-8")
    plain.unlink()
    return encrypted


def test_sops_values_by_key_path_with_the_file_decrypted_once(identity, tmp_path):
    key, key_file = identity
    file = sops_encrypt(tmp_path, str(key.to_public()))
    assert "hunter2" not in file.read_text()
    resolver = SopsSecretResolver(SopsSettings(age_key_file=str(key_file)))
    assert resolver.resolve(f"{file}#db.password") == "hunter2"
    file.rename(tmp_path / "moved.yaml")  # the run already holds the decrypted file
    assert resolver.resolve(f"{file}#db.replicas.0.password") == "r1-pass"
    assert resolver.resolve(f"{file}#api_token") == "t0ken"


def test_sops_keys_come_from_the_standard_environment(identity, tmp_path, monkeypatch):
    key, key_file = identity
    file = sops_encrypt(tmp_path, str(key.to_public()))
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(key_file))
    assert SopsSecretResolver().resolve(f"{file}#db.user") == "etl"


def test_sops_failures_name_the_reference_and_are_permanent(identity, tmp_path, monkeypatch):
    key, key_file = identity
    monkeypatch.delenv("SOPS_AGE_KEY_FILE", raising=False)
    monkeypatch.delenv("SOPS_AGE_KEY", raising=False)
    file = sops_encrypt(tmp_path, str(key.to_public()))
    resolver = SopsSecretResolver(SopsSettings(age_key_file=str(key_file)))
    errors = []
    with pytest.raises(SecretKeyNotFound, match=r"db has no key 'pasword' \(keys: password, replicas, user\)") as e:
        resolver.resolve(f"{file}#db.pasword")
    errors.append(e.value)
    with pytest.raises(SecretKeyNotFound, match=r"the file has no key 'bd' \(keys: api_token, db\)") as e:
        resolver.resolve(f"{file}#bd.password")
    errors.append(e.value)
    with pytest.raises(SecretNotFound, match="no such file") as e:
        resolver.resolve(f"{tmp_path}/nope.yaml#db.password")
    errors.append(e.value)
    other_key = tmp_path / "other.txt"
    other_key.write_text(f"{x25519.Identity.generate()}\n", encoding="utf-8")
    with pytest.raises(SecretDecryptionFailed, match="found no key that decrypts") as e:
        SopsSecretResolver(SopsSettings(age_key_file=str(other_key))).resolve(f"{file}#db.password")
    errors.append(e.value)
    tampered = tmp_path / "tampered.enc.yaml"
    text = file.read_text()
    start = text.index("api_token: ENC[AES256_GCM,data:") + len("api_token: ENC[AES256_GCM,data:")
    tampered.write_text(text[:start] + ("A" if text[start] != "A" else "B") + text[start + 1 :], encoding="utf-8")
    with pytest.raises(SecretDecryptionFailed, match="damaged or was altered") as e:
        resolver.resolve(f"{tampered}#db.password")
    errors.append(e.value)
    with pytest.raises(InvalidSecretReference, match=r"expected secret://sops/<file>#<key\.path>"):
        resolver.resolve(str(file))
    for error in errors:
        assert isinstance(error, PermanentError)
        assert "hunter2" not in str(error) and "\n" not in str(error)


def test_the_age_and_sops_plugins_load_from_core_entry_points(identity, tmp_path):
    key, key_file = identity
    file = sops_encrypt(tmp_path, str(key.to_public()))
    settings = {"age": AgeSettings(identity_files=[str(key_file)]), "sops": SopsSettings(age_key_file=str(key_file))}
    secrets = Secrets.from_plugins(load_hook_plugins(HooksBlock(), settings=settings).manager)
    assert secrets.resolve(encrypt("via-age", [str(key.to_public())])) == "via-age"
    assert secrets.resolve(f"secret://sops/{file}#db.password") == "hunter2"
