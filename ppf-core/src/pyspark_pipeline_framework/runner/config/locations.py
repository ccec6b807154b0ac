"""Finding the line of a config path (``pipeline.steps[2].config.path``) in HOCON source text.

pyhocon does not keep positions, so this follows the path through the text: keys by name, list
elements of ``steps`` by the step's ``name``.  It is a best effort for error messages: when it
cannot tell, the message simply has no line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

# A key, a quoted key that may hold dots (``hooks."my.pkg.Hook"``), or a list index.
_SEGMENT = re.compile(r'\.?"([^"]+)"|\.?([^.\[\]"]+)|\[(\d+)\]')


class SourceLocator:
    """Answers "which file and line holds this path?" for one loaded pipeline."""

    def __init__(self, files: Sequence[Path], step_names: Sequence[str] = ()):
        self._files = [(str(f), f.read_text(encoding="utf-8", errors="replace").splitlines()) for f in files]
        self._step_names = list(step_names)

    def locate(self, path: str) -> tuple[str | None, int | None]:
        segments = [(m.group(1) or m.group(2), m.group(3)) for m in _SEGMENT.finditer(path)]
        if not segments or segments[0][0] != "pipeline":
            return None, None
        for name, lines in self._files:
            line = self._follow(lines, segments)
            if line is not None:
                return name, line
        return (self._files[0][0], None) if self._files else (None, None)

    def _follow(self, lines: list[str], segments: list[tuple[str | None, str | None]]) -> int | None:
        cursor, limit = 0, len(lines)
        found: int | None = None
        parent_key = None
        for key, index in segments:
            if index is not None:
                if parent_key != "steps" or int(index) >= len(self._step_names):
                    return found
                # Walk the elements in order, so duplicate names still find the right one.
                name_line = search_from = cursor  # the loop runs at least once and moves both
                for position in range(int(index) + 1):
                    pattern = re.compile(
                        r'(^|[\s{,])"?name"?\s*[=:]\s*"?' + re.escape(self._step_names[position]) + r'"?\s*($|[\s,}#/])'
                    )
                    line = _search(lines, pattern, search_from, limit)
                    if line is None:
                        return found
                    name_line, search_from = line, line + 1
                # The element starts at the brace that opens it; config keys may precede `name`.
                start = name_line
                while start > cursor and "{" not in lines[start]:
                    start -= 1
                cursor, found, limit = start, name_line + 1, _block_end(lines, start, limit)
            else:
                assert key is not None  # a segment without an index is a key
                pattern = re.compile(r'(^|[\s{,])"?' + re.escape(key) + r'"?\s*([=:{\[]|\+=)')
                hit = _search(lines, pattern, cursor, limit)
                if hit is None:
                    return found  # a missing key: point at the block that should hold it
                cursor, found = hit, hit + 1
                if re.search(re.escape(key) + r'"?\s*[=:]?\s*\{', lines[hit]):
                    limit = _block_end(lines, hit, limit)
                parent_key = key
        return found


def _block_end(lines: list[str], start: int, limit: int) -> int:
    """One past the line that closes the first ``{`` opened on or after ``start``."""
    depth, opened = 0, False
    for number in range(start, limit):
        for char in re.sub(r'"(?:[^"\\]|\\.)*"', "", lines[number].split("#", 1)[0]):
            if char == "{":
                depth, opened = depth + 1, True
            elif char == "}":
                depth -= 1
                if opened and depth == 0:
                    return number + 1
    return limit


def _search(lines: list[str], pattern: re.Pattern[str], start: int, limit: int) -> int | None:
    for number in range(start, limit):
        text = lines[number].split("#", 1)[0]
        if pattern.search(text):
            return number
    return None
