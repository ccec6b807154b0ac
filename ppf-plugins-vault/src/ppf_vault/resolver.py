"""Reading secrets from Vault (or OpenBao) KV engines, version 1 and 2, with hvac.

A reference is Vault's own API path of the secret and a key::

    password = "secret://vault/kv/data/db#password"   # KV v2 mount "kv", secret "db", key "password"
    password = "secret://vault/db#password"           # the configured mount (hooks.vault.mount, "secret")
    password = "secret://vault/legacy/db#password"    # KV v1 mount "legacy" (listed in hooks.vault.kv1_mounts)

The token comes from an environment variable, or from an AppRole login whose role id and secret
id are themselves references (resolved before the plugin is built).  A renewable token is renewed
in the background while the run lasts, so a secret read late in a long run still succeeds.
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any, Literal

import attrs

from pyspark_pipeline_framework.core import (
    HookSettings,
    InvalidSecretReference,
    PermanentSecretError,
    SecretAccessDenied,
    SecretCredentialsInvalid,
    SecretNotFound,
    SecretUnavailable,
    key_of,
)


@attrs.frozen
class AppRoleSettings:
    """``hooks { vault { approle { ... } } }``: log in with AppRole instead of a token."""

    #: The role id; a reference (secret://env/VAULT_ROLE_ID) or the id itself.
    role_id: str
    #: The secret id: write a reference (secret://env/VAULT_SECRET_ID), never the id itself.
    secret_id: str
    #: Where the AppRole auth method is mounted.
    mount: str = "approle"


class VaultSettings(HookSettings):
    """``hooks { vault { ... } }``; every key is optional."""

    #: Vault's address; defaults to the VAULT_ADDR environment variable.
    url: str | None = None
    #: Name of the environment variable that holds the token (the token itself never goes in a file).
    token_env: str = "VAULT_TOKEN"
    #: Log in with AppRole instead of a token.
    approle: AppRoleSettings | None = None
    #: The KV mount of references written <path>#<key>.
    mount: str = "secret"
    #: KV version (1 or 2) of that mount.
    kv_version: Literal[1, 2] = 2
    #: Further KV version 1 mounts, read as secret://vault/<mount>/<path>#<key>.
    kv1_mounts: list[str] = attrs.field(factory=list)
    #: Vault namespace (Vault Enterprise, OpenBao); defaults to VAULT_NAMESPACE.
    namespace: str | None = None
    #: A PEM file of the CA that signed Vault's certificate; defaults to VAULT_CACERT.
    ca_cert: str | None = None
    #: Check Vault's TLS certificate (switch off only for a throw-away test server).
    verify: bool = True
    #: A client certificate and its key (PEM files), for Vault listeners that require one.
    client_cert: str | None = None
    client_key: str | None = None
    #: Seconds to wait for Vault before giving up.
    timeout: float = 10.0
    #: Renew a renewable token in the background while the run lasts.
    renew: bool = True

    def address(self) -> str:
        url = self.url or os.environ.get("VAULT_ADDR")
        if not url:
            raise PermanentSecretError('no Vault address: set hooks { vault { url = "https://..." } } or VAULT_ADDR')
        return url

    def token(self) -> str:
        token = os.environ.get(self.token_env)
        if not token:
            raise SecretCredentialsInvalid(
                f"no Vault token: environment variable {self.token_env} is not set "
                "(or log in with hooks { vault { approle { role_id = ..., secret_id = ... } } })"
            )
        return token

    def tls_verify(self) -> bool | str:
        if not self.verify:
            return False
        return self.ca_cert or os.environ.get("VAULT_CACERT") or True


@attrs.frozen
class SecretPath:
    """Where one reference points: the mount, the KV version, the secret's path and the key."""

    mount: str
    version: int
    path: str
    key: str

    def api_path(self) -> str:
        return f"{self.mount}/data/{self.path}" if self.version == 2 else f"{self.mount}/{self.path}"


def split_reference(reference: str, settings: VaultSettings) -> SecretPath:
    """``"kv/data/db#password"`` -> mount ``kv``, KV v2, secret ``db``, key ``password``."""
    location, sep, key = reference.rpartition("#")
    if not sep or not location or not key:
        raise InvalidSecretReference(
            f"secret://vault/{reference}: name the key after '#', e.g. secret://vault/kv/data/db#password"
        )
    location = location.strip("/")
    mount, data, path = location.partition("/data/")
    if data:
        version = 2
    else:
        first, _, rest = location.partition("/")
        if first in settings.kv1_mounts and rest:
            mount, version, path = first, 1, rest
        else:
            mount, version, path = settings.mount, settings.kv_version, location
    mount, path = mount.strip("/"), path.strip("/")
    if not mount or not path:
        raise InvalidSecretReference(
            f"secret://vault/{reference}: expected <mount>/data/<path>#<key>, <kv1 mount>/<path>#<key> or <path>#<key>"
        )
    return SecretPath(mount, version, path, key)


def vault_message(error: BaseException) -> str:
    """What Vault said, on one line: hvac's ``1 error occurred:\\n\\t* ...`` lists and URLs removed."""
    errors = getattr(error, "errors", None)
    texts = [str(e) for e in errors] if isinstance(errors, (list, tuple)) and errors else [str(error)]
    parts: list[str] = []
    for text in texts:
        text = re.sub(r", on (get|post|put|list|delete) \S+$", "", text.strip(), flags=re.I)
        text = re.sub(r"^\d+ errors? occurred:", "", text.strip())
        parts += [p.strip() for p in re.split(r"\n\s*\*\s*|\n", text) if p.strip()]
    return "; ".join(dict.fromkeys(parts)) or type(error).__name__


class VaultSecretResolver:
    """``secret://vault/...``: one key of a KV secret, read once per run and cached."""

    scheme = "vault"

    def __init__(self, settings: VaultSettings | None = None):
        self.settings = settings or VaultSettings()
        self._client: Any = None
        self._secrets: dict[str, dict[str, Any]] = {}
        self._lock = threading.RLock()  # steps running in parallel share one resolver; the renewer too
        self._renewer: TokenRenewer | None = None

    def resolve(self, reference: str) -> str:
        where = split_reference(reference, self.settings)
        with self._lock:
            if where.api_path() not in self._secrets:
                self._secrets[where.api_path()] = self._read(where, reference)
            data = self._secrets[where.api_path()]
        return key_of(f"secret://vault/{reference}", data, where.key, f"the secret {where.api_path()}")

    def close(self) -> None:
        """Stop renewing the token (the run is over)."""
        if self._renewer is not None:
            self._renewer.stop()
            self._renewer = None

    # -- reading -------------------------------------------------------------------------------
    def _read(self, where: SecretPath, reference: str, *, logged_in_again: bool = False) -> dict[str, Any]:
        import hvac.exceptions

        ref = f"secret://vault/{reference}"
        try:
            client = self._connect(ref)
            if where.version == 2:
                response = client.secrets.kv.v2.read_secret_version(
                    path=where.path, mount_point=where.mount, raise_on_deleted_version=True
                )
                return dict(response["data"]["data"] or {})
            response = client.secrets.kv.v1.read_secret(path=where.path, mount_point=where.mount)
            return dict(response["data"] or {})
        except hvac.exceptions.InvalidPath:
            raise SecretNotFound(
                f"{ref}: Vault has no secret {where.api_path()} at {self.settings.address()}" + self._namespace_note()
            ) from None
        except hvac.exceptions.Forbidden as exc:
            if self._token_is_valid():
                raise SecretAccessDenied(
                    f"{ref}: Vault refused to read {where.api_path()} ({vault_message(exc)}); "
                    "the token's policies must allow read on it"
                ) from None
            if self.settings.approle is not None and not logged_in_again:
                self._forget_client()  # the AppRole token expired: log in again once
                return self._read(where, reference, logged_in_again=True)
            raise SecretCredentialsInvalid(
                f"{ref}: Vault does not accept the token: it is expired, revoked or wrong ({vault_message(exc)})"
            ) from None
        except Exception as exc:
            raise self._failure(exc, ref, f"read {where.api_path()}") from None

    def _failure(self, exc: Exception, ref: str, action: str) -> Exception:
        """A :class:`SecretError` for any other failure: transient when Vault may answer later."""
        import hvac.exceptions
        import requests

        if isinstance(exc, (PermanentSecretError, SecretUnavailable)):
            return exc
        at = self.settings.address()
        if isinstance(exc, hvac.exceptions.Unauthorized):
            return SecretCredentialsInvalid(f"{ref}: Vault does not accept the credentials ({vault_message(exc)})")
        if isinstance(exc, hvac.exceptions.VaultDown):
            return SecretUnavailable(
                f"{ref}: Vault at {at} is sealed or down ({vault_message(exc)}); unseal it, then run again"
            )
        if isinstance(
            exc,
            (
                hvac.exceptions.InternalServerError,
                hvac.exceptions.BadGateway,
                hvac.exceptions.RateLimitExceeded,
                hvac.exceptions.PreconditionFailed,
                hvac.exceptions.UnexpectedError,
            ),
        ):
            return SecretUnavailable(
                f"{ref}: Vault at {at} failed to {action} ({type(exc).__name__}: {vault_message(exc)})"
            )
        if isinstance(exc, hvac.exceptions.VaultError):
            return PermanentSecretError(
                f"{ref}: Vault refused to {action} ({type(exc).__name__}: {vault_message(exc)})"
            )
        if isinstance(exc, requests.exceptions.SSLError):
            return PermanentSecretError(
                f"{ref}: the TLS connection to Vault at {at} failed: its certificate is not trusted or does not "
                'match; set hooks { vault { ca_cert = "/path/to/ca.pem" } } (or VAULT_CACERT)'
            )
        if isinstance(exc, requests.exceptions.Timeout):
            return SecretUnavailable(f"{ref}: Vault at {at} did not answer within {self.settings.timeout:g} s")
        if isinstance(exc, requests.exceptions.RequestException):
            return SecretUnavailable(f"{ref}: cannot reach Vault at {at} ({type(exc).__name__})")
        return exc

    def _namespace_note(self) -> str:
        namespace = self._namespace()
        return f" in namespace {namespace}" if namespace else ""

    def _namespace(self) -> str | None:
        return self.settings.namespace or os.environ.get("VAULT_NAMESPACE") or None

    def _token_is_valid(self) -> bool:
        import hvac.exceptions

        try:
            self._client.auth.token.lookup_self()
            return True
        except (hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized):
            return False

    # -- connecting ----------------------------------------------------------------------------
    def _connect(self, ref: str) -> Any:
        if self._client is not None:
            return self._client
        import hvac
        import hvac.exceptions

        settings = self.settings
        cert = (settings.client_cert, settings.client_key) if settings.client_cert else None
        client = hvac.Client(
            url=settings.address(),
            namespace=self._namespace(),
            timeout=settings.timeout,
            verify=settings.tls_verify(),
            cert=cert,
        )
        if settings.approle is not None:
            try:
                answer = client.auth.approle.login(
                    role_id=settings.approle.role_id,
                    secret_id=settings.approle.secret_id,
                    mount_point=settings.approle.mount,
                )
            except (hvac.exceptions.InvalidRequest, hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized) as exc:
                raise SecretCredentialsInvalid(
                    f"{ref}: Vault refused the AppRole login at auth/{settings.approle.mount} "
                    f"({vault_message(exc)}); check the role id and secret id"
                ) from None
            except hvac.exceptions.InvalidPath:
                raise PermanentSecretError(
                    f"{ref}: Vault has no AppRole auth method at auth/{settings.approle.mount}"
                ) from None
            auth = answer["auth"]
            ttl, renewable = int(auth.get("lease_duration") or 0), bool(auth.get("renewable"))
        else:
            client.token = settings.token()
            ttl, renewable = 0, False
            if settings.renew:
                try:
                    data = client.auth.token.lookup_self()["data"]
                    ttl, renewable = int(data.get("ttl") or 0), bool(data.get("renewable"))
                except (hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized):
                    pass  # the read below reports the token as not accepted
        self._client = client
        if settings.renew and renewable and ttl > 0:
            self._renewer = TokenRenewer(client, ttl, self._lock)
        return client

    def _forget_client(self) -> None:
        self.close()
        self._client = None


class TokenRenewer:
    """Renews a renewable token at two thirds of its TTL until stopped (a daemon thread).

    A renewal that fails is not retried: the next read then meets the expired token and reports it
    (an AppRole resolver logs in again).
    """

    def __init__(self, client: Any, ttl: int, lock: Any):
        self._client = client
        self._ttl = ttl
        self._lock = lock
        self._stopped = threading.Event()
        self.renewals = 0
        self._thread = threading.Thread(target=self._run, name="ppf-vault-renew", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.wait(max(self._ttl * 2 / 3, 0.5)):
            try:
                with self._lock:
                    answer = self._client.auth.token.renew_self()
            except Exception:
                return
            ttl = int(answer.get("auth", {}).get("lease_duration") or 0)
            self.renewals += 1
            if ttl <= 0 or not answer.get("auth", {}).get("renewable", True):
                return
            self._ttl = ttl

    def stop(self) -> None:
        self._stopped.set()
