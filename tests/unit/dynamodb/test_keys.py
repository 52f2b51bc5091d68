"""The key encoding's byte order must be DynamoDB's order, for every number DynamoDB accepts."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from overcast.services.dynamodb.keys import decode_number, encode_number
from overcast.services.dynamodb.types import format_number, parse_number

numbers = st.builds(
    lambda sign, digits, exponent: parse_number(f"{'-' if sign else ''}{digits}E{exponent}"),
    st.booleans(),
    st.integers(min_value=0, max_value=10**38 - 1),
    st.integers(min_value=-120, max_value=80),
)


@given(numbers, numbers)
def test_number_encoding_preserves_order(a: Decimal, b: Decimal) -> None:
    ea, eb = encode_number(a), encode_number(b)
    assert (a < b) == (ea < eb)
    assert (a == b) == (ea == eb)


@given(numbers)
def test_number_encoding_round_trips(value: Decimal) -> None:
    assert decode_number(encode_number(value)) == format_number(value)


def test_edge_numbers_sort() -> None:
    ordered = ["-9.9999999999999999999999999999999999999E+125", "-1", "-0.5", "-1E-130", "0", "1E-130",
               "0.5", "1", "1.2", "1.23", "10", "9.9999999999999999999999999999999999999E+125"]
    encoded = [encode_number(parse_number(n)) for n in ordered]
    assert encoded == sorted(encoded)


@given(st.text(), st.text())
def test_strings_sort_by_utf8_bytes(a: str, b: str) -> None:
    assert (a.encode() < b.encode()) == (a.encode("utf-8") < b.encode("utf-8"))
