"""The expression language without the server: parsing, precedence, evaluation, messages."""

from __future__ import annotations

import pytest

from overcast.services.dynamodb.errors import ValidationException
from overcast.services.dynamodb.expressions.evaluator import evaluate
from overcast.services.dynamodb.expressions.parser import ExpressionContext, parse_condition, parse_update
from overcast.services.dynamodb.expressions.projection import project
from overcast.services.dynamodb.expressions.update import apply_update

ITEM = {"a": {"N": "1"}, "b": {"S": "x"}, "l": {"L": [{"N": "1"}, {"M": {"q": {"S": "deep"}}}]},
        "m": {"M": {"k": {"SS": ["s1", "s2"]}}}}


def _cond(text: str, values: dict | None = None, names: dict | None = None) -> bool:
    ctx = ExpressionContext(names, values)
    return evaluate(parse_condition(text, "ConditionExpression", ctx), ITEM)


def _error(fn) -> str:
    with pytest.raises(ValidationException) as excinfo:
        fn()
    return excinfo.value.message


def test_and_binds_tighter_than_or():
    values = {":one": {"N": "1"}, ":two": {"N": "2"}}
    assert _cond("a = :one OR a = :two AND a = :two", values)
    assert not _cond("(a = :one OR a = :two) AND a = :two", values)
    assert _cond("NOT a = :two AND a = :one", values)


def test_nested_paths_and_names():
    assert _cond("l[1].q = :d", {":d": {"S": "deep"}})
    assert _cond("contains(#m.k, :s)", {":s": {"S": "s2"}}, {"#m": "m"})
    assert not _cond("attribute_exists(l[5])")
    assert _cond("size(l) = :two", {":two": {"N": "2"}})


def test_type_mismatch_comparisons_are_false():
    assert not _cond("a < :s", {":s": {"S": "z"}})
    assert _cond("a <> :s", {":s": {"S": "1"}})


@pytest.mark.parametrize("text, message", [
    ("a = ", 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "= "'),
    ("a == :v", 'Invalid ConditionExpression: Syntax error; token: "=", near: "== :v"'),
    ("a = :v AND", 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "AND"'),
    ("size = :v", "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: size"),
    ("a BETWEEN :hi AND :lo",
     "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
     "lower bound operand: AttributeValue: {N:9}, upper bound operand: AttributeValue: {N:1}"),
    ("begins_with(a, :n)",
     "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"),
])
def test_condition_messages(text, message):
    values = {":v": {"N": "1"}, ":hi": {"N": "9"}, ":lo": {"N": "1"}, ":n": {"N": "1"}}
    assert _error(lambda: parse_condition(text, "ConditionExpression", ExpressionContext(None, values))) == message


def test_empty_expression():
    assert _error(lambda: parse_condition("  ", "FilterExpression", ExpressionContext())) == (
        "Invalid FilterExpression: The expression can not be empty;")


def test_update_reads_operands_from_the_old_item():
    ctx = ExpressionContext(None, None)
    clauses = parse_update("SET a = b, b = a", ctx)
    swapped = apply_update(clauses, {"a": {"N": "1"}, "b": {"S": "x"}})
    assert swapped == {"a": {"S": "x"}, "b": {"N": "1"}}


def test_remove_list_elements_uses_original_indexes():
    clauses = parse_update("REMOVE l[0], l[2]", ExpressionContext())
    result = apply_update(clauses, {"l": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}, {"N": "3"}]}})
    assert result == {"l": {"L": [{"N": "1"}, {"N": "3"}]}}


def test_set_beyond_list_end_appends():
    clauses = parse_update("SET l[10] = :v", ExpressionContext(None, {":v": {"S": "z"}}))
    assert apply_update(clauses, {"l": {"L": [{"N": "0"}]}}) == {"l": {"L": [{"N": "0"}, {"S": "z"}]}}


def test_delete_last_set_element_removes_attribute():
    clauses = parse_update("DELETE s :v", ExpressionContext(None, {":v": {"SS": ["a"]}}))
    assert apply_update(clauses, {"s": {"SS": ["a"]}}) == {}


def test_projection_keeps_structure():
    assert project(ITEM, [("l", 1, "q"), ("m", "k")]) == {
        "l": {"L": [{"M": {"q": {"S": "deep"}}}]}, "m": {"M": {"k": {"SS": ["s1", "s2"]}}}}


def test_missing_operands():
    assert _cond("nothere <> :v", {":v": {"N": "1"}})
    assert _cond("nothere <> alsonothere")
    assert not _cond("nothere = alsonothere")
    assert not _cond("nothere < :v", {":v": {"N": "1"}})


def test_conflicting_and_overlapping_paths():
    values = {":v": {"N": "1"}}
    assert _error(lambda: parse_update("SET a.b = :v, a[0] = :v", ExpressionContext(None, values))) == (
        "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; "
        "path one: [a, b], path two: [a, [0]]")
    assert _error(lambda: parse_update("SET a = :v REMOVE a.b", ExpressionContext(None, values))) == (
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; "
        "path one: [a], path two: [a, b]")
    parse_update("SET a.b = :v, a.c = :v", ExpressionContext(None, values))
