"""DeleteTable while writes go on: the items go with the table, once, and none written meanwhile
outlives it into the next table made."""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest

from tests.conftest import make_client
from tests.services.dynamodb.conftest import on_demand_table


def _fill(client, name: str, count: int) -> None:
    for start in range(0, count, 25):
        client.batch_write_item(RequestItems={name: [
            {"PutRequest": {"Item": {"pk": {"S": f"k{i}"}, "pad": {"S": "x" * 100}}}} for i in range(start, start + 25)]})


def test_writes_during_delete_table_never_reach_the_next_table(fresh_server):
    client = make_client("dynamodb", fresh_server.endpoint_url)
    name = on_demand_table(client, "doomed")
    _fill(client, name, 20000)  # a drop that takes a while
    stop = threading.Event()
    refused: list[str] = []

    def writer(number: int) -> None:
        own = make_client("dynamodb", fresh_server.endpoint_url)
        i = 0
        while not stop.is_set():
            try:
                own.put_item(TableName=name, Item={"pk": {"S": f"late-{number}-{i}"}})
            except own.exceptions.ResourceNotFoundException:
                refused.append(name)
                return
            i += 1

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for thread in writers:
        thread.start()
    try:
        client.delete_table(TableName=name)
    finally:
        for thread in writers:
            thread.join(timeout=30)
        stop.set()
    # Every writer was turned away once the table was gone (none went on writing into nothing).
    assert len(refused) == 3
    # The next table is new and empty: nothing written to the deleted one lives on in it.
    successor = on_demand_table(client, "successor")
    assert client.scan(TableName=successor)["Items"] == []


def test_a_new_table_never_takes_the_id_of_rows_a_deleted_table_left(fresh_server):
    # Rows under a deleted table's id (a database written before DeleteTable turned writes away
    # first) must not become the items of the next table made.
    client = make_client("dynamodb", fresh_server.endpoint_url)
    name = on_demand_table(client, "gone")
    client.put_item(TableName=name, Item={"pk": {"S": "kept"}})
    client.delete_table(TableName=name)
    fresh_server.stop()
    with sqlite3.connect(fresh_server.data_dir / "overcast.db") as db:
        (highest,) = db.execute("SELECT COALESCE(MAX(id), 0) FROM dynamodb_tables").fetchone()
        db.execute("INSERT INTO dynamodb_items (table_id, pk, sk, shash, size, expires, item) "
                   "VALUES (?, X'01', X'', 0, 6, NULL, '{\"pk\":{\"S\":\"orphan\"}}')", (highest + 1,))
    fresh_server.start()
    client = make_client("dynamodb", fresh_server.endpoint_url)
    successor = on_demand_table(client, "successor")
    assert client.scan(TableName=successor)["Items"] == []


def test_a_deleted_tables_stream_is_not_the_next_tables_of_that_name(fresh_server):
    # The closed stream is kept a day; a table made again under the name is another table, and
    # the old stream is not one of its streams.
    client = make_client("dynamodb", fresh_server.endpoint_url)
    stream = {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    name = on_demand_table(client, "again", StreamSpecification=stream)
    old_stream = client.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    client.delete_table(TableName=name)
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", StreamSpecification=stream,
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    assert client.describe_table(TableName=name)["Table"]["LatestStreamArn"] != old_stream
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
        "Action": "dynamodb:GetRecords", "Resource": old_stream}]})
    with pytest.raises(client.exceptions.ResourceNotFoundException) as missing:
        client.put_resource_policy(ResourceArn=old_stream, Policy=policy)
    label = old_stream.rsplit("/", 1)[1]
    assert missing.value.response["Error"]["Message"] == (
        f"Requested resource not found: Stream: {label} not found for Table: {name}")
