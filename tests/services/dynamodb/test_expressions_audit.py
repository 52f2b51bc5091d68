"""The expression languages against DynamoDB's answers, case by case.

The expected messages come from DynamoDB as quoted by test suites that were run against it
(dynalite's test/updateItem.js and its condition grammar) and by users' reports; each case names
what it checks."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.services.dynamodb.conftest import error_of

BAD_PATH = "The document path provided in the update expression is invalid for update"
WRONG_TYPE = "An operand in the update expression has an incorrect data type"


@pytest.fixture
def table(ddb, make_table):
    name = make_table("S")
    ddb.put_item(TableName=name, Item={
        "pk": {"S": "k"}, "s": {"S": "text"}, "n": {"N": "1"}, "ns": {"NS": ["1"]},
        "c": {"M": {"1": {"S": "a"}}}, "d": {"L": [{"S": "a"}, {"S": "b"}]}})
    return name


def _update_fails(ddb, table, **kwargs) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        ddb.update_item(TableName=table, Key={"pk": {"S": "k"}}, **kwargs)
    return error_of(excinfo)


def _condition_fails(ddb, table, condition: str, values: dict | None = None, names: dict | None = None):
    extra = {"ExpressionAttributeNames": names} if names else {}
    return _update_fails(ddb, table, UpdateExpression="SET touched = :touched", ConditionExpression=condition,
                         ExpressionAttributeValues={":touched": {"BOOL": True}, **(values or {})}, **extra)


def _item(ddb, table) -> dict:
    return ddb.get_item(TableName=table, Key={"pk": {"S": "k"}}, ConsistentRead=True)["Item"]


@pytest.mark.parametrize("expression", [
    "REMOVE y.a",      # y does not exist
    "REMOVE y[1]",
    "REMOVE s.a",      # s is a string, not a map
    "REMOVE c[1]",     # c is a map, not a list
    "REMOVE d.#one",   # d is a list, not a map
    "DELETE y.a :set",
    "DELETE s.a :set",
])
def test_remove_and_delete_need_the_path_up_to_the_last_step(ddb, table, expression):
    # dynalite updateItem.js "update non-existent nested attribute in existing item".
    kwargs = {"ExpressionAttributeValues": {":set": {"SS": ["a"]}}} if ":set" in expression else {}
    if "#one" in expression:
        kwargs["ExpressionAttributeNames"] = {"#one": "1"}
    assert _update_fails(ddb, table, UpdateExpression=expression, **kwargs) == ("ValidationException", BAD_PATH, 400)


def test_removing_a_missing_last_step_does_nothing(ddb, table):
    before = _item(ddb, table)
    ddb.update_item(TableName=table, Key={"pk": {"S": "k"}}, UpdateExpression="REMOVE c.nothere, d[7], nothere")
    ddb.update_item(TableName=table, Key={"pk": {"S": "k"}}, UpdateExpression="DELETE c.nothere :set",
                    ExpressionAttributeValues={":set": {"SS": ["a"]}})
    assert _item(ddb, table) == before


@pytest.mark.parametrize("expression, values", [
    ("SET e = s + :one", {":one": {"N": "1"}}),
    ("SET e = :one - c", {":one": {"N": "1"}}),
    ("SET e = list_append(ns, :empty)", {":empty": {"L": []}}),
    ("SET e = list_append(d, if_not_exists(f, :one))", {":one": {"N": "1"}}),
])
def test_attribute_of_the_wrong_type_in_a_set_value(ddb, table, expression, values):
    # dynalite updateItem.js "using expression to delete/add incorrect types": an attribute read
    # from the item gets the generic message, not the parser's "Incorrect operand type".
    assert _update_fails(ddb, table, UpdateExpression=expression, ExpressionAttributeValues=values) == (
        "ValidationException", WRONG_TYPE, 400)


@pytest.mark.parametrize("expression, values, message", [
    # A literal of the wrong type is refused even though the attribute beside it is missing.
    ("SET e = nothere + :s", {":s": {"S": "x"}},
     "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S"),
    ("SET e = list_append(nothere, :s)", {":s": {"SS": ["x"]}},
     "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: SS"),
    ("DELETE q :n", {":n": {"N": "1"}},
     "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER"),
    ("ADD q :l", {":l": {"L": []}},
     "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: LIST"),
])
def test_literal_operand_types_are_checked_before_the_condition(ddb, table, expression, values, message):
    # The condition below fails, but DynamoDB validates the expression before it reads the item.
    got = _update_fails(ddb, table, UpdateExpression=expression, ExpressionAttributeValues=values,
                        ConditionExpression="attribute_not_exists(pk)")
    assert got == ("ValidationException", message, 400)


def test_overlap_is_reported_before_an_earlier_conflict(ddb, table):
    # dynalite updateItem.js "overlapping paths": d[1] and d.b conflict, c[1].a and c overlap.
    got = _update_fails(ddb, table, UpdateExpression="SET d[1] = :v, d.b = :v, c[1].a = :v, c = :v",
                        ExpressionAttributeValues={":v": {"S": "v"}})
    assert got == ("ValidationException", "Invalid UpdateExpression: Two document paths overlap with each other; "
                   "must remove or rewrite one of these paths; path one: [c, [1], a], path two: [c]", 400)


def test_parentheses_around_set_values(ddb, table):
    result = ddb.update_item(TableName=table, Key={"pk": {"S": "k"}}, UpdateExpression="SET a = (n + :two), b = (n) - (:two)",
                             ExpressionAttributeValues={":two": {"N": "2"}}, ReturnValues="UPDATED_NEW")
    assert result["Attributes"] == {"a": {"N": "3"}, "b": {"N": "-1"}}


@pytest.mark.parametrize("condition", ["((n = :one))", "((n)) = :one", "NOT ((n = :one))"])
def test_redundant_parentheses(ddb, table, condition):
    assert _condition_fails(ddb, table, condition, {":one": {"N": "1"}}) == (
        "ValidationException", "Invalid ConditionExpression: The expression has redundant parentheses;", 400)


@pytest.mark.parametrize("condition", ["((n = :one) AND (s = :text))", "(n) = :one", "((n) = :one)",
                                       "(s) BETWEEN :text AND :text", "(n) IN (:one)"])
def test_parentheses_that_are_not_redundant(ddb, table, condition):
    values = {":one": {"N": "1"}, ":text": {"S": "text"}}
    ddb.update_item(TableName=table, Key={"pk": {"S": "k"}}, UpdateExpression="SET touched = :one",
                    ConditionExpression=condition,
                    ExpressionAttributeValues={k: v for k, v in values.items() if k in condition + ":one"})


@pytest.mark.parametrize("condition, names, operator, first", [
    ("n = n", None, "=", "[n]"),
    ("c.x <> c.x", None, "<>", "[c, x]"),
    ("contains(#s, s)", {"#s": "s"}, "contains", "[s]"),
    ("begins_with(s, s)", None, "begins_with", "[s]"),
])
def test_operands_must_be_distinct(ddb, table, condition, names, operator, first):
    assert _condition_fails(ddb, table, condition, names=names) == (
        "ValidationException", "Invalid ConditionExpression: The first operand must be distinct from the remaining "
        f"operands for this operator or function; operator: {operator}, first operand: {first}", 400)


def test_between_bounds_of_different_types(ddb, table):
    assert _condition_fails(ddb, table, "n BETWEEN :low AND :high", {":low": {"N": "1"}, ":high": {"S": "10"}}) == (
        "ValidationException", "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower "
        "and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:10}", 400)


def test_attribute_type_needs_a_string_operand(ddb, table):
    assert _condition_fails(ddb, table, "attribute_type(n, :t)", {":t": {"N": "1"}}) == (
        "ValidationException", "Invalid ConditionExpression: Incorrect operand type for operator or function; "
        "operator or function: attribute_type, operand type: N", 400)


def test_in_takes_at_most_100_values(ddb, table):
    values = {f":v{i}": {"N": str(i)} for i in range(101)}
    in_101 = "n IN (" + ", ".join(values) + ")"
    assert _condition_fails(ddb, table, in_101, values) == (
        "ValidationException",
        "Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101", 400)
    del values[":v100"]
    ddb.update_item(TableName=table, Key={"pk": {"S": "k"}}, UpdateExpression="SET touched = :v1",
                    ConditionExpression="n IN (" + ", ".join(values) + ")", ExpressionAttributeValues=values)


def test_expressions_are_at_most_4_kb(ddb, table):
    # "The maximum length of any expression string is 4 KB" (developer guide, quotas); the
    # message is the one users quote from DynamoDB for a long FilterExpression.
    at_limit = "n = :one" + " " * (4096 - len("n = :one"))
    ddb.scan(TableName=table, FilterExpression=at_limit, ExpressionAttributeValues={":one": {"N": "1"}})
    with pytest.raises(ClientError) as excinfo:
        ddb.scan(TableName=table, FilterExpression=at_limit + " ", ExpressionAttributeValues={":one": {"N": "1"}})
    assert error_of(excinfo) == ("ValidationException", "Invalid FilterExpression: Expression size has exceeded "
                                 "the maximum allowed size; expression size: 4097", 400)


def test_deep_nesting_is_a_validation_error_not_a_crash(ddb, table):
    # What DynamoDB answers here is not documented (the message is Overcast's); what matters is
    # that the server does not fail with an internal error.
    condition = "(NOT " * 600 + "n = :one" + ")" * 600
    with pytest.raises(ClientError) as excinfo:
        ddb.scan(TableName=table, FilterExpression=condition, ExpressionAttributeValues={":one": {"N": "1"}})
    assert error_of(excinfo) == ("ValidationException", "Invalid FilterExpression: The expression is nested too deeply;", 400)


def test_legacy_add_appends_to_a_list_and_refuses_a_string(ddb, table):
    # dynalite updateItem.js: "should add list value" and "trying to add incorrect types".
    result = ddb.update_item(TableName=table, Key={"pk": {"S": "k"}}, ReturnValues="UPDATED_NEW",
                             AttributeUpdates={"d": {"Action": "ADD", "Value": {"L": [{"S": "c"}]}}})
    assert result["Attributes"] == {"d": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]}}
    assert _update_fails(ddb, table, AttributeUpdates={"s": {"Action": "ADD", "Value": {"S": "x"}}}) == (
        "ValidationException", "One or more parameter values were invalid: ADD action is not supported for the type S", 400)


@pytest.mark.parametrize("condition, message", [
    # Base messages from DynamoDB Local's own list of expression errors (DbValidationError).
    ("if_not_exists(n, :one) = :one",
     "The function is not allowed in a condition expression; function: if_not_exists"),
    ("list_append(d, :one) = :one", "The function is not allowed in a condition expression; function: list_append"),
    # dynalite's condition grammar: a condition function used as an operand of a comparator.
    ("attribute_exists(n) = :one", "The function is not allowed to be used this way in an expression; function: attribute_exists"),
    # "The maximum depth of nesting for document paths is 32" (developer guide, quotas).
    ("attribute_exists(" + ".".join(["c"] * 33) + ")", "The document path has too many nesting levels; nesting levels: 33"),
    ("attribute_exists(d[2147483648])", "List index is not within the allowable range; index: [2147483648]"),
])
def test_condition_refusals(ddb, table, condition, message):
    values = {":one": {"N": "1"}} if ":one" in condition else {}
    assert _condition_fails(ddb, table, condition, values) == ("ValidationException", f"Invalid ConditionExpression: {message}", 400)


def test_deepest_allowed_path(ddb, table):
    ddb.update_item(TableName=table, Key={"pk": {"S": "k"}}, UpdateExpression="SET touched = :t",
                    ConditionExpression="attribute_not_exists(" + ".".join(["c"] * 32) + ")",
                    ExpressionAttributeValues={":t": {"BOOL": True}})
