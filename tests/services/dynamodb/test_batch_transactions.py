"""BatchGetItem, BatchWriteItem, TransactGetItems, TransactWriteItems through boto3."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.services.dynamodb.conftest import error_of


@pytest.fixture
def table(make_table):
    return make_table("S")


def _key(value: str) -> dict:
    return {"pk": {"S": value}}


def test_batch_write_and_get(ddb, table):
    ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": {**_key(str(i)), "n": {"N": str(i)}}}} for i in range(25)]})
    result = ddb.batch_get_item(RequestItems={table: {"Keys": [_key(str(i)) for i in range(0, 25, 5)] + [_key("missing")],
                                                      "ProjectionExpression": "n"}})
    assert sorted(i["n"]["N"] for i in result["Responses"][table]) == ["0", "10", "15", "20", "5"]
    assert result["UnprocessedKeys"] == {}
    ddb.batch_write_item(RequestItems={table: [{"DeleteRequest": {"Key": _key(str(i))}} for i in range(10)]})
    assert ddb.scan(TableName=table, Select="COUNT")["Count"] == 15


def test_batch_errors(ddb, table):
    with pytest.raises(ClientError) as excinfo:
        ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": _key("a")}}, {"DeleteRequest": {"Key": _key("a")}}]})
    assert error_of(excinfo) == ("ValidationException", "Provided list of item keys contains duplicates", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.batch_get_item(RequestItems={table: {"Keys": [_key("a"), _key("a")]}})
    assert error_of(excinfo) == ("ValidationException", "Provided list of item keys contains duplicates", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.batch_get_item(RequestItems={table: {"Keys": [_key(str(i)) for i in range(101)]}})
    assert error_of(excinfo) == ("ValidationException", "1 validation error detected: Value at "
                                 f"'RequestItems.{table}.member.Keys' failed to satisfy constraint: "
                                 "Member must have length less than or equal to 100", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": _key(str(i))}} for i in range(26)]})
    assert error_of(excinfo)[0] == "ValidationException"


def test_batch_writer_resource(ddb_resource, table):
    resource_table = ddb_resource.Table(table)
    with resource_table.batch_writer(overwrite_by_pkeys=["pk"]) as writer:
        for i in range(60):
            writer.put_item(Item={"pk": f"k{i % 50}", "v": i})
    assert resource_table.scan(Select="COUNT")["Count"] == 50


def test_transact_write_all_or_nothing(ddb, table):
    ddb.put_item(TableName=table, Item={**_key("acct1"), "balance": {"N": "100"}})
    ddb.put_item(TableName=table, Item={**_key("acct2"), "balance": {"N": "0"}})
    ddb.put_item(TableName=table, Item=_key("bank"))
    move = lambda amount: [  # noqa: E731
        {"Update": {"TableName": table, "Key": _key("acct1"), "UpdateExpression": "SET balance = balance - :a",
                    "ConditionExpression": "balance >= :a", "ExpressionAttributeValues": {":a": {"N": str(amount)}}}},
        {"Update": {"TableName": table, "Key": _key("acct2"), "UpdateExpression": "SET balance = balance + :a",
                    "ExpressionAttributeValues": {":a": {"N": str(amount)}}}},
        {"Put": {"TableName": table, "Item": {**_key(f"log-{amount}"), "amount": {"N": str(amount)}}}},
        {"ConditionCheck": {"TableName": table, "Key": _key("bank"), "ConditionExpression": "attribute_exists(pk)"}},
    ]
    ddb.transact_write_items(TransactItems=move(60))
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=move(60))
    code, message, status = error_of(excinfo)
    assert (code, status) == ("TransactionCanceledException", 400)
    assert message == ("Transaction cancelled, please refer cancellation reasons for specific reasons "
                       "[ConditionalCheckFailed, None, None, None]")
    reasons = excinfo.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["ConditionalCheckFailed", "None", "None", "None"]
    got = ddb.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": _key(k)}} for k in ("acct1", "acct2", "nope")])
    assert [r.get("Item", {}).get("balance") for r in got["Responses"]] == [{"N": "40"}, {"N": "60"}, None]


def test_transaction_cancellation_returns_old_item(ddb, table):
    ddb.put_item(TableName=table, Item={**_key("x"), "v": {"N": "1"}})
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {**_key("y")}}},
            {"Delete": {"TableName": table, "Key": _key("x"), "ConditionExpression": "v = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}}, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        ])
    reasons = excinfo.value.response["CancellationReasons"]
    assert reasons[0] == {"Code": "None"}
    assert reasons[1]["Item"] == {**_key("x"), "v": {"N": "1"}}
    assert "Item" not in ddb.get_item(TableName=table, Key=_key("y"))


def test_transaction_rejects_two_actions_on_one_item(ddb, table):
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[{"Put": {"TableName": table, "Item": _key("d")}},
                                                {"Delete": {"TableName": table, "Key": _key("d")}}])
    assert error_of(excinfo) == ("ValidationException", "Transaction request cannot include multiple operations on one item", 400)


def test_client_request_token_is_idempotent(ddb, table):
    action = [{"Update": {"TableName": table, "Key": _key("ctr"), "UpdateExpression": "ADD n :one",
                          "ExpressionAttributeValues": {":one": {"N": "1"}}}}]
    ddb.transact_write_items(TransactItems=action, ClientRequestToken="token-1")
    ddb.transact_write_items(TransactItems=action, ClientRequestToken="token-1")
    assert ddb.get_item(TableName=table, Key=_key("ctr"))["Item"]["n"] == {"N": "1"}
    other = [{"Put": {"TableName": table, "Item": _key("other")}}]
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=other, ClientRequestToken="token-1")
    assert error_of(excinfo)[0] == "IdempotentParameterMismatchException"


def test_a_replay_with_its_attributes_in_another_order_is_the_same_request(ddb, table):
    # LocalStack's AWS-recorded test_dynamodb_idempotent_writing: both answered 200, once applied.
    first = {"Put": {"TableName": table, "Item": {**_key("same"), "a": {"N": "1"}, "m": {"M": {"x": {"S": "1"}, "y": {"S": "2"}}}}}}
    reordered = {"Put": {"Item": {"m": {"M": {"y": {"S": "2"}, "x": {"S": "1"}}}, "a": {"N": "1"}, **_key("same")},
                         "TableName": table}}
    assert ddb.transact_write_items(TransactItems=[first], ClientRequestToken="reordered")["ResponseMetadata"][
        "HTTPStatusCode"] == 200
    ddb.put_item(TableName=table, Item={**_key("same"), "a": {"N": "5"}})  # changed after the first call
    assert ddb.transact_write_items(TransactItems=[reordered], ClientRequestToken="reordered")["ResponseMetadata"][
        "HTTPStatusCode"] == 200
    assert ddb.get_item(TableName=table, Key=_key("same"))["Item"]["a"] == {"N": "5"}  # not applied again
    changed = {"Put": {"TableName": table, "Item": {**_key("same"), "a": {"N": "2"}}}}
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[changed], ClientRequestToken="reordered")
    assert error_of(excinfo)[0] == "IdempotentParameterMismatchException"


def test_batch_get_by_table_arn_answers_under_that_arn(ddb, table):
    # moto's aws_verified test_batch_write_using_arn: Responses keyed as the request named the table.
    arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    ddb.batch_write_item(RequestItems={arn: [{"PutRequest": {"Item": {**_key("by-arn"), "v": {"S": "x"}}}}]})
    answer = ddb.batch_get_item(RequestItems={arn: {"Keys": [_key("by-arn")]}})
    assert answer["Responses"] == {arn: [{**_key("by-arn"), "v": {"S": "x"}}]}
    assert answer["UnprocessedKeys"] == {}
    assert ddb.batch_get_item(RequestItems={table: {"Keys": [_key("by-arn")]}})["Responses"] == {
        table: [{**_key("by-arn"), "v": {"S": "x"}}]}


def test_expression_problems_come_before_key_and_table_problems(ddb, make_table):
    # moto's aws_verified tests: an unused name or a second SET is refused before the key that does
    # not match the schema (which would cancel the transaction) and before a missing table.
    table = make_table("S", "S")
    unused = "Value provided in ExpressionAttributeNames unused in expressions: keys: {#count}"
    update = {"TableName": table, "Key": {"pk": {"S": "s"}}, "UpdateExpression": "SET #v = :v",
              "ExpressionAttributeNames": {"#v": "v", "#count": "count"}, "ExpressionAttributeValues": {":v": {"N": "1"}}}
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[{"Update": update}])
    assert error_of(excinfo) == ("ValidationException", unused, 400)
    twice = {"TableName": table, "Key": {"pk": {"S": "s"}},
             "UpdateExpression": "SET a = :v SET b = :v ADD version :one",
             "ExpressionAttributeValues": {":v": {"N": "1"}, ":one": {"N": "1"}}}
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[{"Update": twice}])
    assert error_of(excinfo) == (
        "ValidationException", 'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;', 400)
    with pytest.raises(ClientError) as excinfo:  # the key alone still cancels the transaction
        ddb.transact_write_items(TransactItems=[{"Update": {**update, "ExpressionAttributeNames": {"#v": "v"}}}])
    assert error_of(excinfo)[0] == "TransactionCanceledException"
    with pytest.raises(ClientError) as excinfo:
        ddb.batch_get_item(RequestItems={"no-such-table": {"Keys": [{"pk": {"S": "a"}}], "ProjectionExpression": "#rl",
                                                           "ExpressionAttributeNames": {"#rl": "rl", "#count": "count"}}})
    assert error_of(excinfo) == ("ValidationException", unused, 400)


def test_batch_get_beyond_16_mb_returns_unprocessed_keys(ddb, table):
    payload = "x" * 390_000
    keys = [_key(f"big-{i}") for i in range(50)]
    for key in keys:
        ddb.put_item(TableName=table, Item={**key, "payload": {"S": payload}})
    result = ddb.batch_get_item(RequestItems={table: {"Keys": keys}})
    returned = len(result["Responses"][table])
    pending = result["UnprocessedKeys"][table]["Keys"]
    assert 0 < returned < 50
    assert returned + len(pending) == 50
    again = ddb.batch_get_item(RequestItems=result["UnprocessedKeys"])
    assert len(again["Responses"][table]) == len(pending)


def test_batch_get_reads_by_expression_or_by_attribute_list_not_both(ddb, make_table):
    first, second = make_table("S"), make_table("S")
    with pytest.raises(ClientError) as excinfo:
        ddb.batch_get_item(RequestItems={first: {"Keys": [{"pk": {"S": "a"}}], "ProjectionExpression": "pk"},
                                         second: {"Keys": [{"pk": {"S": "b"}}], "AttributesToGet": ["pk"]}})
    assert error_of(excinfo) == (
        "ValidationException", "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}", 400)


def test_batch_get_item_refuses_a_malformed_table_name_with_the_whole_map(raw):
    """paritysuite batchGetItem.test.ts (recorded against DynamoDB): the map echoed as JSON."""
    from tests.services.dynamodb.conftest import refused
    assert refused(raw.batch_get_item, RequestItems={"bad!name": {"Keys": [{"pk": {"S": "a"}}]}}) == (
        "ValidationException",
        "1 validation error detected: Value '{\"bad!name\":{\"Keys\":[{\"pk\":{\"S\":\"a\"}}]}}' at 'requestItems' failed "
        "to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 255, "
        "Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: "
        "[a-zA-Z0-9_.-]+]", 400)
