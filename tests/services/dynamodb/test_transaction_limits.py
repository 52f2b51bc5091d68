"""TransactWriteItems and TransactGetItems: the 4 MB limit, idempotency of put items, tables of
every kind in one transaction, and reads that never see half a transaction."""

from __future__ import annotations

import threading

import pytest
from botocore.exceptions import ClientError

from tests.conftest import make_client
from tests.services.dynamodb.conftest import error_of
from tests.support.raw_http import move_clock

BIG = "x" * 390_000  # with its key, about 390 KB: ten fit in 4 MB, eleven do not


@pytest.fixture
def table(make_table):
    return make_table("S")


def _key(value: str) -> dict:
    return {"pk": {"S": value}}


def _puts(table: str, prefix: str, count: int, payload: str) -> list[dict]:
    return [{"Put": {"TableName": table, "Item": {**_key(f"{prefix}-{i}"), "payload": {"S": payload}}}}
            for i in range(count)]


def test_transaction_over_4_mb_is_refused_whole(ddb, table):
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=_puts(table, "over", 11, BIG))
    assert error_of(excinfo) == ("ValidationException", "Transaction request cannot be larger than 4 MB", 400)
    assert "Item" not in ddb.get_item(TableName=table, Key=_key("over-0"))
    ddb.transact_write_items(TransactItems=_puts(table, "under", 10, BIG))
    assert ddb.get_item(TableName=table, Key=_key("under-9"))["Item"]["payload"]["S"] == BIG


def test_client_request_token_compares_put_items(ddb, table):
    first = _puts(table, "tok", 3, "one")
    ddb.transact_write_items(TransactItems=first, ClientRequestToken="put-token")
    ddb.put_item(TableName=table, Item={**_key("tok-0"), "payload": {"S": "changed since"}})
    # The same request again changes nothing: the write in between survives.
    ddb.transact_write_items(TransactItems=first, ClientRequestToken="put-token")
    assert ddb.get_item(TableName=table, Key=_key("tok-0"))["Item"]["payload"] == {"S": "changed since"}
    for different in (_puts(table, "tok", 3, "two"),  # only an item's payload differs
                      [*first[:2], {"Put": {**first[2]["Put"], "ConditionExpression": "attribute_not_exists(pk)"}}]):
        with pytest.raises(ClientError) as excinfo:
            ddb.transact_write_items(TransactItems=different, ClientRequestToken="put-token")
        assert error_of(excinfo) == (
            "IdempotentParameterMismatchException",
            "The request uses the same client token as a previous, but non-identical request.", 400)


def test_client_request_token_expires_after_10_minutes(fresh_server):
    client = make_client("dynamodb", fresh_server.endpoint_url)
    client.create_table(TableName="tokens", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    client.transact_write_items(TransactItems=_puts("tokens", "first", 1, "v"), ClientRequestToken="expiring")
    move_clock(fresh_server.endpoint_url, {"advance": 9 * 60})
    with pytest.raises(ClientError) as excinfo:
        client.transact_write_items(TransactItems=_puts("tokens", "second", 1, "v"), ClientRequestToken="expiring")
    assert error_of(excinfo)[0] == "IdempotentParameterMismatchException"
    move_clock(fresh_server.endpoint_url, {"advance": 2 * 60})
    # Expired: the token now names this request, and the write happens.
    client.transact_write_items(TransactItems=_puts("tokens", "second", 1, "v"), ClientRequestToken="expiring")
    assert client.get_item(TableName="tokens", Key=_key("second-0"))["Item"]["payload"] == {"S": "v"}
    with pytest.raises(ClientError) as excinfo:
        client.transact_write_items(TransactItems=_puts("tokens", "first", 1, "v"), ClientRequestToken="expiring")
    assert error_of(excinfo)[0] == "IdempotentParameterMismatchException"


def test_one_transaction_over_plain_indexed_and_streamed_tables(ddb, streams, make_table, table):
    indexed = make_table("S", ExtraDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                         GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                                  "Projection": {"ProjectionType": "ALL"}}])
    streamed = make_table("S", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    ddb.put_item(TableName=table, Item={**_key("counter"), "n": {"N": "1"}})
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": {**_key("plain"), "v": {"S": "p"}}}},
        {"Update": {"TableName": table, "Key": _key("counter"), "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"Put": {"TableName": indexed, "Item": {**_key("ix"), "g": {"S": "group"}}}},
        {"Put": {"TableName": streamed, "Item": {**_key("st"), "v": {"S": "s"}}}},
    ])
    assert ddb.get_item(TableName=table, Key=_key("plain"))["Item"]["v"] == {"S": "p"}
    assert ddb.get_item(TableName=table, Key=_key("counter"))["Item"]["n"] == {"N": "2"}
    found = ddb.query(TableName=indexed, IndexName="by-g", KeyConditionExpression="g = :g",
                      ExpressionAttributeValues={":g": {"S": "group"}})["Items"]
    assert [i["pk"]["S"] for i in found] == ["ix"]
    arn = ddb.describe_table(TableName=streamed)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [(r["eventName"], r["dynamodb"]["NewImage"]["v"]) for r in records] == [("INSERT", {"S": "s"})]


def test_transact_get_items_never_sees_half_a_transaction(ddb, client_factory, table):
    """DynamoDB cancels a TransactGetItems that overlaps a conflicting write; Overcast reads all
    its items in one snapshot instead, so it sees every transaction whole or not at all."""
    pair = [_key("left"), _key("right")]
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": table, "Item": {**k, "n": {"N": "0"}}}} for k in pair])
    writer = client_factory("dynamodb")
    stop = threading.Event()
    failures: list[BaseException] = []

    def write_pairs() -> None:
        try:
            for n in range(1, 10_000):
                if stop.is_set():
                    return
                writer.transact_write_items(TransactItems=[
                    {"Put": {"TableName": table, "Item": {**k, "n": {"N": str(n)}}}} for k in pair])
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            failures.append(error)

    thread = threading.Thread(target=write_pairs)
    thread.start()
    try:
        seen = set()
        for _ in range(300):
            responses = ddb.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": k}} for k in pair])["Responses"]
            left, right = (r["Item"]["n"]["N"] for r in responses)
            assert left == right
            seen.add(left)
    finally:
        stop.set()
        thread.join()
    assert not failures
    assert len(seen) > 1  # the reads really overlapped the writes
