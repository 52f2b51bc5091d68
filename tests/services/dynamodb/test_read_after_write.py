"""Reads see every acknowledged write at once (GetItem is served from a small cache that every
write clears), whichever path wrote: PutItem, UpdateItem, DeleteItem, batches, transactions,
PartiQL, TTL expiry, or a table deleted and created again under the same name."""

from __future__ import annotations

import json
import time
import urllib.request

from tests.services.dynamodb.conftest import unique_name


def _get(ddb, table, key="a"):
    return ddb.get_item(TableName=table, Key={"pk": {"S": key}}).get("Item")


def test_every_write_path_is_visible_to_the_next_get(ddb, make_table):
    table = make_table()
    assert _get(ddb, table) is None  # a cached "no such item" must not outlive the put
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    assert _get(ddb, table)["v"] == {"N": "1"}
    ddb.update_item(TableName=table, Key={"pk": {"S": "a"}}, UpdateExpression="SET v = v + :one",
                    ExpressionAttributeValues={":one": {"N": "1"}})
    assert _get(ddb, table)["v"] == {"N": "2"}
    ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": {"pk": {"S": "a"}, "v": {"N": "3"}}}}]})
    assert _get(ddb, table)["v"] == {"N": "3"}
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": table, "Item": {"pk": {"S": "a"}, "v": {"N": "4"}}}}])
    assert _get(ddb, table)["v"] == {"N": "4"}
    ddb.execute_statement(Statement=f"UPDATE \"{table}\" SET v = 5 WHERE pk = 'a'")
    assert _get(ddb, table)["v"] == {"N": "5"}
    ddb.delete_item(TableName=table, Key={"pk": {"S": "a"}})
    assert _get(ddb, table) is None


def test_a_recreated_table_does_not_see_the_old_items(ddb):
    name = unique_name("again")
    spec = dict(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    ddb.create_table(**spec)
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"S": "old"}})
    assert _get(ddb, name)["v"] == {"S": "old"}
    ddb.delete_table(TableName=name)
    ddb.create_table(**spec)
    assert _get(ddb, name) is None
    ddb.delete_table(TableName=name)


def test_ttl_expiry_is_visible_to_get(fresh_server):
    # A server of its own: the test moves the clock, which other tests' servers must not see.
    from tests.conftest import make_client

    ddb = make_client("dynamodb", fresh_server.endpoint_url)
    table = unique_name("ttl")
    ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    soon = int(time.time()) + 60
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "exp": {"N": str(soon)}})
    assert _get(ddb, table) is not None
    request = urllib.request.Request(fresh_server.endpoint_url + "/_overcast/clock", method="POST",
                                     data=json.dumps({"advance": 3600}).encode())
    urllib.request.urlopen(request, timeout=10).read()
    deadline = time.monotonic() + 20
    while _get(ddb, table) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _get(ddb, table) is None
