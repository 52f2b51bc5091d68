"""Key encoding whose byte order (memcmp, as SQLite compares BLOBs) equals DynamoDB's order.

Strings sort by their UTF-8 bytes and binaries by their bytes, so both are stored as is.
Numbers need an order-preserving encoding of 38-digit decimals:

    negative:  0x01, 255 - (exponent + 130), each digit as 0x39 - d, then 0xFF
    zero:      0x02
    positive:  0x03, exponent + 130, each digit as 0x30 + d

The exponent is the power of ten of the leading digit (-130 .. 125, one byte after the
offset). Digits carry no trailing zeros, so for positives a shorter mantissa that is a prefix
of a longer one is the smaller number, which memcmp gives for free. For negatives the order of
everything is inverted, and the 0xFF terminator (above every inverted digit) makes the shorter
mantissa sort after the longer one, as -1.2 > -1.23 requires.
"""

from __future__ import annotations

import zlib
from decimal import Decimal

from overcast.services.dynamodb.types import AttributeValue, decimal_parts, format_number

_EXP_OFFSET = 130


def encode_number(value: Decimal | str) -> bytes:
    number = Decimal(value)
    if number.is_zero():
        return b"\x02"
    sign, digits, magnitude = decimal_parts(number)
    if sign == 0:
        return bytes([0x03, magnitude + _EXP_OFFSET]) + bytes(0x30 + d for d in digits)
    return bytes([0x01, 255 - (magnitude + _EXP_OFFSET)]) + bytes(0x39 - d for d in digits) + b"\xff"


def decode_number(data: bytes) -> str:
    if data[0] == 0x02:
        return "0"
    if data[0] == 0x03:
        magnitude = data[1] - _EXP_OFFSET
        digits = tuple(b - 0x30 for b in data[2:])
        return format_number(Decimal((0, digits, magnitude - len(digits) + 1)))
    magnitude = 255 - data[1] - _EXP_OFFSET
    digits = tuple(0x39 - b for b in data[2:-1])
    return format_number(Decimal((1, digits, magnitude - len(digits) + 1)))


def encode_key_value(value: AttributeValue) -> bytes:
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return inner.encode("utf-8")
    if kind == "N":
        return encode_number(inner)
    return bytes(inner)


def decode_key_value(kind: str, data: bytes) -> AttributeValue:
    if kind == "S":
        return {"S": data.decode("utf-8")}
    if kind == "N":
        return {"N": decode_number(data)}
    return {"B": bytes(data)}


# A multi-attribute key (a global index's, up to four HASH and four RANGE attributes) is the
# tuple of its values. Each value's encoding is kept whole, its zero bytes escaped (00 -> 00 01),
# and ended by 00 00, which sorts below every continuation: so memcmp of two encoded tuples
# compares them value by value, left to right, as DynamoDB sorts such an index, and the values
# a query fixes with equalities form a byte prefix of every key it reads.
_ZERO, _ESCAPED_ZERO, COMPONENT_END = b"\x00", b"\x00\x01", b"\x00\x00"


def key_component(encoded: bytes) -> bytes:
    """One value's encoding as a part of a multi-attribute key, without its end."""
    return encoded.replace(_ZERO, _ESCAPED_ZERO)


def encode_key_tuple(values: list[AttributeValue]) -> bytes:
    """A key of one attribute (encoded as it always was) or of several (see key_component)."""
    if len(values) == 1:
        return encode_key_value(values[0])
    return b"".join(key_component(encode_key_value(value)) + COMPONENT_END for value in values)


def scan_hash(partition: bytes) -> int:
    """Where a partition falls in Scan order; parallel scan segments are ranges of it."""
    return zlib.crc32(partition) & 0x7FFFFFFF


SCAN_HASH_SPACE = 0x80000000
