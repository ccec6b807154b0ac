"""``secret://age/<base64 ciphertext>``: a value encrypted with age for the run's public key(s).

Anyone with a recipient (public key, ``age1...``) can encrypt a value with
``ppf secrets encrypt --recipient age1...``; only a run holding a matching identity (private key,
``AGE-SECRET-KEY-1...``) can decrypt it.  Identities come from the files listed in
``hooks { age { identity_files = [...] } }`` and from the environment variable named by
``identity_env`` (default ``PPF_AGE_IDENTITY``), one key a line, ``#`` comments allowed: several
identities are tried in turn, so a key can be rotated by adding the new identity before
re-encrypting.  Decryption is done in-process by pyrage (``pip install 'ppf-core[age]'``).
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from pyspark_pipeline_framework.core.hook import HookSettings
from pyspark_pipeline_framework.core.secrets import (
    PREFIX,
    InvalidSecretReference,
    PermanentSecretError,
    SecretCredentialsInvalid,
    SecretDecryptionFailed,
)

SCHEME = "age"
DEFAULT_IDENTITY_ENV = "PPF_AGE_IDENTITY"
INSTALL_HINT = "pip install 'ppf-core[age]'"


class AgeSettings(HookSettings):
    """``hooks { age { ... } }``; every key is optional."""

    #: Files of age identities (``age-keygen`` output), tried in turn.
    identity_files: list[str] = attrs.field(factory=list)
    #: Name of the environment variable holding identities (the keys themselves, one a line).
    identity_env: str = DEFAULT_IDENTITY_ENV


def _pyrage() -> Any:
    try:
        import pyrage
    except ImportError:
        raise PermanentSecretError(f"secret://age/ values need pyrage: {INSTALL_HINT}") from None
    return pyrage


def parse_identities(text: str, source: str) -> list[Any]:
    """The age identities in ``text`` (one a line, ``#`` comments); ``source`` names it in errors."""
    x25519 = _pyrage().x25519
    identities = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            identities.append(x25519.Identity.from_str(line))
        except Exception:  # never echo the line: it is a private key
            raise SecretCredentialsInvalid(
                f"{source}, line {number}: not an age identity (AGE-SECRET-KEY-1...)"
            ) from None
    return identities


def load_identities(settings: AgeSettings, environ: Mapping[str, str] | None = None) -> list[Any]:
    environ = os.environ if environ is None else environ
    identities: list[Any] = []
    for file in settings.identity_files:
        path = Path(file).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SecretCredentialsInvalid(f"cannot read age identity file {path}: {exc.strerror}") from None
        identities += parse_identities(text, f"age identity file {path}")
    if environ.get(settings.identity_env):
        identities += parse_identities(environ[settings.identity_env], f"environment variable {settings.identity_env}")
    return identities


def parse_recipients(texts: Iterable[str]) -> list[Any]:
    """age recipients (``age1...``) or SSH public keys (``ssh-ed25519 ...``, ``ssh-rsa ...``)."""
    pyrage = _pyrage()
    recipients = []
    for text in texts:
        text = text.strip()
        if not text or text.startswith("#"):
            continue
        module = pyrage.ssh if text.startswith("ssh-") else pyrage.x25519
        try:
            recipients.append(module.Recipient.from_str(text))
        except Exception as exc:
            raise InvalidSecretReference(
                f"{text[:24]}...: not an age recipient (age1...) or SSH public key: {exc}"
            ) from None
    return recipients


def encrypt(value: str, recipients: Iterable[str]) -> str:
    """``secret://age/<base64>``: ``value`` encrypted for every recipient."""
    parsed = parse_recipients(recipients)
    if not parsed:
        raise InvalidSecretReference("give at least one recipient (age1... or an SSH public key)")
    ciphertext = _pyrage().encrypt(value.encode("utf-8"), parsed)
    return f"{PREFIX}{SCHEME}/{base64.b64encode(ciphertext).decode('ascii')}"


def decrypt(reference: str, identities: list[Any]) -> str:
    """The value of ``<base64 ciphertext>`` (the part after ``secret://age/``)."""
    where = f"{PREFIX}{SCHEME}/...{reference.strip()[-12:]}"  # the ciphertext's end tells values apart
    pyrage = _pyrage()
    if not identities:
        raise SecretCredentialsInvalid(
            f"{where}: no age identity to decrypt with; set the identities in hooks {{ age {{ identity_files = [...] }} }} "
            f"or the environment variable {DEFAULT_IDENTITY_ENV} (or the one named by identity_env)"
        )
    try:
        ciphertext = base64.b64decode(
            reference.strip(), altchars=b"-_" if "-" in reference or "_" in reference else None, validate=True
        )
    except (binascii.Error, ValueError):
        raise InvalidSecretReference(f"{where}: not base64; paste the whole output of ppf secrets encrypt") from None
    try:
        plaintext = pyrage.decrypt(ciphertext, identities)
    except pyrage.DecryptError as exc:
        if "no matching keys" in str(exc).lower():
            raise SecretDecryptionFailed(
                f"{where}: none of the {len(identities)} age identities can decrypt it: it was encrypted for other "
                "recipients (add their identity) or its header was altered"
            ) from None
        raise SecretDecryptionFailed(f"{where}: the ciphertext is damaged or was altered ({exc})") from None
    try:
        return plaintext.decode("utf-8")
    except UnicodeDecodeError:
        raise SecretDecryptionFailed(f"{where}: the decrypted value is not UTF-8 text") from None


class AgeSecretResolver:
    """``secret://age/<base64 ciphertext>``: decrypted in-process with the run's age identities."""

    scheme = SCHEME

    def __init__(self, settings: AgeSettings | None = None):
        self.settings = settings or AgeSettings()
        self._identities: list[Any] | None = None

    def resolve(self, reference: str) -> str:
        if self._identities is None:
            self._identities = load_identities(self.settings)
        return decrypt(reference, self._identities)

    def close(self) -> None:
        self._identities = None
