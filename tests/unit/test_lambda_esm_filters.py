"""FilterCriteria's event patterns (lambda_/event_sources/filters.py), matcher by matcher, on
records shaped as DynamoDB stream records reach Lambda. The rules are AWS's ("Control which events
Lambda sends to your function", filter rule syntax)."""

from __future__ import annotations

import pytest

from overcast.services.lambda_.event_sources.filters import InvalidPattern, matches_any, parse_pattern

RECORD = {
    "eventName": "INSERT",
    "awsRegion": "us-east-1",
    "dynamodb": {
        "Keys": {"pk": {"S": "order-17"}},
        "NewImage": {"pk": {"S": "order-17"}, "total": {"N": "42.5"}, "tags": {"SS": ["red", "big"]},
                     "paid": {"BOOL": True}, "note": {"NULL": True}},
    },
}


def passes(*patterns: str) -> bool:
    return matches_any([parse_pattern(p) for p in patterns], RECORD)


@pytest.mark.parametrize("pattern, expected", [
    ('{"eventName": ["INSERT"]}', True),
    ('{"eventName": ["MODIFY", "REMOVE"]}', False),
    ('{"eventName": ["INSERT"], "awsRegion": ["eu-west-1"]}', False),  # every field must match
    ('{"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "order-"}]}}}}', True),
    ('{"dynamodb": {"Keys": {"pk": {"S": [{"suffix": "-17"}]}}}}', True),
    ('{"dynamodb": {"Keys": {"pk": {"S": [{"equals-ignore-case": "ORDER-17"}]}}}}', True),
    ('{"dynamodb": {"Keys": {"pk": {"S": [{"anything-but": ["order-17"]}]}}}}', False),
    ('{"dynamodb": {"Keys": {"pk": {"S": [{"anything-but": {"prefix": "invoice-"}}]}}}}', True),
    ('{"dynamodb": {"NewImage": {"total": {"N": [{"numeric": [">", 40, "<=", 50]}]}}}}', True),
    ('{"dynamodb": {"NewImage": {"total": {"N": [{"numeric": ["<", 40]}]}}}}', False),
    ('{"dynamodb": {"NewImage": {"tags": {"SS": ["big"]}}}}', True),  # any element of a list
    ('{"dynamodb": {"NewImage": {"paid": {"BOOL": [true]}}}}', True),
    ('{"dynamodb": {"NewImage": {"paid": {"BOOL": ["true"]}}}}', False),  # a string is not a boolean
    ('{"dynamodb": {"NewImage": {"note": {"NULL": [true]}}}}', True),
    ('{"dynamodb": {"OldImage": [{"exists": false}]}}', True),
    ('{"dynamodb": {"NewImage": {"total": [{"exists": true}]}}}', True),
    ('{"dynamodb": {"NewImage": {"missing": [{"exists": true}]}}}', False),
    ('{"dynamodb": {"NewImage": {"missing": {"S": ["x"]}}}}', False),
])
def test_matchers(pattern, expected):
    assert passes(pattern) is expected


def test_filters_are_ored_and_no_filter_passes_everything():
    assert passes('{"eventName": ["REMOVE"]}', '{"eventName": ["INSERT"]}')
    assert not passes('{"eventName": ["REMOVE"]}', '{"eventName": ["MODIFY"]}')
    assert matches_any([], RECORD)


@pytest.mark.parametrize("text", [
    "single-string", '[{"eventName": ["INSERT"=123}]', "[]", '"x"', "", '{"eventName": "INSERT"}',
    '{"eventName": []}', '{"eventName": [{"prefix": 1}]}', '{"eventName": [{"numeric": ["~", 1]}]}',
    '{"eventName": [{"exists": "yes"}]}', '{"eventName": [{"unknown": "x"}]}', '{"dynamodb": {}}',
])
def test_invalid_patterns(text):
    with pytest.raises(InvalidPattern):
        parse_pattern(text)
