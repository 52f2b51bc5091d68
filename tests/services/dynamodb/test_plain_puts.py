"""Puts without conditions (PutItem, and TransactWriteItems of puts only), which take the shortest
path through validation and storage: values of every type stored as DynamoDB normalises them,
the same errors as any other put, TTL expiry kept or cleared, and mistyped JSON refused."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from tests.conftest import make_client
from tests.services.dynamodb.conftest import error_of
from tests.support.raw_http import json_call, move_clock

TARGET = "DynamoDB_20120810."


@pytest.fixture
def table(make_table):
    return make_table("S")


def _put(table: str, item: dict) -> dict:
    return {"Put": {"TableName": table, "Item": item}}


def test_values_of_every_type_are_normalised_in_both_paths(ddb, table):
    values = {"n": {"N": "042.50"}, "zero": {"N": "-0"}, "int": {"N": "7"}, "empty": {"S": ""},
              "b": {"B": b"\x00\x01"}, "m": {"M": {"x": {"N": "1.0"}, "y": {"L": [{"S": "a"}, {"NULL": True}]}}},
              "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1.50", "2"]}, "bool": {"BOOL": False}}
    expected = {**values, "n": {"N": "42.5"}, "zero": {"N": "0"},
                "m": {"M": {"x": {"N": "1"}, "y": {"L": [{"S": "a"}, {"NULL": True}]}}}, "ns": {"NS": ["1.5", "2"]}}
    ddb.put_item(TableName=table, Item={"pk": {"S": "single"}, **values})
    ddb.transact_write_items(TransactItems=[_put(table, {"pk": {"S": f"tx-{i}"}, **values}) for i in range(3)])
    for key in ("single", "tx-0", "tx-2"):
        item = ddb.get_item(TableName=table, Key={"pk": {"S": key}})["Item"]
        ns = sorted(item.pop("ns")["NS"])
        assert ns == ["1.5", "2"]
        assert item == {"pk": {"S": key}, **{k: v for k, v in expected.items() if k != "ns"}}


# A key that does not match the schema cancels a transaction (its action's reason carries the
# message PutItem gives); the other faults refuse the whole request, as PutItem does.
KEY_MISMATCHES = [
    ({"payload": {"S": "x"}}, "One or more parameter values were invalid: Missing the key pk in the item"),
    ({"pk": {"N": "1"}}, "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"),
]


def _refused_alone_and_in_a_transaction(ddb, table: str, item: dict, message: str):
    """PutItem refuses `item` with `message`; a transaction putting a good item before it is
    refused too (its error returned) and writes nothing."""
    with pytest.raises(ClientError) as single:
        ddb.put_item(TableName=table, Item=item)
    assert error_of(single) == ("ValidationException", message, 400)
    with pytest.raises(ClientError) as transaction:
        ddb.transact_write_items(TransactItems=[_put(table, {"pk": {"S": "fine"}}), _put(table, item)])
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "fine"}})
    return transaction


@pytest.mark.parametrize(("item", "message"), KEY_MISMATCHES)
def test_key_mismatches_cancel_a_transaction(ddb, table, item, message):
    transaction = _refused_alone_and_in_a_transaction(ddb, table, item, message)
    code, _, status = error_of(transaction)
    assert (code, status) == ("TransactionCanceledException", 400)
    assert transaction.value.response["CancellationReasons"] == [
        {"Code": "None"}, {"Code": "ValidationError", "Message": message}]


OVERFLOW = "Number overflow. Attempting to store a number with magnitude larger than supported range"
UNDERFLOW = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
NOT_NUMERIC = "The parameter cannot be converted to a numeric value"


# Faults of the item as a whole are worded alike; a bad value itself is answered in the current
# layer by PutItem (in the one-error envelope) and in the older layer by TransactWriteItems
# (paritysuite/dynamodb-conformance, valueLayers.test.ts; see errors.InvalidAttributeValue).
@pytest.mark.parametrize(("item", "message", "in_a_transaction"), [
    ({"pk": {"S": ""}}, "One or more parameter values are not valid. The AttributeValue for a key attribute "
                        "cannot contain an empty string value. Key: pk", None),
    ({"pk": {"S": "é" * 1025}}, "One or more parameter values were invalid: Size of hashkey has exceeded the "
                                "maximum size limit of2048 bytes", None),
    ({"pk": {"S": "k"}, "big": {"S": "x" * 400 * 1024}}, "Item size has exceeded the maximum allowed size", None),
    ({"pk": {"S": "k"}, "n": {"N": "1e126"}}, "1 validation error detected: " + OVERFLOW, OVERFLOW),
    # Exponents counted in full up to 64 bits (neither a crash nor a silent infinity or zero),
    # and zeros range-checked by their written exponent, as DynamoDB does.
    # (the older layer, reading numbers as Java's BigDecimal, cannot hold an exponent past 32 bits)
    ({"pk": {"S": "k"}, "n": {"N": "1e2147483648"}}, "1 validation error detected: " + OVERFLOW,
     f"{NOT_NUMERIC}: 1e2147483648"),
    # The older layer reads a decimal exponent past 32 bits as Java wraps it: an underflow.
    ({"pk": {"S": "k"}, "n": {"N": "1e2147483647"}}, "1 validation error detected: " + OVERFLOW, UNDERFLOW),
    ({"pk": {"S": "k"}, "n": {"N": "1e-99999999999"}}, "1 validation error detected: " + UNDERFLOW,
     f"{NOT_NUMERIC}: 1e-99999999999"),
    ({"pk": {"S": "k"}, "n": {"N": "1e9223372036854775808"}},
     f"1 validation error detected: {NOT_NUMERIC}: 1e9223372036854775808", f"{NOT_NUMERIC}: 1e9223372036854775808"),
    # An exponent too long even for Python's int() parsing (was a 500).
    ({"pk": {"S": "k"}, "n": {"N": "0e" + "9" * 5000}},
     f"1 validation error detected: {NOT_NUMERIC}: 0e" + "9" * 5000, f"{NOT_NUMERIC}: 0e" + "9" * 5000),
    ({"pk": {"S": "k"}, "n": {"N": ""}}, f"1 validation error detected: {NOT_NUMERIC}: ", NOT_NUMERIC),
    ({"pk": {"S": "k"}, "n": {"N": "0e126"}}, "1 validation error detected: " + OVERFLOW, OVERFLOW),
    ({"pk": {"S": "k"}, "n": {"N": "0e-131"}}, "1 validation error detected: " + UNDERFLOW, UNDERFLOW),
    ({"pk": {"S": "k"}, "s": {"SS": ["b", "a", "b"]}},
     '1 validation error detected: One or more parameter values were invalid: Input collection ["a", "b", "b"] '
     'contains duplicates.',
     "One or more parameter values were invalid: Input collection [b, a, b] contains duplicates."),
    ({"pk": {"S": "k"}, "s": {"NS": ["2", "1", "2"]}},
     "1 validation error detected: One or more parameter values were invalid: Input collection contains duplicates.",
     "Input collection contains duplicates"),
])
def test_invalid_items_are_refused_alike(ddb, table, item, message, in_a_transaction):
    transaction = _refused_alone_and_in_a_transaction(ddb, table, item, message)
    assert error_of(transaction) == ("ValidationException", in_a_transaction or message, 400)


def test_a_key_of_1024_multibyte_characters_is_within_the_limit(ddb, table):
    key = {"pk": {"S": "é" * 1024}}  # 2,048 bytes: the hash key limit exactly
    ddb.transact_write_items(TransactItems=[_put(table, {**key, "v": {"S": "x"}})])
    assert ddb.get_item(TableName=table, Key=key)["Item"]["v"] == {"S": "x"}


def test_ttl_of_plain_puts_is_kept_and_cleared(fresh_server):
    client = make_client("dynamodb", fresh_server.endpoint_url)
    client.create_table(TableName="expiring", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    client.update_time_to_live(TableName="expiring", TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"})
    soon = {"N": str(int(time.time()) + 3600)}
    client.transact_write_items(TransactItems=[
        _put("expiring", {"pk": {"S": "soon"}, "ttl": soon}),
        _put("expiring", {"pk": {"S": "no-ttl"}}),
        _put("expiring", {"pk": {"S": "not-a-number"}, "ttl": {"S": "tomorrow"}}),
        _put("expiring", {"pk": {"S": "cleared"}, "ttl": soon}),
        _put("expiring", {"pk": {"S": "later"}, "ttl": {"N": str(int(time.time()) + 30 * 86400)}}),
    ])
    client.put_item(TableName="expiring", Item={"pk": {"S": "single"}, "ttl": soon})
    # Overwritten without the attribute (by either path): the item no longer expires.
    client.transact_write_items(TransactItems=[_put("expiring", {"pk": {"S": "cleared"}, "v": {"S": "kept"}})])
    client.put_item(TableName="expiring", Item={"pk": {"S": "single-cleared"}, "ttl": soon})
    client.put_item(TableName="expiring", Item={"pk": {"S": "single-cleared"}})
    move_clock(fresh_server.endpoint_url, {"advance": 7200})
    expected = ["cleared", "later", "no-ttl", "not-a-number", "single-cleared"]
    for _ in range(100):  # the sweep runs on the scheduler's thread
        remaining = sorted(i["pk"]["S"] for i in client.scan(TableName="expiring")["Items"])
        if remaining == expected:
            break
        time.sleep(0.05)
    assert remaining == expected


@pytest.mark.parametrize(("value", "message"), [
    (b"123456789012345678901234", "NUMBER_VALUE cannot be converted to String"),
    (b"5", "NUMBER_VALUE cannot be converted to String"),
    (b'["x"]', "Start of list found where not expected."),
    (b'{"x": 1}', "Start of structure or map found where not expected."),
])
def test_mistyped_values_in_a_transaction_are_serialization_errors(server, table, value, message):
    for body in (b'{"TransactItems": [{"Put": {"TableName": %s, "Item": {"pk": {"S": "k"}}}}]}' % value,
                 b'{"TransactItems": [{"Put": {"TableName": "%s", "Item": {"pk": {"S": %s}}}}]}' % (table.encode(), value)):
        response = json_call(server.endpoint_url, "dynamodb", TARGET + "TransactWriteItems", body)
        assert response.status == 400
        assert response.json()["__type"].endswith("SerializationException")
        assert response.json()["message"] == message


def test_null_attribute_values_are_left_out(server, ddb, table):
    body = b'{"TableName": "%s", "Item": {"pk": {"S": "nulls"}, "gone": null, "n": {"N": "1"}}}' % table.encode()
    assert json_call(server.endpoint_url, "dynamodb", TARGET + "PutItem", body).status == 200
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "nulls"}})["Item"] == {"pk": {"S": "nulls"}, "n": {"N": "1"}}


def test_transactions_of_puts_over_several_tables_and_key_shapes(ddb, make_table, table):
    numbered = make_table("N", "S")
    binary = make_table("B")
    ddb.transact_write_items(TransactItems=[
        _put(table, {"pk": {"S": "one"}, "v": {"S": "a"}}),
        _put(numbered, {"pk": {"N": "007.0"}, "sk": {"S": "x"}, "v": {"S": "b"}}),
        _put(numbered, {"pk": {"N": "7"}, "sk": {"S": "y"}, "v": {"S": "c"}}),  # same partition, other item
        _put(binary, {"pk": {"B": b"\x00\xff"}, "v": {"S": "d"}}),
        _put(table, {"pk": {"S": "two"}, "v": {"S": "e"}}),
    ], ReturnConsumedCapacity="TOTAL")
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "two"}})["Item"]["v"] == {"S": "e"}
    assert [i["sk"]["S"] for i in ddb.query(TableName=numbered, KeyConditionExpression="pk = :p",
                                             ExpressionAttributeValues={":p": {"N": "7"}})["Items"]] == ["x", "y"]
    assert ddb.get_item(TableName=binary, Key={"pk": {"B": b"\x00\xff"}})["Item"]["v"] == {"S": "d"}
    # 7 and 007.0 are one number, so these two puts name one item.
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[
            _put(numbered, {"pk": {"N": "7"}, "sk": {"S": "z"}}),
            _put(numbered, {"pk": {"N": "7.00"}, "sk": {"S": "z"}}),
        ])
    assert error_of(excinfo) == (
        "ValidationException", "Transaction request cannot include multiple operations on one item", 400)
    assert "Item" not in ddb.get_item(TableName=numbered, Key={"pk": {"N": "7"}, "sk": {"S": "z"}})


def test_consumed_capacity_of_a_transaction_of_puts(ddb, make_table, table):
    other = make_table("S")
    response = ddb.transact_write_items(TransactItems=[
        _put(table, {"pk": {"S": "a"}}), _put(other, {"pk": {"S": "b"}}), _put(table, {"pk": {"S": "c"}}),
    ], ReturnConsumedCapacity="TOTAL")
    used = {c["TableName"]: c["CapacityUnits"] for c in response["ConsumedCapacity"]}
    assert used == {table: 4.0, other: 2.0}
