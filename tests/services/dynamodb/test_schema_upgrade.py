"""A data directory written by an Overcast before items were keyed by their scan hash (schema 2)
upgrades in place: every item is still found by GetItem, Query, Scan and transactions, counted
by DescribeTable, and written over rather than duplicated."""

from __future__ import annotations

import sqlite3

from boto3.dynamodb.types import TypeDeserializer

from overcast.services.dynamodb.store import MIGRATIONS
from tests.conftest import make_client

LATEST = MIGRATIONS[-1].version

# The items table as schema 2 had it (as migration 1 created it: keyed by table, partition and
# sort, with Scan's order in a second index), rebuilt from the migrations themselves.
_ITEMS_AT_1 = [statement for statement in MIGRATIONS[0].statements
               if statement.startswith(("CREATE TABLE dynamodb_items ", "CREATE INDEX dynamodb_items_"))]
SCHEMA_2_ITEMS = [
    "ALTER TABLE dynamodb_items RENAME TO dynamodb_items_v3",
    _ITEMS_AT_1[0],
    "INSERT INTO dynamodb_items SELECT table_id, pk, sk, shash, size, expires, item FROM dynamodb_items_v3",
    "DROP TABLE dynamodb_items_v3",
    *_ITEMS_AT_1[1:],
    "UPDATE schema_versions SET version = 2 WHERE namespace = 'dynamodb'",
]


def _plain(item: dict) -> dict:
    return {name: TypeDeserializer().deserialize(value) for name, value in item.items()}


def test_items_of_a_schema_2_data_directory_survive_the_upgrade(fresh_server):
    client = make_client("dynamodb", fresh_server.endpoint_url)
    client.create_table(TableName="upgraded", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "N"}])
    for partition in range(5):
        for sort in range(4):
            client.put_item(TableName="upgraded", Item={"pk": {"S": f"p{partition}"}, "sk": {"N": str(sort)},
                                                        "v": {"S": f"{partition}-{sort}"}})
    fresh_server.stop()

    database = sqlite3.connect(fresh_server.data_dir / "overcast.db", isolation_level=None)
    try:
        assert database.execute("SELECT version FROM schema_versions WHERE namespace = 'dynamodb'").fetchone() == (LATEST,)
        database.execute("BEGIN")
        assert len(_ITEMS_AT_1) == 3  # the table, its scan index, its TTL index
        for statement in SCHEMA_2_ITEMS:
            database.execute(statement)
        database.execute("COMMIT")
        assert database.execute("SELECT count(*) FROM dynamodb_items").fetchone() == (20,)
    finally:
        database.close()

    fresh_server.start()
    client = make_client("dynamodb", fresh_server.endpoint_url)
    got = client.get_item(TableName="upgraded", Key={"pk": {"S": "p3"}, "sk": {"N": "2"}})
    assert _plain(got["Item"]) == {"pk": "p3", "sk": 2, "v": "3-2"}
    queried = client.query(TableName="upgraded", KeyConditionExpression="pk = :p AND sk >= :s",
                           ExpressionAttributeValues={":p": {"S": "p1"}, ":s": {"N": "1"}})
    assert [_plain(item)["v"] for item in queried["Items"]] == ["1-1", "1-2", "1-3"]
    scanned = client.scan(TableName="upgraded")["Items"]
    assert sorted(_plain(item)["v"] for item in scanned) == sorted(f"{p}-{s}" for p in range(5) for s in range(4))
    # An overwrite replaces the upgraded row (no second copy), a delete removes it.
    client.put_item(TableName="upgraded", Item={"pk": {"S": "p0"}, "sk": {"N": "0"}, "v": {"S": "new"}})
    client.delete_item(TableName="upgraded", Key={"pk": {"S": "p4"}, "sk": {"N": "3"}})
    read = client.transact_get_items(TransactItems=[
        {"Get": {"TableName": "upgraded", "Key": {"pk": {"S": "p0"}, "sk": {"N": "0"}}}},
        {"Get": {"TableName": "upgraded", "Key": {"pk": {"S": "p4"}, "sk": {"N": "3"}}}},
    ])["Responses"]
    assert _plain(read[0]["Item"])["v"] == "new" and "Item" not in read[1]
    assert client.scan(TableName="upgraded", Select="COUNT")["Count"] == 19
    assert client.describe_table(TableName="upgraded")["Table"]["ItemCount"] == 19
    fresh_server.stop()

    database = sqlite3.connect(fresh_server.data_dir / "overcast.db")
    try:
        assert database.execute("SELECT version FROM schema_versions WHERE namespace = 'dynamodb'").fetchone() == (LATEST,)
        # One index on the items left besides TTL's: the primary key, led by the scan hash.
        indexes = {row[1] for row in database.execute("PRAGMA index_list(dynamodb_items)")}
        assert "dynamodb_items_scan" not in indexes and "dynamodb_items_ttl" in indexes
    finally:
        database.close()
