"""Masking resolved secret values in every text ppf writes: logs, errors, the ledger, audit records.

:class:`~.secrets.Secrets` registers each value it resolves with the process's masker; whatever
ppf writes passes through :meth:`SecretMasker.mask` first: the structlog processor and the
standard-library logging filter (:func:`mask_log_event`, :class:`MaskingFilter`), the error
strings of step results (what hooks, the ledger, the audit log and lineage see), the ledger
writer, the audit sinks, and the tracebacks Python prints for an uncaught exception
(:func:`masked_traceback`, :func:`install_masking_excepthooks`).  A value is masked in the forms in which it usually leaks: as
written, URL-encoded (``quote`` and ``quote_plus``), JSON-escaped, base64 (standard and
URL-safe, with and without padding) and hex (either case).  Values shorter than
:data:`MIN_LENGTH` are not masked: masking ``"1"`` everywhere would garble every number.

One masker per process, like the logging configuration it plugs into: a value registered by one
run stays masked in later runs of the same process, which costs nothing and leaks nothing.
"""

from __future__ import annotations

import base64
import json
import re
import sys
import threading
import traceback
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any
from urllib.parse import quote, quote_plus

from pyspark_pipeline_framework.core.errors import error_text

MASK = "***"
MIN_LENGTH = 4


def encoded_forms(value: str) -> set[str]:
    """``value`` as written and in the encodings it commonly leaks in."""
    raw = value.encode("utf-8")
    b64 = base64.b64encode(raw).decode()
    urlsafe = base64.urlsafe_b64encode(raw).decode()
    forms = {
        value,
        quote(value, safe=""),
        quote_plus(value),
        json.dumps(value)[1:-1],
        b64,
        b64.rstrip("="),
        urlsafe,
        urlsafe.rstrip("="),
        raw.hex(),
        raw.hex().upper(),
    }
    return {form for form in forms if len(form) >= MIN_LENGTH}


class SecretMasker:
    """Replaces every registered secret value (and its encoded forms) by ``***`` in text."""

    def __init__(self) -> None:
        self._forms: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, value: str) -> None:
        """Mask ``value`` from now on (values shorter than :data:`MIN_LENGTH` are ignored)."""
        if not isinstance(value, str) or len(value) < MIN_LENGTH:
            return
        new = encoded_forms(str.__str__(value)) - self._forms
        if not new:
            return
        with self._lock:
            self._forms |= new
            # Longest first, so a value is masked whole rather than around a shorter one inside it.
            alternatives = sorted(self._forms, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, alternatives)))

    def __bool__(self) -> bool:
        return self._pattern is not None

    def mask(self, text: str) -> str:
        """``text`` with every registered value replaced by ``***``."""
        pattern = self._pattern
        if pattern is None or not isinstance(text, str):
            return text
        return pattern.sub(MASK, text)

    def mask_all(self, value: Any) -> Any:
        """A copy of ``value`` (strings, dicts, lists, tuples) with every string masked."""
        if self._pattern is None:
            return value
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, Mapping):
            return {key: self.mask_all(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.mask_all(item) for item in value)
        return value

    def mask_error(self, error: BaseException) -> str:
        """``"ErrorType: message"`` of an exception, masked; never raises."""
        return self.mask(error_text(error))

    def forget(self, values: Iterable[str] = ()) -> None:
        """Stop masking ``values`` (tests); with none given, forget all."""
        with self._lock:
            self._forms = self._forms - {f for v in values for f in encoded_forms(v)} if values else set()
            alternatives = sorted(self._forms, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, alternatives))) if alternatives else None


_MASKER = SecretMasker()


def secret_masker() -> SecretMasker:
    """The process's masker."""
    return _MASKER


def mask_log_event(logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask secret values in every field, after exceptions are formatted."""
    if not _MASKER:
        return event_dict
    return {
        key: _MASKER.mask_all(value)
        if isinstance(value, (str, Mapping, list, tuple))
        else _MASKER.mask(str(value))
        if isinstance(value, BaseException)
        else value
        for key, value in event_dict.items()
    }


class MaskingFilter:
    """logging filter: masks secret values in a record's message and formatted exception."""

    def filter(self, record: Any) -> bool:
        if _MASKER:
            record.msg = _MASKER.mask(record.getMessage())
            record.args = None
            if record.exc_info:
                record.exc_text = _MASKER.mask("".join(traceback.format_exception(*record.exc_info)))
                record.exc_info = None
        return True


def masked_traceback(error: BaseException) -> str:
    """The traceback Python would print for ``error`` (chained exceptions included), masked."""
    return _MASKER.mask("".join(traceback.format_exception(error)))


def install_masking_excepthooks() -> None:
    """Tracebacks of uncaught exceptions, in the main thread and in others, printed masked.

    The command line installs them: an exception nobody caught may quote a resolved value.
    """

    def main_thread(exc_type: type[BaseException], error: BaseException, tb: Any) -> None:
        sys.stderr.write(_MASKER.mask("".join(traceback.format_exception(exc_type, error, tb))))

    def other_thread(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else threading.get_ident()
        text = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
        sys.stderr.write(f"Exception in thread {name}:\n{_MASKER.mask(text)}")

    sys.excepthook = main_thread
    threading.excepthook = other_thread
