"""Text values of REST requests (URI labels, query values, headers) read into Python values."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from overcast.protocol.model import Shape
from overcast.protocol.values import parse_timestamp

# -- timestamps -------------------------------------------------------------------------------


def timestamp_from_number(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


# -- scalar decoding from URI, query and headers ---------------------------------------------


class BadValue(Exception):
    """A text value that does not fit its shape (the parser turns it into its protocol's error)."""


def _decode_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise BadValue(text)


def _decode_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise BadValue(text) from None


def _decode_float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise BadValue(text) from None


def _decode_timestamp(text: str) -> datetime:
    try:
        return parse_timestamp(text)
    except (ValueError, TypeError, OverflowError, IndexError):
        raise BadValue(text) from None


def _decode_blob(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadValue(text) from None


def _decode_json_value(text: str) -> Any:
    try:
        return json.loads(base64.b64decode(text))
    except (binascii.Error, ValueError):
        raise BadValue(text) from None


def keep_text(text: str) -> str:
    """The decoder of string members: the text itself (parsers test for it and skip the call)."""
    return text


def split_header_list(text: str) -> list[str]:
    """A comma-separated header list; items may be double-quoted with \\-escapes (RFC 7230)."""
    if '"' not in text:
        return [item.strip() for item in text.split(",")]
    items: list[str] = []
    i, n = 0, len(text)
    while i <= n:
        while i < n and text[i] == " ":
            i += 1
        if i < n and text[i] == '"':
            i += 1
            chars = []
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(text[i])
                i += 1
            items.append("".join(chars))
            i = text.find(",", i)
            if i < 0:
                break
            i += 1
        else:
            end = text.find(",", i)
            if end < 0:
                items.append(text[i:].strip())
                break
            items.append(text[i:end].strip())
            i = end + 1
    return items


def text_decoder(shape: Shape, location: str | None = None) -> Callable[[str], Any]:
    """How one text value (URI label, query value, header) becomes the shape's Python value."""
    kind = shape.type_name
    if kind == "string":
        if location == "header" and shape.trait("jsonvalue"):
            return _decode_json_value
        return keep_text
    if kind in ("integer", "long", "short", "byte"):
        return _decode_int
    if kind == "boolean":
        return _decode_bool
    if kind in ("float", "double"):
        return _decode_float
    if kind == "timestamp":
        return _decode_timestamp
    if kind == "blob":
        return _decode_blob
    if kind == "list" and location == "header":
        item = text_decoder(shape.member, location)
        return lambda text: [item(v) for v in split_header_list(text)] if text else []
    return keep_text
