"""Secret references in pipeline configs, and the resolvers that turn them into values.

A pipeline file names a secret instead of holding it::

    config { password = "secret://vault/kv/data/db#password" }   # ppf-plugins-vault
    config { password = "secret://env/DB_PASSWORD" }             # built in

The form is ``secret://<scheme>/<reference>``, always quoted (unquoted, HOCON would read ``//``
as the start of a comment).  References are allowed in a step's config, in ``spark.conf`` values,
in hook settings and in dead-letter sink configs.  ``ppf validate`` sees only the reference
string; the value is fetched at run time (``spark.conf`` when the session is built, hook settings
when the plugins are loaded, a step's config right before its component is built), once per run,
and kept in memory only.  Every resolved value is registered with the process's
:class:`~.masking.SecretMasker`, which masks it wherever ppf writes text.

Resolvers come from the ``ppf_secret_resolvers`` hook; the ``env`` scheme is built in.  Their
failures are :class:`SecretError` subclasses that name the reference, never a value; those that
another attempt cannot fix are also :class:`~.errors.PermanentError` (never retried).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol, runtime_checkable

import attrs

from pyspark_pipeline_framework.core.errors import PermanentError, PpfError
from pyspark_pipeline_framework.core.masking import secret_masker

PREFIX = "secret://"
_REFERENCE = re.compile(r"^secret://(?P<scheme>[a-z][a-z0-9_-]*)/(?P<reference>.+)$")
MASK = "***"


class SecretError(PpfError):
    """A secret reference could not be resolved; the message names the reference, never a value.

    Raised as such (not as a subclass) for a store that may answer later (unreachable, sealed,
    overloaded): a step's ``retry`` policy tries again.  The subclasses below are permanent.
    """


class SecretUnavailable(SecretError):
    """The secret store could not be reached or is not serving now (down, sealed, timed out); retried."""


class PermanentSecretError(SecretError, PermanentError):
    """A secret failure that another attempt cannot fix: never retried."""


class InvalidSecretReference(PermanentSecretError):
    """The reference is not written the way its scheme expects."""


class UnknownSecretScheme(PermanentSecretError):
    """No installed resolver answers the reference's scheme."""


class SecretNotFound(PermanentSecretError):
    """The store has no such secret (or no such version of it)."""


class SecretKeyNotFound(PermanentSecretError):
    """The secret exists but holds no such key; the message lists the keys it has."""


class SecretAccessDenied(PermanentSecretError):
    """The store refused: the credentials are valid but not allowed to read this secret."""


class SecretCredentialsInvalid(PermanentSecretError):
    """The store does not accept the credentials: missing, expired, revoked or wrong."""


class SecretDecryptionFailed(PermanentSecretError):
    """An encrypted value could not be decrypted: tampered or truncated, or no identity matches."""


#: Schemes of first-party resolvers that are not installed, for the "install ..." hint.
_SCHEME_DISTRIBUTIONS = {
    "vault": "ppf-plugins-vault",
    "aws-sm": "ppf-plugins-aws",
    "age": "ppf-core[age]",
    "sops": "ppf-core[sops]",
}


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
        raise InvalidSecretReference(
            f"{text!r} is not a secret reference of the form secret://<scheme>/<reference>, "
            "for example secret://env/DB_PASSWORD"
        )
    return match["scheme"], match["reference"]


def references_in(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """``(path, reference)`` for every reference inside ``value`` (attrs fields, dicts, lists)."""
    if is_reference(value):
        yield path, value
    elif attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            yield from references_in(getattr(value, field.name), f"{path}.{field.name}" if path else field.name)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from references_in(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from references_in(item, f"{path}[{index}]")


def key_of(reference: str, data: Mapping[str, Any], key: str, what: str = "the secret") -> str:
    """``data[key]`` as text, or :class:`SecretKeyNotFound` listing the keys (names, never values)."""
    if key not in data:
        raise SecretKeyNotFound(
            f"{reference}: {what} has no key {key!r} (keys: {', '.join(sorted(map(str, data))) or 'none'})"
        )
    value = data[key]
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value)
    return "" if value is None else str(value)


class EnvSecretResolver:
    """``secret://env/NAME``: the value of environment variable ``NAME``."""

    scheme = "env"

    def __init__(self, environ: Mapping[str, str] | None = None):
        self._environ = os.environ if environ is None else environ

    def resolve(self, reference: str) -> str:
        try:
            return self._environ[reference]
        except KeyError:
            raise SecretNotFound(
                f"secret://env/{reference}: environment variable {reference} is not set "
                f"(export {reference}=... before running)"
            ) from None


@attrs.define
class Secrets:
    """The secret resolvers of one run, by scheme; reachable as ``context.secrets``.

    Each reference is resolved once: its value is kept (in memory only) for the rest of the run
    and registered with the process's secret masker.
    """

    resolvers: dict[str, SecretResolver] = attrs.field(factory=dict)
    #: ``"file:line"`` of a config path, when the pipeline came from a file: a failure then names it.
    locate: Callable[[str], str | None] | None = attrs.field(default=None, eq=False, repr=False)
    _values: dict[str, Secret] = attrs.field(factory=dict, init=False, repr=False)
    _fetching: dict[str, Any] = attrs.field(factory=dict, init=False, repr=False)
    _lock: Any = attrs.field(factory=threading.RLock, init=False, repr=False)

    @classmethod
    def from_resolvers(cls, resolvers: Iterable[SecretResolver]) -> Secrets:
        secrets = cls()
        secrets.add(resolvers)
        return secrets

    @classmethod
    def from_plugins(cls, plugin_manager: Any) -> Secrets:
        """The built-in ``env`` resolver plus every resolver the hook plugins offer."""
        secrets = cls()
        secrets.add([EnvSecretResolver(), *secrets._offered_by(plugin_manager)])
        return secrets

    def add(self, resolvers: Iterable[SecretResolver]) -> None:
        """Add resolvers; two for one scheme are an error naming both."""
        for resolver in resolvers:
            other = self.resolvers.get(resolver.scheme)
            if other is not None and other is not resolver:
                raise PermanentSecretError(
                    f"secret scheme {resolver.scheme!r} is provided twice: by {type(other).__qualname__} "
                    f"and {type(resolver).__qualname__}; uninstall or disable one of them"
                )
            self.resolvers[resolver.scheme] = resolver

    def add_new_from_plugins(self, plugin_manager: Any) -> None:
        """Add the schemes that plugins registered since offer; known schemes keep their resolver."""
        self.add([r for r in self._offered_by(plugin_manager) if r.scheme not in self.resolvers])

    def _offered_by(self, plugin_manager: Any) -> list[SecretResolver]:
        answers = plugin_manager.hook.ppf_secret_resolvers()
        return [resolver for answer in answers for resolver in (answer or ())]

    def resolve(self, text: str) -> Secret:
        """The value behind one ``secret://...`` reference (fetched on first use, then remembered)."""
        with self._lock:
            known = self._values.get(text)
            # One lock per reference: parallel steps asking for it wait for one fetch, others go on.
            fetching = self._fetching.setdefault(text, threading.Lock()) if known is None else None
        if known is not None:
            return known
        assert fetching is not None
        with fetching:
            with self._lock:
                known = self._values.get(text)
            return known if known is not None else self._fetch(text)

    def _fetch(self, text: str) -> Secret:
        scheme, reference = parse_reference(text)
        resolver = self.resolvers.get(scheme)
        if resolver is None:
            installed = ", ".join(sorted(self.resolvers)) or "none"
            distribution = _SCHEME_DISTRIBUTIONS.get(scheme)
            hint = (
                f"pip install '{distribution}'"
                if distribution
                else "install the plugin that provides it (it registers the scheme through ppf_secret_resolvers)"
            )
            raise UnknownSecretScheme(
                f"{text!r}: no secret resolver for scheme {scheme!r} (installed: {installed}); {hint}"
            )
        value = Secret(resolver.resolve(reference))
        secret_masker().add(value)
        with self._lock:
            return self._values.setdefault(text, value)

    def resolve_all(self, value: Any, path: str | None = None) -> Any:
        """``value`` with every reference inside it (attrs fields, dicts, lists) replaced by its secret.

        Returns ``value`` itself when it holds no reference.  With ``path`` (the config path of
        ``value``), a failure names the config path of the reference as well.
        """
        if is_reference(value):
            if path is None:
                return self.resolve(value)
            try:
                return self.resolve(value)
            except SecretError as exc:
                raise _located(exc, path, self.locate) from None
        if attrs.has(type(value)):
            changes = {}
            for field in attrs.fields(type(value)):
                if not field.init:
                    continue
                current = getattr(value, field.name)
                resolved = self.resolve_all(current, _child_path(path, field.name))
                if resolved is not current:
                    changes[field.alias or field.name] = resolved
            return attrs.evolve(value, **changes) if changes else value
        if isinstance(value, Mapping):
            items = {key: self.resolve_all(item, _child_path(path, str(key))) for key, item in value.items()}
            return items if any(items[k] is not value[k] for k in value) else value
        if isinstance(value, (list, tuple)):
            elements = [
                self.resolve_all(item, None if path is None else f"{path}[{index}]") for index, item in enumerate(value)
            ]
            if any(new is not old for new, old in zip(elements, value, strict=True)):
                return type(value)(elements)
            return value
        return value

    def close(self) -> None:
        """The run is over: values are forgotten; resolvers with a ``close()`` (a token renewer) stop.

        Every resolver is closed even when one fails; the first failure is raised afterwards.
        """
        with self._lock:
            self._values.clear()
        failures = []
        for resolver in self.resolvers.values():
            close = getattr(resolver, "close", None)
            if callable(close):
                try:
                    close()
                except Exception as error:
                    failures.append(error)
        if failures:
            raise failures[0]


def _child_path(path: str | None, key: str) -> str | None:
    if path is None:
        return None
    return f"{path}.{key}" if path else key


def _located(error: SecretError, path: str, locate: Callable[[str], str | None] | None) -> SecretError:
    """The same error, its message led by the config path of the reference (and its file and line)."""
    where = locate(path) if locate is not None else None
    try:
        located = type(error)(f"{where + ': ' if where else ''}{path}: {error}")
    except Exception:  # a subclass with another constructor: keep it as it is
        return error
    located.__cause__ = error.__cause__
    return located
