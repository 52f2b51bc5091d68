"""Single-item operations checked against DynamoDB's recorded answers: ReturnValues per operation,
number and set validation messages. Sources: paritysuite/dynamodb-conformance
(tests/tier3/error-messages/{putItem,deleteItem,valueLayers}.test.ts, recorded against DynamoDB)
and dynalite's suite."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.services.dynamodb.conftest import error_of

ENUM = ("1 validation error detected: Value '{}' at 'returnValues' failed to satisfy constraint: "
        "Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]")
ONLY_OLD = "1 validation error detected: ReturnValues can only be ALL_OLD or NONE"
NOT_NUMERIC = "The parameter cannot be converted to a numeric value: "
INVALID = "One or more parameter values were invalid: "
ONE = "1 validation error detected: "  # PutItem, UpdateItem and DeleteItem's envelope for a bad value


@pytest.fixture
def table(make_table):
    return make_table("S")


def _refusal(call, **kwargs) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_of(excinfo)


@pytest.mark.parametrize("value", ["ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"])
def test_put_and_delete_take_only_all_old_or_none(ddb, table, value):
    key = {"pk": {"S": "rv"}}
    assert _refusal(ddb.put_item, TableName=table, Item=key, ReturnValues=value) == (
        "ValidationException", ONLY_OLD, 400)
    assert _refusal(ddb.delete_item, TableName=table, Key=key, ReturnValues=value) == (
        "ValidationException", ONLY_OLD, 400)


def test_return_values_outside_the_enum_are_refused_before_the_table_is_looked_up(ddb, table):
    key = {"pk": {"S": "rv"}}
    for name in (table, "no-such-table"):
        assert _refusal(ddb.put_item, TableName=name, Item=key, ReturnValues="JUNK") == (
            "ValidationException", ENUM.format("JUNK"), 400)
        assert _refusal(ddb.delete_item, TableName=name, Key=key, ReturnValues="all_old") == (
            "ValidationException", ENUM.format("all_old"), 400)
        assert _refusal(ddb.update_item, TableName=name, Key=key, ReturnValues="BOGUS",
                        UpdateExpression="SET a = :a", ExpressionAttributeValues={":a": {"S": "x"}}) == (
            "ValidationException", ENUM.format("BOGUS"), 400)
    assert _refusal(ddb.put_item, TableName="no-such-table", Item=key, ReturnValues="ALL_NEW") == (
        "ValidationException", ONLY_OLD, 400)


@pytest.mark.parametrize("text", ["abc", "", " 1", "1 ", "0x10", "1e", "NaN", "Infinity", "1.2.3", "1_000", "١"])
def test_a_string_that_is_no_number_is_quoted_in_the_message(ddb, make_table, text):
    # PutItem answers in the one-error envelope, GetItem bare (valueLayers.test.ts).
    table = make_table("S", "N")
    message = ("ValidationException", NOT_NUMERIC + text, 400)
    enveloped = ("ValidationException", ONE + NOT_NUMERIC + text, 400)
    assert _refusal(ddb.put_item, TableName=table,
                    Item={"pk": {"S": "k"}, "sk": {"N": "1"}, "n": {"N": text}}) == enveloped
    assert _refusal(ddb.put_item, TableName=table,
                    Item={"pk": {"S": "k"}, "sk": {"N": "1"}, "n": {"NS": ["1", text]}}) == enveloped
    assert _refusal(ddb.get_item, TableName=table, Key={"pk": {"S": "k"}, "sk": {"N": text}}) == message


@pytest.mark.parametrize("text, stored", [("+1", "1"), (".5", "0.5"), ("5.", "5"), ("-0.0e5", "0"), ("1E+2", "100")])
def test_numbers_in_every_form_java_reads_are_accepted(ddb, table, text, stored):
    ddb.put_item(TableName=table, Item={"pk": {"S": "n"}, "n": {"N": text}})
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "n"}})["Item"]["n"] == {"N": stored}


# Repeated members are a layered refusal (PutItem's in the envelope, valueLayers.test.ts); an empty
# set keeps one wording everywhere.
@pytest.mark.parametrize("value, message", [
    ({"SS": ["b", "a", "b"]}, ONE + INVALID + 'Input collection ["a", "b", "b"] contains duplicates.'),
    ({"SS": ["c", "b", "a", "b", "z"]}, ONE + INVALID + 'Input collection ["a", "b", "c", "b", "z"] contains duplicates.'),
    ({"BS": [b"\xff", b"\x00", b"\x00"]},
     ONE + INVALID + 'Input collection ["AA==","/w==","AA=="]of type BS contains duplicates.'),
    ({"NS": ["2", "1", "2"]}, ONE + INVALID + "Input collection contains duplicates."),
    ({"NS": ["1", "1.0"]}, ONE + INVALID + "Input collection contains duplicates."),
    ({"BS": []}, INVALID + "Binary sets should not be empty"),
    ({"NS": []}, INVALID + "An number set  may not be empty"),
])
def test_set_messages(ddb, table, value, message):
    assert _refusal(ddb.put_item, TableName=table, Item={"pk": {"S": "s"}, "s": value}) == (
        "ValidationException", message, 400)


def _nested(levels: int, kind: str) -> dict:
    value: dict = {"S": "leaf"}
    for _ in range(levels):
        value = {"M": {"n": value}} if kind == "M" else {"L": [value]}
    return value


@pytest.mark.parametrize("kind", ["M", "L"])
def test_a_document_may_nest_its_leaf_at_level_32_and_no_deeper(ddb, table, kind):
    # The attribute is level 1: 31 wraps put the leaf at level 32, 32 wraps at level 33.
    ddb.put_item(TableName=table, Item={"pk": {"S": "deep"}, "d": _nested(31, kind)})
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "deep"}})["Item"]["d"] == _nested(31, kind)
    assert _refusal(ddb.put_item, TableName=table, Item={"pk": {"S": "deep"}, "d": _nested(32, kind)}) == (
        "ValidationException",
        "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond "
        "supported limit", 400)


# Bytes a number costs at the 400 KB gate, as measured against DynamoDB (numberByteSize.test.ts).
@pytest.mark.parametrize("text, cost", [
    ("0", 1), ("1", 2), ("12", 2), ("123", 3), ("1234", 3), ("0042", 2), ("100", 2), ("1010", 3),
    ("0.0000001", 2), ("1E125", 2), ("1E-100", 2), ("1.5", 3), ("15", 2), ("1.200", 3), ("1.234", 4),
    ("3.14159", 5), ("123456", 4), ("100.5", 4), ("0.15", 2), ("-42", 3), ("-0", 1),
    ("12345678901234567890123456789012345678", 20),
])
def test_an_item_is_sized_with_numbers_counted_as_dynamodb_counts_them(ddb, table, text, cost):
    def item(total: int) -> dict:
        padding = total - len("pk") - 1 - len("n") - cost - len("p")
        return {"pk": {"S": "z"}, "n": {"N": text}, "p": {"S": "x" * padding}}

    ddb.put_item(TableName=table, Item=item(409_600))
    assert _refusal(ddb.put_item, TableName=table, Item=item(409_601)) == (
        "ValidationException", "Item size has exceeded the maximum allowed size", 400)


@pytest.mark.parametrize("action", ["BOGUS", "put"])
def test_attribute_updates_actions_are_an_enum(ddb, table, action):
    assert _refusal(ddb.update_item, TableName=table, Key={"pk": {"S": "au"}},
                    AttributeUpdates={"q": {"Action": action, "Value": {"N": "2"}}}) == (
        "ValidationException",
        f"1 validation error detected: Value '{action}' at 'attributeUpdates.q.member.action' failed to satisfy "
        "constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]", 400)
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "au"}})


@pytest.mark.parametrize("updates", [
    {"b": {"Action": "DELETE", "Value": {"NS": ["1"]}}},  # from a string set
    {"c": {"Action": "DELETE", "Value": {"NS": ["1"]}}},  # from a number
    {"b": {"Action": "ADD", "Value": {"NS": ["1"]}}},
    {"d": {"Action": "ADD", "Value": {"N": "1"}}},  # to a number set
])
def test_attribute_updates_of_another_type_are_a_type_mismatch(ddb, table, updates):
    key = {"pk": {"S": "mismatch"}}
    ddb.put_item(TableName=table, Item={**key, "b": {"SS": ["1"]}, "c": {"N": "1"}, "d": {"NS": ["1"]}})
    assert _refusal(ddb.update_item, TableName=table, Key=key, AttributeUpdates=updates) == (
        "ValidationException", "Type mismatch for attribute to update", 400)


def test_attribute_updates_types_are_refused_before_the_expected_condition(ddb, table):
    key = {"pk": {"S": "legacy-order"}}
    for action, value, message in [("ADD", {"S": "x"}, "ADD action is not supported for the type S"),
                                   ("DELETE", {"N": "1"}, "DELETE action with value is not supported for the type N")]:
        assert _refusal(ddb.update_item, TableName=table, Key=key, Expected={"a": {"Exists": True, "Value": {"S": "no"}}},
                        AttributeUpdates={"q": {"Action": action, "Value": value}}) == (
            "ValidationException", INVALID + message, 400)


def test_a_request_naming_a_missing_table_is_refused_for_its_own_errors_first(ddb):
    absent = "no-such-table-items"
    bad = {"N": "abc"}
    assert _refusal(ddb.put_item, TableName=absent, Item={"pk": {"S": "a"}, "n": bad}) == (
        "ValidationException", ONE + NOT_NUMERIC + "abc", 400)
    assert _refusal(ddb.get_item, TableName=absent, Key={"pk": bad}) == ("ValidationException", NOT_NUMERIC + "abc", 400)
    assert _refusal(ddb.delete_item, TableName=absent, Key={"pk": {"S": "a"}}, Expected={"a": {"Exists": True}}) == (
        "ValidationException", ONE + INVALID + "Value must be provided when Exists is true for Attribute: a", 400)
    assert _refusal(ddb.update_item, TableName=absent, Key={"pk": {"S": "a"}},
                    AttributeUpdates={"q": {"Action": "ADD", "Value": {"S": "x"}}}) == (
        "ValidationException", INVALID + "ADD action is not supported for the type S", 400)
    assert _refusal(ddb.update_item, TableName=absent, Key={"pk": {"S": "a"}}, UpdateExpression="SET a = :a") == (
        "ValidationException",
        ONE + "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :a",
        400)
    # A valid request is then told the table is not there.
    assert _refusal(ddb.put_item, TableName=absent, Item={"pk": {"S": "a"}, "n": {"N": "1"}}) == (
        "ResourceNotFoundException", "Requested resource not found", 400)
    assert _refusal(ddb.update_item, TableName=absent, Key={"pk": {"S": "a"}}, UpdateExpression="SET a = :a",
                    ExpressionAttributeValues={":a": {"S": "x"}}) == (
        "ResourceNotFoundException", "Requested resource not found", 400)


def test_mixed_parameters_named_once(ddb, table):
    key = {"pk": {"S": "mixed"}}
    assert _refusal(ddb.put_item, TableName=table, Item=key, Expected={"pk": {"Exists": False}},
                    ConditionExpression="attribute_not_exists(pk)") == (
        "ValidationException", "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}", 400)


def test_empty_attribute_name_refused(ddb, table):
    assert _refusal(ddb.get_item, TableName=table, Key={"pk": {"S": "a"}}, ProjectionExpression="#a",
                    ExpressionAttributeNames={"#a": ""}) == (
        "ValidationException", "ExpressionAttributeNames contains invalid value: Empty attribute name for key #a", 400)


# paritysuite/dynamodb-conformance, valueLayers.test.ts (four Regions; us-east-1 where they differ):
# the same bad values, worded by the layer each operation runs.
def test_value_refusals_by_layer(ddb, table):
    key, bad, dupes = {"pk": {"S": "vl"}}, {"N": ""}, {"SS": ["b", "a", "b"]}
    current_dupes = INVALID + 'Input collection ["a", "b", "b"] contains duplicates.'
    older_dupes = INVALID + "Input collection [b, a, b] contains duplicates."
    # Current layer: PutItem, UpdateItem, DeleteItem enveloped, wherever the value sits; Query bare.
    assert _refusal(ddb.update_item, TableName=table, Key=key, UpdateExpression="SET n = :v",
                    ExpressionAttributeValues={":v": bad})[1] == ONE + NOT_NUMERIC
    assert _refusal(ddb.delete_item, TableName=table, Key=key, ConditionExpression="s = :t",
                    ExpressionAttributeValues={":t": dupes})[1] == ONE + current_dupes
    assert _refusal(ddb.put_item, TableName=table, Item=key, Expected={"s": {"Value": dupes}})[1] == ONE + current_dupes
    assert _refusal(ddb.query, TableName=table, KeyConditionExpression="pk = :p", FilterExpression="n = :v",
                    ExpressionAttributeValues={":p": {"S": "vl"}, ":v": bad})[1] == NOT_NUMERIC
    # Older layer: BatchWriteItem, TransactWriteItems, TransactGetItems, Scan, expression values wrapped.
    assert _refusal(ddb.batch_write_item, RequestItems={table: [{"PutRequest": {"Item": {**key, "n": bad}}}]})[1] \
        == "The parameter cannot be converted to a numeric value"
    assert _refusal(ddb.batch_write_item, RequestItems={table: [{"PutRequest": {"Item": {**key, "s": dupes}}}]})[1] \
        == older_dupes
    assert _refusal(ddb.scan, TableName=table, FilterExpression="s = :t", ExpressionAttributeValues={":t": dupes})[1] \
        == f"ExpressionAttributeValues contains invalid value: {older_dupes} for key :t"
    assert _refusal(ddb.transact_write_items, TransactItems=[{"Update": {
        "TableName": table, "Key": key, "UpdateExpression": "SET n = :v",
        "ExpressionAttributeValues": {":v": {"N": "1e2147483647"}}}}])[1] == (
        "ExpressionAttributeValues contains invalid value: Number underflow. Attempting to store a number with "
        "magnitude smaller than supported range for key :v")
    assert _refusal(ddb.transact_get_items, TransactItems=[{"Get": {"TableName": table, "Key": {"pk": {"NS": ["2", "1", "2"]}}}}])[1] \
        == "Input collection contains duplicates"


# paritysuite/dynamodb-conformance, validation-ordering/deepRequests.test.ts.
def test_empty_attribute_name_in_an_item(ddb, table):
    item = {"pk": {"S": "e"}, "": {"S": "x"}, "d": _nested(100, "M")}
    assert _refusal(ddb.transact_write_items, TransactItems=[{"Put": {"TableName": table, "Item": item}}]) == (
        "ValidationException", "Empty attribute name", 400)
    assert _refusal(ddb.put_item, TableName=table, Item={"pk": {"S": "e"}, "": {"S": "x"}})[0] == "ValidationException"
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "e"}})


def test_update_expression_size_refusal_stops_at_the_semicolon(ddb, table):
    expression = "SET " + ", ".join(f"a{i} = :v" for i in range(500))
    assert _refusal(ddb.update_item, TableName=table, Key={"pk": {"S": "u"}}, UpdateExpression=expression,
                    ExpressionAttributeValues={":v": {"S": "x"}}) == (
        "ValidationException", "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size;", 400)


# paritysuite/dynamodb-conformance, limits/itemSizeBySurface.test.ts (22 of 33 Regions, us-east-1
# among them): a standalone UpdateItem is charged max(finished item, 3 + each clause's charge),
# so at a one-byte key `SET p = :p` stops at a 409,581-byte item; a transacted Update does not.
def test_update_item_is_charged_for_its_statement(ddb, table):
    key = {"pk": {"S": "X"}}
    too_big = ("ValidationException", "Item size to update has exceeded the maximum allowed size", 400)

    def set_p(length: int, **extra):
        return ddb.update_item(TableName=table, Key=key, UpdateExpression="SET p = :p",
                               ExpressionAttributeValues={":p": {"S": "x" * length}}, **extra)

    set_p(409_577)  # charge 3 + 19 + 1 + 409,577 = 409,600: the ceiling
    assert _refusal(set_p, length=409_578) == too_big
    # Checked before the condition, which would have failed.
    assert _refusal(set_p, length=409_578, ConditionExpression="attribute_not_exists(pk)") == too_big
    assert len(ddb.get_item(TableName=table, Key=key)["Item"]["p"]["S"]) == 409_577
    # Each further clause costs its own 19 (SET) or 1 (REMOVE) plus its target.
    assert _refusal(ddb.update_item, TableName=table, Key=key, UpdateExpression="SET p = :p REMOVE r",
                    ExpressionAttributeValues={":p": {"S": "x" * 409_576}}) == too_big
    ddb.transact_write_items(TransactItems=[{"Update": {
        "TableName": table, "Key": key, "UpdateExpression": "SET p = :p",
        "ExpressionAttributeValues": {":p": {"S": "x" * 409_578}}}}])  # measured by the finished item alone
    assert len(ddb.get_item(TableName=table, Key=key)["Item"]["p"]["S"]) == 409_578


def test_item_writes_refuse_the_request_form_in_the_envelope(ddb, make_table):
    """paritysuite/dynamodb-conformance deleteItem.test.ts and putItem.test.ts, "request validation
    envelope" (eu-west-2 and us-east-1, 2026): PutItem, UpdateItem and DeleteItem put these in the
    one-error envelope; GetItem and Query, which read the same members, answer them bare."""
    name = make_table("S")
    key = {"pk": {"S": "envelope"}}

    def delete(**extra) -> str:
        return _refusal(ddb.delete_item, TableName=name, Key=key, **extra)[1]

    assert delete(ExpressionAttributeValues={":v": {"S": "x"}}) == (
        ONE + "ExpressionAttributeValues can only be specified when using expressions")
    assert delete(ExpressionAttributeNames={"#a": "a"}) == ONE + "ExpressionAttributeNames can only be specified when using expressions"
    assert delete(Expected={"a": {"Exists": False}}, ExpressionAttributeNames={"#a": "a"}) == (
        ONE + "ExpressionAttributeNames can only be specified when using expressions")
    condition = {"ConditionExpression": "attribute_exists(a)"}
    assert delete(**condition, ExpressionAttributeValues={}) == ONE + "ExpressionAttributeValues must not be empty"
    assert delete(**condition, ExpressionAttributeNames={}) == ONE + "ExpressionAttributeNames must not be empty"
    assert delete(ConditionExpression="") == ONE + "Invalid ConditionExpression: The expression can not be empty;"
    malformed = [({"Exists": True}, "Value must be provided when Exists is true for Attribute: a"),
                 ({"Exists": False, "Value": {"S": "x"}}, "Value cannot be used when Exists is false for Attribute: a"),
                 ({"Value": {"S": "x"}, "ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]},
                  "Value and AttributeValueList cannot be used together for Attribute: a"),
                 ({"ComparisonOperator": "EQ"}, "Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a"),
                 ({"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"S": "x"}]},
                  "Invalid number of argument(s) for the BETWEEN ComparisonOperator")]
    for spec, message in malformed:
        assert delete(Expected={"a": spec}) == ONE + INVALID + message
    assert _refusal(ddb.put_item, TableName=name, Item=key, ConditionExpression="")[1] == (
        ONE + "Invalid ConditionExpression: The expression can not be empty;")
    assert _refusal(ddb.update_item, TableName=name, Key=key, UpdateExpression="SET b = :w", ConditionExpression="a = :v",
                    ExpressionAttributeValues={":w": {"S": "x"}})[1] == (
        ONE + "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v")
    # Bare outside the item writes.
    assert _refusal(ddb.get_item, TableName=name, Key=key, ExpressionAttributeNames={"#a": "a"})[1] == (
        "ExpressionAttributeNames can only be specified when using expressions")
    assert _refusal(ddb.query, TableName=name, KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={})[1] == "ExpressionAttributeValues must not be empty"
    assert _refusal(ddb.query, TableName=name, KeyConditions={"pk": {"ComparisonOperator": "BETWEEN",
                                                                     "AttributeValueList": [{"S": "x"}]}})[1] == (
        INVALID + "Invalid number of argument(s) for the BETWEEN ComparisonOperator")


def test_update_item_joins_member_errors_beside_a_missing_key_in_member_order(raw):
    """paritysuite validation-ordering/updateItem.test.ts (eu-west-2 and us-east-1): with Key left
    out, the other members' problems are joined with it in Coral's member order."""
    empty_name = "Value '' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 1"
    no_key = "Value null at 'key' failed to satisfy constraint: Member must not be null"
    update = {"UpdateExpression": "SET a = :a", "ExpressionAttributeValues": {":a": {"S": "x"}}}
    assert _refusal(raw.update_item, TableName="", **update) == (
        "ValidationException", f"2 validation errors detected: {empty_name}; {no_key}", 400)
    assert _refusal(raw.update_item, TableName="", **update, ReturnConsumedCapacity="INVALID", ReturnValues="INVALID") == (
        "ValidationException", "4 validation errors detected: "
        "Value 'INVALID' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: "
        f"[INDEXES, TOTAL, NONE]; {empty_name}; Value 'INVALID' at 'returnValues' failed to satisfy constraint: Member must "
        f"satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]; {no_key}", 400)
    assert _refusal(raw.update_item, TableName="no-such-table-vo", AttributeUpdates={"x": {"Action": "PUT", "Value": {"S": "1"}}},
                    Expected={"a": {"Exists": False}, "b": {"Exists": False}}, ConditionalOperator="XOR") == (
        "ValidationException", "2 validation errors detected: Value 'XOR' at 'conditionalOperator' failed to satisfy "
        f"constraint: Member must satisfy enum value set: [OR, AND]; {no_key}", 400)
