"""AttributeValues: validation, number normalisation, ordering and size as DynamoDB counts them."""

from __future__ import annotations

import base64
import decimal
import json
import re
from decimal import Decimal
from typing import Any

from overcast.services.dynamodb.errors import (
    InvalidAttributeValue,
    ValidationException,
    invalid,
    invalid_value,
)

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]

TYPES = ("S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS")
SET_TYPES = {"SS": "S", "NS": "N", "BS": "B"}
# The empty-set messages, as DynamoDB words them (the string and number ones with their two spaces;
# paritysuite/dynamodb-conformance, tests/tier3/error-messages/putItem.test.ts).
_EMPTY_SET = {"SS": "An string set  may not be empty", "NS": "An number set  may not be empty",
              "BS": "Binary sets should not be empty"}
MAX_ITEM_SIZE = 400 * 1024
MAX_DEPTH = 32
# As DynamoDB words it in every region recorded (paritysuite/dynamodb-conformance,
# tests/tier3/validation-ordering/deepRequests.test.ts and limits/nestingDepth.test.ts).
_TOO_DEEP = ("Nesting Levels have exceeded supported limits: "
             "Attributes in the item have nested levels beyond supported limit")
# The number syntax DynamoDB reads (Java's BigDecimal): Decimal also takes surrounding blanks,
# underscores and non-ASCII digits, which DynamoDB refuses. Only non-canonical numbers get here.
_NUMBER_SYNTAX = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# An integer in DynamoDB's canonical text, within its 38 digits: normalising leaves it as is.
_CANONICAL_INTEGER = re.compile(r"-?[1-9][0-9]{0,37}|0")

# 38 significant digits is DynamoDB's precision; the context rounds nothing we accept.
DECIMAL_CONTEXT = decimal.Context(prec=60, Emax=999, Emin=-999)
# Reading a client's number: an exponent beyond the context's range must not become infinity (an
# exception escaping as a 500) or, below it, zero (a silently different number).
_PARSE_CONTEXT = decimal.Context(prec=60, Emax=999, Emin=-999,
                                 traps=[decimal.InvalidOperation, decimal.Overflow, decimal.Underflow])
_OVERFLOW = "Number overflow. Attempting to store a number with magnitude larger than supported range"
_NOT_NUMERIC = "The parameter cannot be converted to a numeric value"
_UNDERFLOW = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
# DynamoDB reads a number's exponent as a 64-bit integer: past that the text is no number at all;
# within it, the exponent counts in full (1e2147483648 overflows, it does not wrap), and a zero
# is range-checked by the exponent it is written with (0e126 overflows, 0e125 is 0).
# (paritysuite/dynamodb-conformance, tests/tier3/limits/numberExponent.test.ts, recorded
# against DynamoDB.)
_EXPONENT = re.compile(r"[eE]([+-]?)0*(\d+)$")
_MAX_EXPONENT = 2**63 - 1


def parse_number(text: Any) -> Decimal:
    """A number as DynamoDB accepts it (38 digits, 1E-130 .. 9.9..9E+125), else ValidationException."""
    if not isinstance(text, str):
        raise InvalidAttributeValue("A value provided cannot be converted into a number")
    if not _NUMBER_SYNTAX.fullmatch(text):
        raise _not_numeric(text)
    try:
        value = _PARSE_CONTEXT.create_decimal(text)
    except decimal.Overflow:
        raise _out_of_range(text, _OVERFLOW) from None
    except decimal.Underflow:
        raise _out_of_range(text, _UNDERFLOW) from None
    except decimal.InvalidOperation:
        raise _not_numeric(text) from None
    if value.is_zero():
        written_exponent = value.as_tuple().exponent
        assert isinstance(written_exponent, int)  # finite, checked above
        if written_exponent > 125:
            raise _out_of_range(text, _OVERFLOW)
        if written_exponent < -130:
            raise _out_of_range(text, _UNDERFLOW)
        return Decimal(0)
    value = value.normalize(DECIMAL_CONTEXT)
    _, digits, magnitude = decimal_parts(value)
    if len(digits) > 38:
        raise InvalidAttributeValue("Attempting to store more than 38 significant digits in a Number")
    if magnitude > 125:
        raise InvalidAttributeValue(_OVERFLOW)
    if magnitude < -130:
        raise InvalidAttributeValue(_UNDERFLOW)
    return value


def _not_numeric(text: str) -> InvalidAttributeValue:
    """A string that is no number: DynamoDB quotes it after a colon, blanks and all (an empty one
    leaves ': '). dynalite's suite and paritysuite/dynamodb-conformance, tests/tier3/error-messages/
    valueLayers.test.ts, both recorded against DynamoDB."""
    # The older layer leaves out the colon when there is nothing after it.
    return InvalidAttributeValue(f"{_NOT_NUMERIC}: {text}", _NOT_NUMERIC if text == "" else None)


def _out_of_range(text: str, message: str) -> InvalidAttributeValue:
    """The error for a number beyond DynamoDB's range: its own message, unless the exponent is
    past a 64-bit integer (only looked at here, the rare case)."""
    exponent = _EXPONENT.search(text)
    if exponent is not None:
        digits = exponent.group(2)  # without leading zeros; more than 19 is past 64 bits anyway
        if len(digits) > 19 or int(digits) > _MAX_EXPONENT + (exponent.group(1) == "-"):
            return _not_numeric(text)
    if java_scale_overflows(text):
        return InvalidAttributeValue(message, f"{_NOT_NUMERIC}: {text}")
    if message == _OVERFLOW and _older_wraps(text):
        return InvalidAttributeValue(message, _UNDERFLOW)
    return InvalidAttributeValue(message)


def _written_exponent(text: str) -> tuple[int, int] | None:
    """(the written exponent, digits after the point) of a number written with one."""
    exponent = _EXPONENT.search(text)
    if exponent is None or len(exponent.group(2)) > 19:
        return None
    fraction = text[:exponent.start()].partition(".")[2]
    return int(exponent.group(2)) * (-1 if exponent.group(1) == "-" else 1), len(fraction)


def java_scale_overflows(text: str) -> bool:
    """Whether Java's BigDecimal refuses the number: its exponent, or its scale (digits after the
    point less the exponent), past a 32-bit integer. DynamoDB's older layer (and PartiQL) read
    numbers that way and call these unconvertible (paritysuite partiqlParameterNumbers.test.ts)."""
    written = _written_exponent(text)
    if written is None:
        return _EXPONENT.search(text) is not None  # more exponent digits than 64 bits hold
    exponent, fraction = written
    return not (-2**31 <= exponent <= 2**31 - 1 and -2**31 <= fraction - exponent <= 2**31 - 1)


def _older_wraps(text: str) -> bool:
    """The older layer reads a number as Java's BigDecimal does: a decimal exponent (digits before
    the point plus the written exponent) past a 32-bit integer wraps to a negative one, and so to
    an underflow (1e2147483647, in valueLayers.test.ts)."""
    written = _written_exponent(text)
    if written is None:
        return False
    whole = text[:text.lower().index("e")].lstrip("+-").split(".")[0].lstrip("0")
    return len(whole) + written[0] > 2**31 - 1


def decimal_parts(number: Decimal) -> tuple[int, tuple[int, ...], int]:
    """(sign, digits, magnitude) of a finite non-zero number in normal form, where magnitude is
    the power of ten of the leading digit."""
    sign, digits, exponent = number.normalize(DECIMAL_CONTEXT).as_tuple()
    if not isinstance(exponent, int):  # 'n', 'N' or 'F': NaN or infinity
        raise ValueError(f"not a finite number: {number}")
    return sign, digits, len(digits) + exponent - 1


def format_number(value: Decimal) -> str:
    """DynamoDB's canonical text: plain notation, no exponent, no trailing zeros."""
    if value.is_zero():
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def normalize_number(text: Any) -> str:
    return format_number(parse_number(text))


def type_of(value: AttributeValue) -> str:
    return next(iter(value))


def unordered_operand(operator: str, values: Any) -> str | None:
    """DynamoDB's words for a value with no order (only strings, numbers and binaries have one)
    given to an ordering comparison or BETWEEN, the operator named as written; None when every
    value has an order. KeyConditionExpression and PartiQL both refuse it (paritysuite captures)."""
    for value in values:
        if type_of(value) not in ("S", "N", "B"):
            return ("Incorrect operand type for operator or function; "
                    f"operator or function: {operator}, operand type: {type_of(value)}")
    return None


def validate_value(value: Any, depth: int = 0, context: str = "") -> AttributeValue:
    """Check one AttributeValue and return it normalised (numbers canonical, sets checked). Bad
    numbers, repeated set members and a NULL that is not true are InvalidAttributeValue, worded
    by each operation's layer (the families captured: valueLayers.test.ts, and for NULL the
    paritysuite captures of every Region); the other refusals keep one wording everywhere."""
    if not isinstance(value, dict) or not value:
        raise ValidationException(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
    if len(value) > 1:
        raise ValidationException(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
    # The attribute itself is level 1 (depth 0): a value at level 33 is refused, 32 wraps of a
    # scalar in maps or lists (paritysuite/dynamodb-conformance, tests/tier3/limits/nestingDepth.test.ts).
    if depth >= MAX_DEPTH:
        raise ValidationException(_TOO_DEEP)
    kind, inner = next(iter(value.items()))
    if kind == "S":
        if not isinstance(inner, str):
            raise ValidationException("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
        return value
    if kind == "N":
        if type(inner) is str and _CANONICAL_INTEGER.fullmatch(inner):
            return value  # already canonical (no sign, leading zeros, exponent or fraction to fix)
        return {"N": normalize_number(inner)}
    if kind == "B":
        if isinstance(inner, str):
            inner = inner.encode()
        return {"B": bytes(inner)}
    if kind == "BOOL":
        return {"BOOL": bool(inner)}
    if kind == "NULL":
        if inner is not True:
            raise invalid_value("Null attribute value types must have the value of true")
        return {"NULL": True}
    if kind == "M":
        return {"M": {k: validate_value(v, depth + 1) for k, v in (inner or {}).items()}}
    if kind == "L":
        return {"L": [validate_value(v, depth + 1) for v in (inner or [])]}
    if kind in SET_TYPES:
        if not inner:
            raise invalid(_EMPTY_SET[kind])
        if kind == "NS":
            numbers = [parse_number(n) for n in inner]
            canonical = [format_number(n) for n in numbers]
            if len(set(numbers)) != len(numbers):
                raise invalid_value("Input collection contains duplicates.", "Input collection contains duplicates")
            return {"NS": [text for _, text in sorted(zip(numbers, canonical, strict=True))]}
        if kind == "BS":
            items = [bytes(b.encode() if isinstance(b, str) else b) for b in inner]
        else:
            items = list(inner)
        if len(set(items)) != len(items):
            raise invalid_value(_duplicates_message(kind, items), older_duplicates_message(kind, items))
        return {kind: sorted(items)}
    raise ValidationException(
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")


def in_set_order(kind: str, members: list) -> list:
    """A set's members in the order DynamoDB keeps and returns them, whatever order they were
    written in: strings and binaries bytewise (a str's code point order is its UTF-8 byte order),
    numbers by value (paritysuite tier1 updateItem/basic: ADD of '' to SS ['a'] reads ['', 'a'])."""
    if kind == "NS":
        return sorted(members, key=parse_number)
    return sorted(members)


def older_duplicates_message(kind: str, members: list) -> str:
    """The older layer's words for a repeated string or binary set member: the members as sent,
    unquoted (binaries in base64), comma-separated (valueLayers.test.ts: SS b, a, b)."""
    shown = members if kind == "SS" else [base64.b64encode(m).decode() for m in members]
    suffix = "" if kind == "SS" else "of type BS"
    return f"One or more parameter values were invalid: Input collection [{', '.join(shown)}]{suffix} contains duplicates."


def _duplicates_message(kind: str, members: list) -> str:
    """DynamoDB's words for a string or binary set with a repeated member: the members quoted, in
    byte order up to the first repeat, then the repeat, then the rest as sent; binaries in base64,
    joined without spaces and followed by their type (paritysuite/dynamodb-conformance,
    tests/tier3/error-messages/valueLayers.test.ts: SS b, a, b gives ["a", "b", "b"])."""
    seen: list = []
    rest: list = []
    for position, member in enumerate(members):
        if member in seen:
            rest = members[position:]
            break
        seen.append(member)
    shown = sorted(seen, key=lambda m: m.encode("utf-8") if kind == "SS" else m) + rest
    if kind == "SS":
        return f"Input collection [{', '.join(json.dumps(m, ensure_ascii=False) for m in shown)}] contains duplicates."
    quoted = ",".join(f'"{base64.b64encode(m).decode()}"' for m in shown)
    return f"Input collection [{quoted}]of type BS contains duplicates."


def validate_item(item: Any) -> Item:
    return validate_item_sized(item)[0]


def validate_item_sized(item: Any) -> tuple[Item, int]:
    """validate_item and item_size of its result in one pass (the put path needs both). An item
    that needs no normalising is returned as it is, not copied: callers must not change it."""
    if type(item) is not dict:
        item = item or {}
    if "" in item:  # before any value is looked at, bare (paritysuite deepRequests.test.ts)
        raise ValidationException("Empty attribute name")
    result: dict | None = None  # a copy, begun at the first value that needs normalising
    size = 0
    for name, value in item.items():
        size += len(name) if name.isascii() else len(name.encode("utf-8"))
        # Strings, and integers already in canonical form, are valid as they are: no call for them.
        if type(value) is dict and len(value) == 1:
            text = value.get("S")
            if type(text) is str:
                size += len(text) if text.isascii() else len(text.encode("utf-8"))
                if result is not None:
                    result[name] = value
                continue
            text = value.get("N")
            if type(text) is str:
                # A non-negative integer in canonical form (ASCII digits, no leading zero, at most
                # 38 of them) is tested without the regular expression, and sized as number_size
                # would: its significant digits are those left of its trailing zeros.
                if text.isascii() and text.isdigit() and len(text) <= 38 and (text[0] != "0" or text == "0"):
                    # number_size's count for it: pairs of digits aligned on the units, from the
                    # highest to the lowest non-zero pair (zero, the one exception, costs 1).
                    digits = len(text)
                    size += (digits - 1) // 2 - (digits - len(text.rstrip("0"))) // 2 + 2 - (text == "0")
                    if result is not None:
                        result[name] = value
                    continue
                if _CANONICAL_INTEGER.fullmatch(text):
                    size += number_size(text)
                    if result is not None:
                        result[name] = value
                    continue
        if result is None:
            result = {}
            for earlier, kept in item.items():  # the values before this one, valid as they are
                if earlier == name:
                    break
                result[earlier] = kept
        value = validate_value(value)
        result[name] = value
        size += value_size(value)
    return (item if result is None else result), size


def value_size(value: AttributeValue) -> int:
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return _utf8_length(inner)
    if kind == "B":
        return len(inner)
    if kind == "N":
        return number_size(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode("utf-8")) for s in inner)
    if kind == "BS":
        return sum(len(b) for b in inner)
    if kind == "NS":
        return sum(number_size(n) for n in inner)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + value_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in inner)
    return 0


def number_size(text: str) -> int:
    """A number's bytes as DynamoDB counts them against the item size: one, plus one per pair of
    digits counted in pairs aligned on the decimal point (units and tens, tenths and hundredths, ...)
    from the first non-zero pair to the last, plus one when negative. So 15 costs 2 and 1.5 costs 3,
    100 costs 2, 1010 and 100.5 cost 3 and 4, -42 costs 3 and zero 1: the figures
    paritysuite/dynamodb-conformance measured at the 400 KB gate (tests/tier3/limits/
    numberByteSize.test.ts, 23 literals). `text` is a number in DynamoDB's canonical form."""
    negative = text[:1] == "-"
    if negative:
        text = text[1:]
    whole, _, fraction = text.partition(".")
    whole = whole.lstrip("0")
    fraction = fraction.rstrip("0")
    if not whole and not fraction:
        return 1  # zero, never negative
    # Powers of ten of the first and last non-zero digits.
    highest = len(whole) - 1 if whole else -(len(fraction) - len(fraction.lstrip("0"))) - 1
    lowest = -len(fraction) if fraction else len(whole) - len(whole.rstrip("0"))
    return 2 + highest // 2 - lowest // 2 + negative


def _utf8_length(text: str) -> int:
    # isascii() reads a flag CPython keeps on every string: ASCII text is measured without copying it.
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def item_size(item: Item) -> int:
    size = 0
    for name, value in item.items():
        text = value.get("S")  # the most common value, sized here without a call
        size += len(name) if name.isascii() else len(name.encode("utf-8"))
        if text is None:
            size += value_size(value)
        else:
            size += len(text) if text.isascii() else len(text.encode("utf-8"))
    return size


def values_equal(a: AttributeValue | None, b: AttributeValue | None) -> bool:
    if a is None or b is None:
        return False
    ka, va = next(iter(a.items()))
    kb, vb = next(iter(b.items()))
    if ka != kb:
        return False
    if ka == "N":
        return Decimal(va) == Decimal(vb)
    if ka == "NS":
        return {Decimal(x) for x in va} == {Decimal(x) for x in vb}
    if ka in ("SS", "BS"):
        return set(va) == set(vb)
    if ka == "M":
        return va.keys() == vb.keys() and all(values_equal(va[k], vb[k]) for k in va)
    if ka == "L":
        return len(va) == len(vb) and all(values_equal(x, y) for x, y in zip(va, vb, strict=True))
    return va == vb


def compare_scalars(a: AttributeValue, b: AttributeValue) -> int | None:
    """-1/0/1 for two values of the same scalar type (S, N, B); None when not comparable."""
    ka, va = next(iter(a.items()))
    kb, vb = next(iter(b.items()))
    if ka != kb or ka not in ("S", "N", "B"):
        return None
    if ka == "N":
        x, y = Decimal(va), Decimal(vb)
    elif ka == "S":
        x, y = va.encode("utf-8"), vb.encode("utf-8")
    else:
        x, y = va, vb
    return (x > y) - (x < y)
