"""Reading secrets from a Vault KV version 2 engine with hvac.

A reference is ``<mount>/data/<path>#<key>`` (Vault's own API path, as ``vault kv get
-output-curl-string`` shows it) or ``<path>#<key>``, which reads from the configured mount::

    password = "secret://vault/kv/data/db#password"   # mount "kv", secret "db", key "password"
    password = "secret://vault/db#password"           # mount from hooks.vault.mount ("secret")
"""

from __future__ import annotations

import os
import threading
from typing import Any

from pyspark_pipeline_framework.core import HookSettings, SecretError


class VaultSettings(HookSettings):
    """``hooks { vault { ... } }``; every key is optional."""

    #: Vault's address; defaults to the VAULT_ADDR environment variable.
    url: str | None = None
    #: Name of the environment variable that holds the token (the token itself never goes in a file).
    token_env: str = "VAULT_TOKEN"
    #: KV v2 mount used by references without "/data/".
    mount: str = "secret"
    #: Vault Enterprise namespace, if any.
    namespace: str | None = None
    #: Seconds to wait for Vault before giving up.
    timeout: float = 10.0

    def address(self) -> str:
        url = self.url or os.environ.get("VAULT_ADDR")
        if not url:
            raise SecretError('no Vault address: set hooks { vault { url = "https://..." } } or VAULT_ADDR')
        return url

    def token(self) -> str:
        token = os.environ.get(self.token_env)
        if not token:
            raise SecretError(f"no Vault token: environment variable {self.token_env} is not set")
        return token


def split_reference(reference: str, default_mount: str) -> tuple[str, str, str]:
    """``"kv/data/db#password"`` -> ``("kv", "db", "password")``."""
    location, sep, key = reference.rpartition("#")
    if not sep or not location or not key:
        raise SecretError(
            f"secret://vault/{reference}: name the key after '#', e.g. secret://vault/kv/data/db#password"
        )
    mount, data, path = location.partition("/data/")
    if not data:
        mount, path = default_mount, location
    if not mount.strip("/") or not path.strip("/"):
        raise SecretError(f"secret://vault/{reference}: expected <mount>/data/<path>#<key> or <path>#<key>")
    return mount.strip("/"), path.strip("/"), key


class VaultSecretResolver:
    """``secret://vault/...``: one key of a KV v2 secret, read once per run and cached."""

    scheme = "vault"

    def __init__(self, settings: VaultSettings | None = None):
        self.settings = settings or VaultSettings()
        self._client: Any = None
        self._secrets: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()  # steps running in parallel share one resolver

    def resolve(self, reference: str) -> str:
        mount, path, key = split_reference(reference, self.settings.mount)
        with self._lock:
            if (mount, path) not in self._secrets:
                self._secrets[mount, path] = self._read(mount, path)
            data = self._secrets[mount, path]
        if key not in data:
            # Key names are not secret; listing them helps spot a typo.
            raise SecretError(
                f"secret://vault/{reference}: the secret {mount}/{path} has no key {key!r} "
                f"(keys: {', '.join(sorted(data)) or 'none'})"
            )
        return str(data[key])

    def _read(self, mount: str, path: str) -> dict[str, Any]:
        import hvac.exceptions
        import requests

        where = f"{mount}/data/{path} at {self.settings.address()}"
        try:
            response = self._connect().secrets.kv.v2.read_secret_version(
                path=path, mount_point=mount, raise_on_deleted_version=True
            )
        except hvac.exceptions.InvalidPath:
            raise SecretError(f"Vault has no secret {where}") from None
        except (hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized) as exc:
            raise SecretError(f"Vault refused to read {where}: {exc}; check the token's policy") from None
        except hvac.exceptions.VaultError as exc:
            raise SecretError(f"Vault failed to read {where}: {type(exc).__name__}: {exc}") from None
        except requests.RequestException as exc:
            raise SecretError(f"cannot reach Vault to read {where}: {type(exc).__name__}") from None
        return dict(response["data"]["data"] or {})

    def _connect(self) -> Any:
        if self._client is None:
            import hvac

            self._client = hvac.Client(
                url=self.settings.address(),
                token=self.settings.token(),
                namespace=self.settings.namespace,
                timeout=self.settings.timeout,
            )
        return self._client
