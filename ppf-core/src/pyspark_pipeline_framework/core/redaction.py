"""What a configuration looks like to observers (audit trail, lineage): no secret values in it.

Secret references (``secret://env/DB_PASSWORD``) stay as they are: they name a secret, they are
not one.  Resolved :class:`~.secrets.Secret` values, and literal values under keys whose name
says they are sensitive (``password``, ``token``, ``secret_access_key``, Spark's
``spark.hadoop.fs.s3a.secret.key``...), become ``***``.  The fingerprint hashes that redacted
form, so it is stable across runs, changes when the configuration does, and reveals nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

import attrs

from pyspark_pipeline_framework.core.secrets import MASK, Secret, is_reference

#: Key names whose literal values are masked: the usual words for credentials, in any case,
#: also as parts of longer names (``db_password``, ``fs.s3a.secret.key``, ``apiKey``).
SENSITIVE_KEY = re.compile(
    r"pass(word|wd|phrase)?($|[^a-z])|secret|token|credential|private[._-]?key|api[._-]?key|access[._-]?key"
    r"|session[._-]?key|auth",
    re.IGNORECASE,
)


def is_sensitive_key(key: object) -> bool:
    return isinstance(key, str) and bool(SENSITIVE_KEY.search(key))


def redact(value: Any, key: str | None = None) -> Any:
    """A JSON-ready copy of ``value`` with secret values masked and references kept."""
    if attrs.has(type(value)):
        return redact(attrs.asdict(value, recurse=False), key)
    if isinstance(value, Mapping):
        return {str(k): redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [redact(item, key) for item in value]
    if isinstance(value, Secret):
        return MASK
    if is_reference(value):
        return value
    if key is not None and is_sensitive_key(key) and value not in (None, "", True, False):
        return MASK
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def fingerprint(redacted_config: Any) -> str:
    """``sha256:<hex>`` of the canonical JSON of a redacted configuration."""
    canonical = json.dumps(redacted_config, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
