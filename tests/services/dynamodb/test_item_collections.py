"""The item collection limit of tables with local secondary indexes, on a server whose limit is
lowered from DynamoDB's 10 GB to a few kilobytes so that tests can reach it."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.conftest import make_client
from tests.services.dynamodb.conftest import error_of
from tests.support.server import ServerProcess

LIMIT = 5000
PAYLOAD = "x" * 1000  # stored twice (table and an ALL-projection LSI): two fit in LIMIT, three do not


@pytest.fixture(scope="module")
def small_limit_server(tmp_path_factory):
    proc = ServerProcess(tmp_path_factory.mktemp("collections") / "data",
                         env={"OVERCAST_DYNAMODB_ITEM_COLLECTION_LIMIT": str(LIMIT)})
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
def client(small_limit_server):
    return make_client("dynamodb", small_limit_server.endpoint_url)


def _create(client, name: str, local_index: bool) -> str:
    extra: dict = {}
    attributes = [("pk", "S"), ("sk", "N")]
    if local_index:
        attributes.append(("n", "N"))
        extra["LocalSecondaryIndexes"] = [{
            "IndexName": "by-n", "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}]}]
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": a, "AttributeType": t} for a, t in attributes],
                        **extra)
    return name


def _item(pk: str, sk: int, payload: str = PAYLOAD) -> dict:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}, "n": {"N": str(sk)}, "payload": {"S": payload}}


def _refused(excinfo) -> bool:
    return error_of(excinfo) == ("ItemCollectionSizeLimitExceededException", "Collection size exceeded.", 400)


def test_write_past_the_limit_is_refused(client, small_limit_server):
    table = _create(client, "collections-lsi", local_index=True)
    client.put_item(TableName=table, Item=_item("a", 1))
    client.put_item(TableName=table, Item=_item("a", 2))
    with pytest.raises(ClientError) as excinfo:
        client.put_item(TableName=table, Item=_item("a", 3))
    assert _refused(excinfo)
    assert "Item" not in client.get_item(TableName=table, Key={"pk": {"S": "a"}, "sk": {"N": "3"}})
    with pytest.raises(ClientError) as excinfo:  # growing an item counts too
        client.update_item(TableName=table, Key={"pk": {"S": "a"}, "sk": {"N": "1"}},
                           UpdateExpression="SET more = :m", ExpressionAttributeValues={":m": {"S": "y" * 1000}})
    assert _refused(excinfo)
    client.put_item(TableName=table, Item=_item("b", 3))  # another collection has room of its own
    client.put_item(TableName=table, Item=_item("a", 1, payload="small"))  # shrinking is always allowed
    client.put_item(TableName=table, Item=_item("a", 3))  # ... and makes room
    # The sizes survive a restart: the collection is still full.
    small_limit_server.restart()
    with pytest.raises(ClientError) as excinfo:
        client.put_item(TableName=table, Item=_item("a", 4))
    assert _refused(excinfo)
    client.delete_item(TableName=table, Key={"pk": {"S": "a"}, "sk": {"N": "2"}})
    client.put_item(TableName=table, Item=_item("a", 4))


def test_tables_without_local_indexes_have_no_collection_limit(client):
    table = _create(client, "collections-plain", local_index=False)
    for sk in range(6):
        client.put_item(TableName=table, Item=_item("a", sk))
    assert client.query(TableName=table, KeyConditionExpression="pk = :a",
                        ExpressionAttributeValues={":a": {"S": "a"}}, Select="COUNT")["Count"] == 6


def test_transaction_past_the_limit_is_cancelled_whole(client):
    table = _create(client, "collections-tx", local_index=True)
    plain = _create(client, "collections-tx-plain", local_index=False)
    client.put_item(TableName=table, Item=_item("t", 1))
    client.put_item(TableName=table, Item=_item("t", 2))
    with pytest.raises(ClientError) as excinfo:
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": plain, "Item": _item("t", 1)}},
            {"Put": {"TableName": table, "Item": _item("t", 3)}},
        ])
    code, message, status = error_of(excinfo)
    assert (code, status) == ("TransactionCanceledException", 400)
    assert message == ("Transaction cancelled, please refer cancellation reasons for specific reasons "
                       "[None, ItemCollectionSizeLimitExceeded]")
    assert excinfo.value.response["CancellationReasons"] == [
        {"Code": "None"}, {"Code": "ItemCollectionSizeLimitExceeded", "Message": "Collection size exceeded."}]
    assert "Item" not in client.get_item(TableName=plain, Key={"pk": {"S": "t"}, "sk": {"N": "1"}})
