"""A fast reader for plain HOCON: objects, lists, quoted and simple unquoted values, comments.

pyhocon's pyparsing grammar takes seconds on a pipeline of a thousand steps.  Most pipeline files
use only the plain part of HOCON, which this reader parses directly, giving exactly the mapping
pyhocon gives.  Anything else (includes, substitutions, ``+=``, value concatenation, triple-quoted
strings, escapes, durations, a syntax error...) makes :func:`read_plain_hocon` return ``None``, and
the caller reads the file with pyhocon as before: the reader never guesses at what a file means.
"""

from __future__ import annotations

import re
from typing import Any

# A key: dot-separated simple names, or one quoted name (which may hold dots).
# Quoted text holds no tab: pyparsing expands tabs to spaces before pyhocon sees the text.
_KEY = re.compile(r'[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*|"[^"\\\n\t$]+"')
_QUOTED = re.compile(r'"[^"\\\n\t]*"')
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?")
# An unquoted string that cannot be a keyword, number, duration, path expression or comment.
_UNQUOTED = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_.-]+)*")
_KEYWORDS = {"true": True, "false": False, "null": None}
# Words pyhocon reads in a way of its own (case-insensitive keywords, includes): left to pyhocon.
_SPECIAL_WORD = re.compile(r"(?i)(true|false|null|include)")
_BLANK = re.compile(r"[ \t]*")
# Whitespace, newlines, commas and comments between entries.
_SEPARATORS = re.compile(r"(?:[ \t\n,]+|(?:#|//)[^\n]*)*")
# Only blanks, then a comment or a line end, a comma, a closing bracket or the end of the text.
_VALUE_END = re.compile(r"[ \t]*(?:$|[\n,}\]]|#|//)")


class _NotPlain(Exception):
    """The text uses something beyond plain HOCON (or is malformed): pyhocon decides."""


def read_plain_hocon(text: str) -> dict[str, Any] | None:
    """The mapping pyhocon would give for ``text``, or ``None`` when the text is not plain HOCON."""
    if "\r" in text or text.startswith("\ufeff"):
        return None
    try:
        return _Reader(text).document()
    except (_NotPlain, IndexError, RecursionError):
        return None


class _Reader:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def document(self) -> dict[str, Any]:
        self._skip()
        if self.text.startswith("{", self.pos):
            self.pos += 1
            result = self._object_body("}")
        else:
            result = self._object_body("")
        self._skip()
        if self.pos != len(self.text):
            raise _NotPlain
        return result

    def _skip(self) -> None:
        self.pos = _SEPARATORS.match(self.text, self.pos).end()  # type: ignore[union-attr]  # matches empty

    def _object_body(self, closing: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        while True:
            self._skip()
            if self.pos >= len(self.text):
                if closing:
                    raise _NotPlain  # an unclosed object
                return result
            if closing and self.text[self.pos] == closing:
                self.pos += 1
                return result
            path = self._key()
            self.pos = _BLANK.match(self.text, self.pos).end()  # type: ignore[union-attr]
            char = self.text[self.pos]
            if char in "=:":
                self.pos += 1
                self.pos = _BLANK.match(self.text, self.pos).end()  # type: ignore[union-attr]
                value = self._value()
            elif char == "{":
                value = self._value()
            else:
                raise _NotPlain  # `+=`, a key on its own, a value on the next line...
            for name in reversed(path[1:]):
                value = {name: value}
            _merge_into(result, path[0], value)
            self._value_end()

    def _key(self) -> list[str]:
        match = _KEY.match(self.text, self.pos)
        if not match:
            raise _NotPlain
        self.pos = match.end()
        key = match.group()
        if key.startswith('"'):
            return [key[1:-1]]
        path = key.split(".")
        if any(_SPECIAL_WORD.fullmatch(name) for name in path):
            raise _NotPlain
        return path

    def _value(self) -> Any:
        text, pos = self.text, self.pos
        char = text[pos]
        if char == "{":
            self.pos += 1
            return self._object_body("}")
        if char == "[":
            self.pos += 1
            return self._list()
        if char == '"':
            if text.startswith('"""', pos):
                raise _NotPlain
            match = _QUOTED.match(text, pos)
            if not match:
                raise _NotPlain  # escapes or an unclosed string
            self.pos = match.end()
            return match.group()[1:-1]
        match = _NUMBER.match(text, pos)
        if match:
            self.pos = match.end()
            if _VALUE_END.match(text, self.pos) is None:
                raise _NotPlain  # a duration such as 10s, a version such as 1.2.3, an exponent...
            return float(match.group()) if match.group(1) else int(match.group())
        match = _UNQUOTED.match(text, pos)
        if not match:
            raise _NotPlain
        word = match.group()
        if word in _KEYWORDS:
            self.pos = match.end()
            return _KEYWORDS[word]
        if _SPECIAL_WORD.match(word) or text.startswith("//", match.end()):
            raise _NotPlain  # `x//y` is one unquoted string to pyhocon, not `x` and a comment
        self.pos = match.end()
        return word

    def _list(self) -> list[Any]:
        items: list[Any] = []
        while True:
            self._skip()
            if self.text[self.pos] == "]":
                self.pos += 1
                return items
            item = self._value()
            if item is None or item == "":
                raise _NotPlain  # pyhocon drops "" from lists and keeps its own null object in nested ones
            items.append(item)
            self._value_end()

    def _value_end(self) -> None:
        """A value ends at a comma, a line end, a comment or a closing bracket; anything else concatenates."""
        match = _VALUE_END.match(self.text, self.pos)
        if match is None:
            raise _NotPlain
        self.pos = _BLANK.match(self.text, self.pos).end()  # type: ignore[union-attr]


def _merge_into(target: dict[str, Any], key: str, value: Any) -> None:
    """HOCON's duplicate keys: two objects merge, key by key; otherwise the later value wins."""
    old = target.get(key)
    if isinstance(value, dict):
        if isinstance(old, dict):
            for name, item in value.items():
                _merge_into(old, name, item)
            return
        if key in target:
            raise _NotPlain  # pyhocon refuses an object after some plain values
    target[key] = value  # a replaced key keeps its place, as in pyhocon
