"""Value conversions shared by every wire protocol: timestamps, blobs, numbers, booleans.

Parsers turn wire text into Python values (aware UTC datetimes, bytes, int, float, bool);
serializers go the other way. Providers may hand back datetimes (aware or naive-as-UTC), epoch
numbers or ISO strings where the model says timestamp, so the `to_*` functions accept all three.
"""

from __future__ import annotations

import base64
import binascii
import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any


class ValueConversionError(ValueError):
    """A wire value that does not fit its shape; parsers turn it into their protocol's error."""


# -- timestamps: wire -> datetime ---------------------------------------------------------------


def from_epoch(value: int | float | str) -> datetime:
    try:
        seconds = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueConversionError(f"not an epoch timestamp: {value!r}") from exc
    if not math.isfinite(seconds):
        raise ValueConversionError(f"not an epoch timestamp: {value!r}")
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueConversionError(f"timestamp out of range: {value!r}") from exc


def from_iso8601(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = _from_iso8601_lenient(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _from_iso8601_lenient(text: str) -> datetime:
    # fromisoformat rejects a few forms clients send: more than 6 fraction digits, lower-case
    # 'z', a bare date-time without separators.
    cleaned = text.strip().replace("z", "Z")
    if "." in cleaned:
        head, _, rest = cleaned.partition(".")
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits) :]
        cleaned = f"{head}.{digits[:6].ljust(6, '0')}{zone}" if digits else head + zone
    for candidate in (cleaned, cleaned.replace("Z", "+00:00")):
        try:
            return datetime.fromisoformat(candidate)
        except ValueError:
            continue
    for fmt in ("%Y%m%dT%H%M%SZ", "%Y%m%dT%H%M%S"):
        try:
            return datetime.strptime(cleaned, fmt)
        except ValueError:
            continue
    raise ValueConversionError(f"not an ISO 8601 timestamp: {text!r}")


def from_rfc822(text: str) -> datetime:
    # email.utils pulls in socket and friends (~20 ms): only load it when a client uses RFC 822.
    from email.utils import parsedate_to_datetime

    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueConversionError(f"not an RFC 822 timestamp: {text!r}") from exc
    if parsed is None:
        raise ValueConversionError(f"not an RFC 822 timestamp: {text!r}")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_timestamp(value: Any) -> datetime:
    """Any timestamp form a client may send: epoch number, numeric text, ISO 8601, RFC 822."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, bool):
        raise ValueConversionError(f"not a timestamp: {value!r}")
    if isinstance(value, (int, float)):
        return from_epoch(value)
    if not isinstance(value, str):
        raise ValueConversionError(f"not a timestamp: {value!r}")
    text = value.strip()
    if not text:
        raise ValueConversionError("empty timestamp")
    first = text[0]
    if first.isdigit() or first in "-+.":
        if len(text) >= 10 and text[4:5] == "-" or "T" in text:
            return from_iso8601(text)
        return from_epoch(text)
    return from_rfc822(text)


# -- timestamps: datetime -> wire ---------------------------------------------------------------


def as_datetime(value: Any) -> datetime:
    """A provider's timestamp value as an aware UTC datetime."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value
    return parse_timestamp(value)


def to_epoch(value: Any) -> int | float:
    """Epoch seconds: an int for whole seconds, else a float with millisecond precision."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    dt = as_datetime(value)
    seconds = int(dt.replace(microsecond=0).timestamp())
    if dt.microsecond:
        return round(seconds + dt.microsecond / 1_000_000, 3)
    return seconds


def to_iso8601(value: Any) -> str:
    dt = as_datetime(value).astimezone(UTC)
    if dt.microsecond:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def to_rfc822(value: Any) -> str:
    from email.utils import formatdate

    dt = as_datetime(value)
    return formatdate(int(dt.replace(microsecond=0).timestamp()), usegmt=True)


def format_timestamp(value: Any, fmt: str) -> str | int | float:
    """`fmt` is a model timestampFormat: iso8601, unixTimestamp or rfc822."""
    fmt = fmt.lower()
    if fmt == "iso8601":
        return to_iso8601(value)
    if fmt == "rfc822":
        return to_rfc822(value)
    return to_epoch(value)


# -- blobs ------------------------------------------------------------------------------------


def b64encode(value: bytes | bytearray | memoryview | str) -> str:
    if isinstance(value, str):
        value = value.encode("utf-8")
    return base64.b64encode(value).decode("ascii")


def b64decode(text: str | bytes) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        pass
    # Clients sometimes omit padding or wrap lines; be as forgiving as AWS is.
    try:
        if isinstance(text, bytes):
            text = text.decode("ascii")
        cleaned = "".join(text.split())
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ValueConversionError("invalid base64 data") from exc


# -- scalars from text (query strings, headers, XML) ---------------------------------------------


def parse_bool_text(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise ValueConversionError(f"not a boolean: {text!r}")


def parse_int_text(text: str) -> int:
    try:
        return int(text.strip())
    except (ValueError, AttributeError) as exc:
        raise ValueConversionError(f"not an integer: {text!r}") from exc


def parse_float_text(text: str) -> float:
    try:
        return float(text.strip())
    except (ValueError, AttributeError) as exc:
        raise ValueConversionError(f"not a number: {text!r}") from exc


def format_float(value: Any) -> str:
    """Text form of a float member: integral values without a trailing '.0' are fine too."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    return str(value)


def json_number_to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueConversionError(f"not a number: {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    if value in ("NaN", "Infinity", "-Infinity"):
        return float(value)
    raise ValueConversionError(f"not a number: {value!r}")
