"""The key encoding's byte order must be DynamoDB's order, for every number DynamoDB accepts."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from overcast.services.dynamodb.keys import (
    COMPONENT_END,
    decode_number,
    encode_key_tuple,
    encode_key_value,
    encode_number,
    key_component,
)
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


# A multi-attribute key's values, by the type of the attribute that holds them.
_values_of = {
    "N": st.builds(lambda n: {"N": format_number(n)}, numbers),
    "S": st.builds(lambda s: {"S": s}, st.text(max_size=6)),
    "B": st.builds(lambda b: {"B": b}, st.binary(max_size=6)),
}


@st.composite
def typed_rows(draw) -> list[list[dict]]:
    """Keys of one schema: up to four attributes, each of one type, across several items."""
    kinds = draw(st.lists(st.sampled_from(sorted(_values_of)), min_size=1, max_size=4))
    return [list(row) for row in draw(st.lists(st.tuples(*(_values_of[k] for k in kinds)), max_size=8))]


def _model(row: list[dict]) -> list:
    """DynamoDB's order of one key: value by value, numbers by value, strings and binaries bytewise."""
    result = []
    for value in row:
        kind, inner = next(iter(value.items()))
        result.append(Decimal(inner) if kind == "N" else inner.encode() if kind == "S" else inner)
    return result


@given(typed_rows())
def test_multi_attribute_keys_sort_value_by_value(rows: list[list[dict]]) -> None:
    """Whatever bytes (zeros, 0xFF) the values hold, the encoded keys sort and compare equal as
    the tuples of values do."""
    assert [_model(row) for row in sorted(rows, key=encode_key_tuple)] == sorted(_model(row) for row in rows)
    for a in rows:
        for b in rows:
            assert (encode_key_tuple(a) == encode_key_tuple(b)) == (_model(a) == _model(b))


@given(typed_rows())
def test_a_leading_run_of_values_is_a_byte_prefix(rows: list[list[dict]]) -> None:
    """What a query's equalities fix is a byte prefix of every key holding those values; a key of
    one attribute is encoded as a single value always was."""
    for row in rows:
        head = b"".join(key_component(encode_key_value(v)) + COMPONENT_END for v in row[:-1])
        assert len(row) == 1 or encode_key_tuple(row).startswith(head)
        assert encode_key_tuple(row[:1]) == encode_key_value(row[0])
