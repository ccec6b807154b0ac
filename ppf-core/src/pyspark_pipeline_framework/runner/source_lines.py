"""Finding the line of a config path (``pipeline.steps[2].config.path``) in HOCON source text.

pyhocon does not keep positions, so this follows the path through the text: keys by name, list
elements of ``steps`` by the step's ``name``.  It is a best effort for error messages: when it
cannot tell, the message simply has no line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

_SEGMENT = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


class SourceLocator:
    """Answers "which file and line holds this path?" for one loaded pipeline."""

    def __init__(self, files: Sequence[Path], step_names: Sequence[str] = ()):
        self._files = [(str(f), f.read_text(encoding="utf-8", errors="replace").splitlines()) for f in files]
        self._step_names = list(step_names)

    def locate(self, path: str) -> tuple[str | None, int | None]:
        segments = [(m.group(1), m.group(2)) for m in _SEGMENT.finditer(path)]
        if not segments or segments[0][0] != "pipeline":
            return None, None
        for name, lines in self._files:
            line = self._follow(lines, segments)
            if line is not None:
                return name, line
        return (self._files[0][0], None) if self._files else (None, None)

    def _follow(self, lines: list[str], segments: list[tuple[str | None, str | None]]) -> int | None:
        cursor = 0
        found: int | None = None
        parent_key = None
        for key, index in segments:
            if index is not None:
                if parent_key != "steps" or int(index) >= len(self._step_names):
                    return found
                pattern = re.compile(r'(^|[\s{,])"?name"?\s*[=:]\s*"?' + re.escape(self._step_names[int(index)]) + r'"?\s*($|[\s,}#/])')
                hit = _search(lines, pattern, cursor)
                if hit is None:
                    return found
                # The element starts at the brace that opens it; config keys may precede `name`.
                start = hit
                while start > cursor and "{" not in lines[start]:
                    start -= 1
                cursor, found = start, hit + 1
            else:
                pattern = re.compile(r'(^|[\s{,])"?' + re.escape(key) + r'"?\s*([=:{\[]|\+=)')
                hit = _search(lines, pattern, cursor)
                if hit is None:
                    return found  # a missing key: point at the block that should hold it
                cursor, found = hit, hit + 1
                parent_key = key
        return found


def _search(lines: list[str], pattern: re.Pattern[str], start: int) -> int | None:
    for number in range(start, len(lines)):
        text = lines[number].split("#", 1)[0]
        if pattern.search(text):
            return number
    return None
