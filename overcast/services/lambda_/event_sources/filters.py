"""FilterCriteria: the event-pattern language Lambda filters records with.

A pattern is a JSON object mirroring the record: a nested object descends into the record's
field of that name, and a leaf is a list of matchers, any of which may match (OR). A record
matches a filter when every field of the pattern matches (AND), and a mapping's filters are ORed.
Matchers: a literal (string, number, true/false, null), {"prefix"}, {"suffix"},
{"equals-ignore-case"}, {"anything-but": literal | [literals] | {"prefix"}}, {"numeric": [op,
value, ...]}, {"exists": bool}. A record field holding a list matches when any element does.

DynamoDB numbers arrive as strings ({"N": "12"}): a numeric matcher reads such a string as the
number it spells, so patterns on dynamodb.NewImage.x.N work.
"""

from __future__ import annotations

import json
from typing import Any

_NUMERIC_OPS = {"<", "<=", "=", ">", ">="}
_MISSING = object()


class InvalidPattern(ValueError):
    pass


def parse_pattern(text: Any) -> dict[str, Any]:
    """The pattern a Filter carries, or InvalidPattern."""
    if not isinstance(text, str) or not text:
        raise InvalidPattern(text)
    try:
        pattern = json.loads(text)
    except ValueError:
        raise InvalidPattern(text) from None
    if not isinstance(pattern, dict):
        raise InvalidPattern(text)
    _check_object(pattern)
    return pattern


def _check_object(pattern: dict[str, Any]) -> None:
    for value in pattern.values():
        if isinstance(value, dict):
            if not value:
                raise InvalidPattern(value)
            _check_object(value)
        elif isinstance(value, list):
            if not value:
                raise InvalidPattern(value)
            for matcher in value:
                _check_matcher(matcher)
        else:
            raise InvalidPattern(value)


def _check_matcher(matcher: Any) -> None:
    if matcher is None or isinstance(matcher, (str, int, float, bool)):
        return
    if not isinstance(matcher, dict) or len(matcher) != 1:
        raise InvalidPattern(matcher)
    ((kind, arg),) = matcher.items()
    if kind in ("prefix", "suffix", "equals-ignore-case"):
        if not isinstance(arg, str):
            raise InvalidPattern(matcher)
    elif kind == "exists":
        if not isinstance(arg, bool):
            raise InvalidPattern(matcher)
    elif kind == "anything-but":
        if isinstance(arg, dict):
            if set(arg) - {"prefix", "suffix", "equals-ignore-case"} or not all(isinstance(v, str) for v in arg.values()):
                raise InvalidPattern(matcher)
        elif isinstance(arg, list):
            if not arg or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in arg):
                raise InvalidPattern(matcher)
        elif not isinstance(arg, (str, int, float)) or isinstance(arg, bool):
            raise InvalidPattern(matcher)
    elif kind == "numeric":
        if not isinstance(arg, list) or not arg or len(arg) % 2 or len(arg) > 4:
            raise InvalidPattern(matcher)
        for op, value in zip(arg[::2], arg[1::2], strict=True):
            if op not in _NUMERIC_OPS or isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InvalidPattern(matcher)
    else:
        raise InvalidPattern(matcher)


def matches_any(patterns: list[dict[str, Any]], record: dict[str, Any]) -> bool:
    """Whether the record passes the mapping's filters (no filters: every record passes)."""
    return not patterns or any(_matches_object(pattern, record) for pattern in patterns)


def _matches_object(pattern: dict[str, Any], event: Any) -> bool:
    for key, expected in pattern.items():
        value = event.get(key, _MISSING) if isinstance(event, dict) else _MISSING
        if isinstance(expected, dict):
            if not isinstance(value, dict) or not _matches_object(expected, value):
                return False
        elif not _matches_leaf(expected, value):
            return False
    return True


def _matches_leaf(matchers: list[Any], value: Any) -> bool:
    for matcher in matchers:
        if isinstance(matcher, dict) and "exists" in matcher:
            present = value is not _MISSING
            if present == matcher["exists"]:
                return True
            continue
        if value is _MISSING:
            continue
        values = value if isinstance(value, list) else [value]
        if any(_matches_value(matcher, v) for v in values):
            return True
    return False


def _matches_value(matcher: Any, value: Any) -> bool:
    if not isinstance(matcher, dict):
        return _same(matcher, value)
    ((kind, arg),) = matcher.items()
    if kind == "prefix":
        return isinstance(value, str) and value.startswith(arg)
    if kind == "suffix":
        return isinstance(value, str) and value.endswith(arg)
    if kind == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == arg.lower()
    if kind == "anything-but":
        if isinstance(arg, dict):
            return not _matches_value(arg, value) if isinstance(value, str) else True
        excluded = arg if isinstance(arg, list) else [arg]
        return not any(_same(item, value) for item in excluded)
    if kind == "numeric":
        number = _as_number(value)
        if number is None:
            return False
        return all(_compare(number, op, bound) for op, bound in zip(arg[::2], arg[1::2], strict=True))
    return False


def _same(expected: Any, value: Any) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool) or expected is None or value is None:
        return expected is value or (expected == value and type(expected) is type(value))
    if isinstance(expected, (int, float)):
        number = _as_number(value) if not isinstance(value, str) else None
        return number is not None and number == expected
    return expected == value


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _compare(number: float, op: str, bound: float) -> bool:
    if op == "<":
        return number < bound
    if op == "<=":
        return number <= bound
    if op == "=":
        return number == bound
    if op == ">":
        return number > bound
    return number >= bound
