"""Values as the query language sees them: numbers, strings, booleans and timestamps, and how a
result gives them back (every value a string; timestamps as "2024-05-01 12:00:00.000" in UTC)."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any


class Timestamp(int):
    """Milliseconds since the epoch that print as a date: @timestamp, @ingestionTime, bin()."""


def to_number(value: Any) -> float | int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def to_text(value: Any) -> str:
    if isinstance(value, Timestamp):
        moment = dt.datetime.fromtimestamp(int(value) / 1000, dt.UTC)
        return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{int(value) % 1000:03d}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    return str(value)


_NUMBER_VALUE = re.compile(r"-?\d+(?:\.\d+)?")
_CHUNKS = re.compile(r"\d+|\D+")


def sort_key(value: Any) -> tuple[Any, ...] | None:
    """The sort page's natural order, ascending: every non-number before every number; a
    non-number compared chunk by chunk (runs of digits and of other characters), other
    characters by Unicode, runs of digits by length and then value; numbers by value.

    A run of digits meets a run of other characters at their first characters, and no
    character lies between '0' and '9' in Unicode, so "0" stands for every digit there."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (1, value, "")
    text = to_text(value)
    if _NUMBER_VALUE.fullmatch(text):
        return (1, float(text), text)
    return (0, tuple(("0", len(chunk), int(chunk)) if chunk[0].isdigit() else (chunk, 0, 0)
                     for chunk in _CHUNKS.findall(text)))
