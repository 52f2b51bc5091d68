"""The scalar functions of the query language (the "Boolean, comparison, numeric, datetime, and
other functions" page): string, numeric, datetime and general ones. Each takes the evaluated
arguments; a missing or unusable argument gives no value (None), as Insights leaves the field
out of the row."""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from overcast.services.logs.insights.values import Timestamp, to_number, to_text

# Period units of bin() and datefloor() (the stats page): fixed lengths in milliseconds; months,
# quarters and years are calendar periods, floored on the calendar.
_UNIT_MS = {"ms": 1, "msec": 1, "millisecond": 1, "s": 1000, "sec": 1000, "second": 1000, "m": 60_000,
            "min": 60_000, "minute": 60_000, "h": 3_600_000, "hr": 3_600_000, "hour": 3_600_000,
            "d": 86_400_000, "day": 86_400_000, "w": 604_800_000, "week": 604_800_000}
_UNIT_MONTHS = {"mo": 1, "mon": 1, "month": 1, "q": 3, "qtr": 3, "quarter": 3, "y": 12, "yr": 12, "year": 12}


def period_unit(unit: str) -> str | None:
    """The canonical unit for a written one ("hrs", "mins" ...), or None if it is no unit."""
    for candidate in (unit, unit[:-1] if unit.endswith("s") and len(unit) > 1 else unit):
        if candidate in _UNIT_MS or candidate in _UNIT_MONTHS:
            return candidate
    return None


def floor_time(ms: int, amount: float, unit: str) -> Timestamp:
    if unit in _UNIT_MS:
        size = max(1, int(amount * _UNIT_MS[unit]))
        return Timestamp(ms - ms % size)
    months = max(1, int(amount) * _UNIT_MONTHS[unit])
    moment = dt.datetime.fromtimestamp(ms / 1000, dt.UTC)
    index = moment.year * 12 + moment.month - 1
    return _month_start(index - index % months)


def _month_start(index: int) -> Timestamp:
    """The first millisecond of a month counted from year 0 (index = year * 12 + month - 1)."""
    start = dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=dt.UTC)
    return Timestamp(calendar.timegm(start.timetuple()) * 1000)


def _text(args: list[Any], i: int) -> str | None:
    return None if i >= len(args) or args[i] is None else to_text(args[i])


def _strings(fn: Callable[[str], Any]) -> Callable[[list[Any]], Any]:
    def call(args: list[Any]) -> Any:
        text = _text(args, 0)
        return None if text is None else fn(text)
    return call


def _numbers(fn: Callable[..., Any]) -> Callable[[list[Any]], Any]:
    def call(args: list[Any]) -> Any:
        numbers = [to_number(a) for a in args]
        if any(n is None for n in numbers):
            return None
        try:
            return fn(*numbers)
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):  # TypeError: too few or many
            return None
    return call


def _substr(args: list[Any]) -> Any:
    text, start = _text(args, 0), to_number(args[1]) if len(args) > 1 else None
    if text is None or start is None:
        return None
    begin = max(0, int(start))
    if len(args) > 2:
        length = to_number(args[2])
        return None if length is None else text[begin:begin + max(0, int(length))]
    return text[begin:]


def _replace(args: list[Any]) -> Any:
    text, old, new = _text(args, 0), _text(args, 1), _text(args, 2)
    if text is None or old is None or new is None:
        return None
    return text.replace(old, new)


def _trim(strip: str) -> Callable[[list[Any]], Any]:
    def call(args: list[Any]) -> Any:
        text = _text(args, 0)
        if text is None:
            return None
        chars = _text(args, 1)
        return getattr(text, strip)(chars) if chars is not None else getattr(text, strip)()
    return call


def _concat(args: list[Any]) -> Any:
    return "".join(to_text(a) for a in args if a is not None)


def _coalesce(args: list[Any]) -> Any:
    return next((a for a in args if a is not None), None)


def _if(args: list[Any]) -> Any:
    if len(args) < 2:
        return None
    return args[1] if args[0] is True else (args[2] if len(args) > 2 else None)


def _extreme(pick: Callable[..., Any]) -> Callable[[list[Any]], Any]:
    def call(args: list[Any]) -> Any:
        numbers = [n for n in (to_number(a) for a in args) if n is not None]
        return pick(numbers) if numbers else None
    return call


def _datefloor(args: list[Any]) -> Any:
    ms, period = to_number(args[0]) if args else None, args[1] if len(args) > 1 else None
    if ms is None or not isinstance(period, tuple):
        return None
    return floor_time(int(ms), *period)


def _dateceil(args: list[Any]) -> Any:
    """The period's end: the floor, plus one period unless the time is already on a boundary."""
    ms, period = to_number(args[0]) if args else None, args[1] if len(args) > 1 else None
    if ms is None or not isinstance(period, tuple):
        return None
    floor = floor_time(int(ms), *period)
    if floor == int(ms):
        return floor
    amount, unit = period
    if unit in _UNIT_MS:
        return Timestamp(floor + max(1, int(amount * _UNIT_MS[unit])))
    moment = dt.datetime.fromtimestamp(floor / 1000, dt.UTC)
    index = moment.year * 12 + moment.month - 1 + max(1, int(amount) * _UNIT_MONTHS[unit])
    return _month_start(index)


def _from_millis(args: list[Any]) -> Any:
    ms = to_number(args[0]) if args else None
    return None if ms is None else Timestamp(int(ms))


def _to_millis(args: list[Any]) -> Any:
    return int(args[0]) if args and isinstance(args[0], Timestamp) else to_number(args[0]) if args else None


def _round(args: list[Any]) -> Any:
    number = to_number(args[0]) if args else None
    if number is None:
        return None
    digits = to_number(args[1]) if len(args) > 1 else 0
    rounded = round(float(number), int(digits or 0))
    return int(rounded) if not digits else rounded


SCALAR: dict[str, Callable[[list[Any]], Any]] = {
    "strlen": _strings(len),
    "toupper": _strings(str.upper),
    "tolower": _strings(str.lower),
    "trim": _trim("strip"),
    "ltrim": _trim("lstrip"),
    "rtrim": _trim("rstrip"),
    "substr": _substr,
    "replace": _replace,
    "concat": _concat,
    "strcontains": lambda args: None if _text(args, 0) is None or _text(args, 1) is None
    else int(str(_text(args, 1)) in str(_text(args, 0))),
    "ispresent": lambda args: bool(args) and args[0] is not None,
    "isempty": lambda args: not args or args[0] is None or to_text(args[0]) == "",
    "isblank": lambda args: not args or args[0] is None or to_text(args[0]).strip() == "",
    "coalesce": _coalesce,
    "if": _if,
    "abs": _numbers(abs),
    "ceil": _numbers(lambda n: math.ceil(n)),
    "floor": _numbers(lambda n: math.floor(n)),
    "round": _round,
    "sqrt": _numbers(math.sqrt),
    "log": _numbers(math.log),
    "pow": _numbers(lambda a, b: a ** b),
    "greatest": _extreme(max),
    "least": _extreme(min),
    "datefloor": _datefloor,
    "dateceil": _dateceil,
    "fromMillis": _from_millis,
    "toMillis": _to_millis,
}
# bin(period) is datefloor(@timestamp, period); the parser rewrites it so.
