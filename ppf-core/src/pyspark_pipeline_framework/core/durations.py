"""HOCON-style durations ("5s", "500ms", "2m") as seconds."""

from __future__ import annotations

import re

_UNITS = {
    "ms": 0.001,
    "millis": 0.001,
    "milliseconds": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "days": 86400.0,
}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$")


def parse_duration(value: object) -> float:
    """Seconds from a number (taken as seconds) or a string such as ``"5s"`` or ``"1.5 min"``."""
    if isinstance(value, bool):
        raise ValueError(f'expected a duration such as "5s", got {value!r}')
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"a duration cannot be negative, got {value!r}")
        return float(value)
    if isinstance(value, str):
        match = _PATTERN.match(value.lower())
        if match:
            number, unit = match.groups()
            if (unit or "s") in _UNITS:
                return float(number) * _UNITS[unit or "s"]
    units = ", ".join(sorted({"ms", "s", "m", "h", "d"}))
    raise ValueError(f'expected a duration such as "5s" (units: {units}), got {value!r}')
