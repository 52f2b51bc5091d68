from __future__ import annotations

import pytest

from overcast.services.dynamodb.errors import ValidationException
from overcast.services.dynamodb.types import item_size, normalize_number, validate_value


@pytest.mark.parametrize("text, expected", [
    ("1.50", "1.5"), ("01", "1"), ("1e2", "100"), ("-0", "0"), ("0.000", "0"), ("-1.0E-3", "-0.001"),
    ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
])
def test_numbers_normalise_as_dynamodb_returns_them(text, expected):
    assert normalize_number(text) == expected


@pytest.mark.parametrize("text, message", [
    # DynamoDB quotes the text it could not read (paritysuite's valueLayers captures), spaces too.
    ("abc", "The parameter cannot be converted to a numeric value: abc"),
    ("", "The parameter cannot be converted to a numeric value: "),
    ("NaN", "The parameter cannot be converted to a numeric value: NaN"),
    (" 5 ", "The parameter cannot be converted to a numeric value:  5 "),
    ("123456789012345678901234567890123456789", "Attempting to store more than 38 significant digits in a Number"),
    ("1E126", "Number overflow. Attempting to store a number with magnitude larger than supported range"),
    ("1E-131", "Number underflow. Attempting to store a number with magnitude smaller than supported range"),
])
def test_bad_numbers_are_rejected(text, message):
    with pytest.raises(ValidationException) as error:
        normalize_number(text)
    assert error.value.message == message


def test_sets_must_be_non_empty_and_unique():
    with pytest.raises(ValidationException) as error:
        validate_value({"SS": []})
    assert error.value.message == "One or more parameter values were invalid: An string set  may not be empty"
    with pytest.raises(ValidationException) as error:
        validate_value({"NS": ["1", "1.0"]})
    assert "contains duplicates" in error.value.message


def test_attribute_value_must_have_exactly_one_type():
    with pytest.raises(ValidationException) as error:
        validate_value({"S": "a", "N": "1"})
    assert error.value.message == (
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
    with pytest.raises(ValidationException) as error:
        validate_value({})
    assert error.value.message == "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"


def test_nesting_limit():
    value: dict = {"S": "x"}
    for _ in range(33):
        value = {"L": [value]}
    with pytest.raises(ValidationException) as error:
        validate_value(value)
    assert error.value.message == ("Nesting Levels have exceeded supported limits: "
                                   "Attributes in the item have nested levels beyond supported limit")


def test_item_size_counts_names_and_values():
    assert item_size({"ab": {"S": "xyz"}}) == 5
    assert item_size({"a": {"BOOL": True}, "b": {"NULL": True}}) == 4
    assert item_size({"n": {"N": "123"}}) == 1 + 3
