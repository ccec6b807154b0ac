"""The documentation of config fields: the ``#:`` comment lines above each attrs field.

``ppf components show``, ``ppf schema`` and the generated reference in the docs all read the
descriptions from here, so a field is documented once, beside its declaration.
"""

from __future__ import annotations

import inspect
import re


def field_docs(cls: type) -> dict[str, str]:
    """``#: comment`` lines above a field, the attrs/Sphinx convention; a subclass's comment wins."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        pending: list[str] = []
        for line in source.splitlines():
            stripped = line.strip()
            if stripped.startswith("#:"):
                pending.append(stripped[2:].strip())
                continue
            match = re.match(r"(\w+)\s*:", stripped)
            if match and pending:
                docs[match.group(1)] = " ".join(pending)
            pending = []
    return docs
