"""Secret references in pipeline configs, and the resolvers that turn them into values.

A step's config names a secret instead of holding it::

    config { password = "secret://vault/kv/data/db#password" }   # ppf-plugins-vault
    config { password = "secret://env/DB_PASSWORD" }             # built in

The form is ``secret://<scheme>/<reference>``, always quoted (unquoted, HOCON would read ``//``
as the start of a comment).  ``ppf validate`` sees only the reference string; the value is fetched
at run time, right before the step's component is built, so nothing is contacted while a file is
validated and hooks, logs and the audit trail keep seeing the reference, never the value.

Resolvers come from the ``ppf_secret_resolvers`` hook; the ``env`` scheme is built in.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

import attrs

from pyspark_pipeline_framework.core.errors import PpfError

PREFIX = "secret://"
_REFERENCE = re.compile(r"^secret://(?P<scheme>[a-z][a-z0-9_-]*)/(?P<reference>.+)$")
MASK = "***"


class SecretError(PpfError):
    """A secret reference could not be resolved; the message names the reference, never a value."""


@runtime_checkable
class SecretResolver(Protocol):
    """Answers the references of one scheme: ``secret://<scheme>/<reference>``."""

    scheme: str

    def resolve(self, reference: str) -> str:
        """The secret's value; raise :class:`SecretError` when it cannot be had."""
        ...


class Secret(str):
    """A resolved secret value: a real ``str`` for Spark and drivers, but ``repr`` shows ``***``.

    A config printed with ``repr`` (attrs classes, log lines of objects, tracebacks) thus hides the
    value.  Pickling yields a plain ``str`` so executors need no ppf import to unpickle it.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(MASK)

    def __reduce__(self) -> tuple[Any, ...]:
        return (str, (str.__str__(self),))


def is_reference(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def parse_reference(text: str) -> tuple[str, str]:
    """``"secret://vault/kv/data/db#password"`` -> ``("vault", "kv/data/db#password")``."""
    match = _REFERENCE.match(text)
    if not match:
        raise SecretError(
            f"{text!r} is not a secret reference of the form secret://<scheme>/<reference>, "
            "for example secret://env/DB_PASSWORD"
        )
    return match["scheme"], match["reference"]


class EnvSecretResolver:
    """``secret://env/NAME``: the value of environment variable ``NAME``."""

    scheme = "env"

    def __init__(self, environ: Mapping[str, str] | None = None):
        self._environ = os.environ if environ is None else environ

    def resolve(self, reference: str) -> str:
        try:
            return self._environ[reference]
        except KeyError:
            raise SecretError(
                f"secret://env/{reference}: environment variable {reference} is not set "
                f"(export {reference}=... before running)"
            ) from None


@attrs.define
class Secrets:
    """The secret resolvers of one run, by scheme; reachable as ``context.secrets``."""

    resolvers: dict[str, SecretResolver] = attrs.field(factory=dict)

    @classmethod
    def from_resolvers(cls, resolvers: Iterable[SecretResolver]) -> Secrets:
        by_scheme: dict[str, SecretResolver] = {}
        for resolver in resolvers:
            other = by_scheme.get(resolver.scheme)
            if other is not None and other is not resolver:
                raise SecretError(
                    f"secret scheme {resolver.scheme!r} is provided twice: by {type(other).__qualname__} "
                    f"and {type(resolver).__qualname__}; uninstall or disable one of them"
                )
            by_scheme[resolver.scheme] = resolver
        return cls(by_scheme)

    @classmethod
    def from_plugins(cls, plugin_manager: Any) -> Secrets:
        """The built-in ``env`` resolver plus every resolver the hook plugins offer."""
        answers = plugin_manager.hook.ppf_secret_resolvers()
        return cls.from_resolvers([EnvSecretResolver(), *(r for answer in answers for r in answer)])

    def resolve(self, text: str) -> Secret:
        """The value behind one ``secret://...`` reference."""
        scheme, reference = parse_reference(text)
        resolver = self.resolvers.get(scheme)
        if resolver is None:
            known = ", ".join(sorted(self.resolvers)) or "none"
            raise SecretError(
                f"{text!r}: no secret resolver for scheme {scheme!r} (installed: {known}); "
                "install the plugin that provides it, e.g. ppf-plugins-vault for secret://vault/"
            )
        return Secret(resolver.resolve(reference))

    def resolve_all(self, value: Any) -> Any:
        """``value`` with every reference inside it (attrs fields, dicts, lists) replaced by its secret.

        Returns ``value`` itself when it holds no reference.
        """
        if is_reference(value):
            return self.resolve(value)
        if attrs.has(type(value)):
            changes = {}
            for field in attrs.fields(type(value)):
                if not field.init:
                    continue
                current = getattr(value, field.name)
                resolved = self.resolve_all(current)
                if resolved is not current:
                    changes[field.alias or field.name] = resolved
            return attrs.evolve(value, **changes) if changes else value
        if isinstance(value, Mapping):
            entries = {key: self.resolve_all(item) for key, item in value.items()}
            return entries if any(entries[k] is not value[k] for k in value) else value
        if isinstance(value, (list, tuple)):
            items = [self.resolve_all(item) for item in value]
            if any(new is not old for new, old in zip(items, value, strict=True)):
                return type(value)(items)
            return value
        return value
