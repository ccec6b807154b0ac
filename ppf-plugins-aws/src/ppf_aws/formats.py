"""File formats Spark reads and writes, checked before the JVM starts."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

#: Spark's built-in formats plus common packaged ones; a dotted class name is always accepted.
KNOWN_FORMATS = ("parquet", "csv", "json", "orc", "text", "avro", "xml", "binaryFile", "delta")


def check_format(name: str) -> Iterable[tuple[str, str]]:
    if "." in name or name.lower() in {f.lower() for f in KNOWN_FORMATS}:
        return
    close = difflib.get_close_matches(name.lower(), KNOWN_FORMATS, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    yield (
        "format",
        (
            f"unknown format {name!r}; {hint}known: {', '.join(KNOWN_FORMATS)} "
            "(or a data source class name such as 'com.example.MyFormat')"
        ),
    )
