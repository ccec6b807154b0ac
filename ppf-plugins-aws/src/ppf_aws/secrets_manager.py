"""AWS Secrets Manager references: ``secret://aws-sm/<secret id or ARN>[?stage=...|?version=...][#key]``.

::

    password = "secret://aws-sm/prod/db#password"                 # key "password" of a JSON secret
    token    = "secret://aws-sm/arn:aws:secretsmanager:eu-west-1:123456789012:secret:api-AbCdEf"
    previous = "secret://aws-sm/prod/db?stage=AWSPREVIOUS#password"   # the version before the current
    pinned   = "secret://aws-sm/prod/db?version=3f1c...#password"     # one version by its id
    keytab   = "secret://aws-sm/prod/keytab?encoding=base64"          # a binary secret as base64 text

A secret string is given as it is (or one key of it, when it holds a JSON object); a binary
secret as its UTF-8 text, or as base64 with ``?encoding=base64``.  Each secret version is
fetched once per run with boto3, however many keys and steps use it.  Region, endpoint and
credentials come from ``hooks { aws_secrets_manager { ... } }``, worded as the S3 components'
options, and otherwise from the standard AWS environment (``AWS_REGION``,
``AWS_ENDPOINT_URL_SECRETS_MANAGER`` or ``AWS_ENDPOINT_URL``, ``AWS_PROFILE``, the default
credential chain).
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs

import attrs

from pyspark_pipeline_framework.core import (
    Hook,
    HookSettings,
    InvalidSecretReference,
    PermanentSecretError,
    SecretAccessDenied,
    SecretCredentialsInvalid,
    SecretDecryptionFailed,
    SecretNotFound,
    SecretUnavailable,
    key_of,
)

from .connection import Credentials, access_issues

SCHEME = "aws-sm"

#: Error codes that say the credentials themselves are not accepted (wrong, expired, revoked).
_BAD_CREDENTIALS = {
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "ExpiredTokenException",
    "ExpiredToken",
    "IncompleteSignature",
    "AuthFailure",
    "MissingAuthenticationToken",
}
#: Error codes worth another attempt: the service is overloaded or failed on its side.
_TRANSIENT = {
    "InternalServiceError",
    "InternalFailure",
    "ServiceUnavailable",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
}


class SecretsManagerSettings(HookSettings):
    """``hooks { aws_secrets_manager { ... } }``; every key is optional."""

    #: AWS region, e.g. "eu-west-1"; default: AWS_REGION / AWS_DEFAULT_REGION / the profile's.
    region: str | None = None
    #: Endpoint URL of a Secrets Manager-compatible service (LocalStack, moto); default: AWS itself,
    #: or AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL when set.
    endpoint: str | None = None
    #: "default": the AWS default provider chain; "profile": the named `profile`; "keys": the keys below.
    credentials: Credentials = "default"
    profile: str | None = None
    #: credentials = "keys": better written as secret://env/... (or another scheme) than as the key itself.
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    #: Seconds to wait for the service (connect and read) before the attempt fails.
    timeout: float = 10.0

    def check(self) -> Iterable[tuple[str, str]]:
        return access_issues(self)


@attrs.frozen
class SecretVersion:
    """What one reference asks for: the secret, which version, which key, how to read binary."""

    secret_id: str
    stage: str | None = None
    version_id: str | None = None
    key: str | None = None
    base64: bool = False


def parse(reference: str) -> SecretVersion:
    """``"prod/db?stage=AWSPREVIOUS#password"`` -> the secret, its version and the key."""
    where = f"secret://{SCHEME}/{reference}"
    location, sep, key = reference.partition("#")
    secret_id, _, query = location.partition("?")
    if not secret_id or (sep and not key):
        raise InvalidSecretReference(f"{where}: expected secret://{SCHEME}/<secret id or ARN>[?stage=...][#key]")
    options = parse_qs(query, keep_blank_values=True, strict_parsing=False) if query else {}
    unknown = set(options) - {"stage", "version", "encoding"}
    if unknown or any(len(values) != 1 or not values[0] for values in options.values()):
        raise InvalidSecretReference(
            f"{where}: options are stage=<label>, version=<version id> and encoding=base64, each once"
            + (f" (unknown: {', '.join(sorted(unknown))})" if unknown else "")
        )
    stage, version, encoding = (options.get(name, [None])[0] for name in ("stage", "version", "encoding"))
    if stage and version:
        raise InvalidSecretReference(f"{where}: give stage or version, not both")
    if encoding not in (None, "base64"):
        raise InvalidSecretReference(f"{where}: encoding={encoding} is not supported; use encoding=base64")
    return SecretVersion(secret_id, stage, version, key or None, encoding == "base64")


class SecretsManagerResolver:
    """``secret://aws-sm/...``: a secret of AWS Secrets Manager, each version fetched once per run."""

    scheme = SCHEME

    def __init__(self, settings: SecretsManagerSettings | None = None):
        self.settings = settings or SecretsManagerSettings()
        self._client: Any = None
        self._fetched: dict[tuple[str, str | None, str | None], dict[str, Any]] = {}
        self._lock = threading.Lock()  # steps running in parallel share one resolver

    def resolve(self, reference: str) -> str:
        wanted = parse(reference)
        where = f"secret://{SCHEME}/{reference}"
        version = (wanted.secret_id, wanted.stage, wanted.version_id)
        with self._lock:
            if version not in self._fetched:
                self._fetched[version] = self._fetch(wanted, where)
            answer = self._fetched[version]
        if "SecretString" in answer and answer["SecretString"] is not None:
            text = answer["SecretString"]
        else:
            raw = answer.get("SecretBinary") or b""
            if wanted.base64:
                text = base64.b64encode(raw).decode("ascii")
            else:
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise InvalidSecretReference(
                        f"{where}: the secret is binary and not UTF-8 text; add ?encoding=base64 to get it as base64"
                    ) from None
        if wanted.key is None:
            return text
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise InvalidSecretReference(
                f"{where}: the secret is not a JSON object, so it has no keys; drop #{wanted.key} to get it whole"
            )
        return key_of(where, data, wanted.key)

    def _fetch(self, wanted: SecretVersion, where: str) -> dict[str, Any]:
        import botocore.exceptions

        request: dict[str, Any] = {"SecretId": wanted.secret_id}
        if wanted.stage:
            request["VersionStage"] = wanted.stage
        if wanted.version_id:
            request["VersionId"] = wanted.version_id
        try:
            return dict(self._connect().get_secret_value(**request))
        except botocore.exceptions.ClientError as exc:
            raise _client_error(exc, where) from None
        except (
            botocore.exceptions.NoCredentialsError,
            botocore.exceptions.PartialCredentialsError,
            botocore.exceptions.ProfileNotFound,
        ) as exc:
            raise SecretCredentialsInvalid(
                f"{where}: no usable AWS credentials ({exc}); set credentials in "
                f"hooks {{ aws_secrets_manager {{ ... }} }} or the standard AWS environment"
            ) from None
        except botocore.exceptions.NoRegionError:
            raise PermanentSecretError(
                f'{where}: no AWS region; set hooks {{ aws_secrets_manager {{ region = "eu-west-1" }} }} or AWS_REGION'
            ) from None
        except (
            botocore.exceptions.EndpointConnectionError,
            botocore.exceptions.ConnectTimeoutError,
            botocore.exceptions.ReadTimeoutError,
            botocore.exceptions.ConnectionClosedError,
        ) as exc:
            raise SecretUnavailable(f"{where}: cannot reach Secrets Manager: {type(exc).__name__}: {exc}") from None

    def _connect(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            settings = self.settings
            keys: dict[str, Any] = {}
            if settings.credentials == "keys":
                keys = {
                    "aws_access_key_id": settings.access_key_id,
                    "aws_secret_access_key": settings.secret_access_key,
                    "aws_session_token": settings.session_token,
                }
            session = boto3.session.Session(
                profile_name=settings.profile if settings.credentials == "profile" else None, **keys
            )
            # Few SDK retries: the step's own retry policy decides how patient a run is.
            config = Config(
                connect_timeout=settings.timeout,
                read_timeout=settings.timeout,
                retries={"max_attempts": 2, "mode": "standard"},
            )
            # botocore reads AWS_DEFAULT_REGION and the profile; AWS_REGION is what the other SDKs read.
            region = settings.region or os.environ.get("AWS_REGION") or None
            self._client = session.client(
                "secretsmanager", region_name=region, endpoint_url=settings.endpoint, config=config
            )
        return self._client


def _client_error(exc: Any, where: str) -> Exception:
    code, message = _code_and_message(exc.response.get("Error", {}))
    said = f"{code}: {message}"
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
    if code == "ResourceNotFoundException":
        return SecretNotFound(f"{where}: Secrets Manager has no such secret or version ({said})")
    if code in ("AccessDeniedException", "AccessDenied"):
        return SecretAccessDenied(
            f"{where}: Secrets Manager refused the read ({said}); the credentials' "
            "IAM policy must allow secretsmanager:GetSecretValue on it"
        )
    if code in _BAD_CREDENTIALS:
        return SecretCredentialsInvalid(
            f"{where}: Secrets Manager does not accept the AWS credentials ({said}); they are wrong, expired or revoked"
        )
    if code == "DecryptionFailure":
        return SecretDecryptionFailed(f"{where}: Secrets Manager cannot decrypt the secret with its KMS key ({said})")
    if code in _TRANSIENT or status >= 500:
        return SecretUnavailable(f"{where}: Secrets Manager failed ({said})")
    return PermanentSecretError(f"{where}: Secrets Manager refused the request ({said})")


def _code_and_message(error: Mapping[str, Any]) -> tuple[str, str]:
    """The error's code and message; an XML error body (from a proxy or an emulator) is read for both."""
    code = str(error.get("Code") or "Unknown")
    message = " ".join(str(error.get("Message") or "no message").split())
    if message.startswith("<"):
        found = {tag: re.search(f"<{tag}>([^<]*)</{tag}>", message) for tag in ("Code", "Message")}
        code = found["Code"].group(1) if found["Code"] else code
        message = found["Message"].group(1) if found["Message"] else "no message"
    return code, message[:500]


class SecretsManagerPlugin(Hook[SecretsManagerSettings]):
    """Provides the ``secret://aws-sm/`` scheme through the ``ppf_secret_resolvers`` hook.

    Loads by itself once installed (``autoload``) and stays idle until the pipeline holds an
    ``aws-sm`` reference; ``hooks { aws_secrets_manager { ... } }`` holds its settings.
    """

    name = "aws_secrets_manager"
    autoload = True

    def ppf_secret_resolvers(self) -> list[SecretsManagerResolver]:
        return [SecretsManagerResolver(self.settings)]
