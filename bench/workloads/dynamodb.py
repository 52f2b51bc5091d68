"""DynamoDB workloads: 1 KB items one at a time, a 1,000-item partition, 10-item transactions."""

from __future__ import annotations

import time
from typing import Any

from bench.workloads import Workload

TABLE = "bench-table"
QUERY_TABLE = "bench-query"
PAYLOAD = "x" * 1000  # with the key, about 1 KB as DynamoDB counts item size
PRELOADED_ITEMS = 100
PARTITION_ITEMS = 1000
# Small items so that the whole partition fits in one 1 MB page: the server-bound mode replays one request.
PARTITION_PAYLOAD = "y" * 100


def _create_table(client: Any, name: str, sort_key: bool) -> None:
    key_schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    attributes = [{"AttributeName": "pk", "AttributeType": "S"}]
    if sort_key:
        key_schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attributes.append({"AttributeName": "sk", "AttributeType": "N"})
    try:
        client.create_table(TableName=name, KeySchema=key_schema, AttributeDefinitions=attributes,
                            BillingMode="PAY_PER_REQUEST")
    except client.exceptions.ResourceInUseException:
        return
    # Bounded wait: emulators answer ACTIVE at once or within a second.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if client.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE":
            return
        time.sleep(0.05)
    raise RuntimeError(f"table {name} not ACTIVE after 10 s")


def ensure_table(client: Any) -> None:
    _create_table(client, TABLE, sort_key=False)


def _item(key: str, n: int = 42) -> dict[str, Any]:
    return {"pk": {"S": key}, "payload": {"S": PAYLOAD}, "n": {"N": str(n)}}


def _setup_get(client: Any) -> None:
    ensure_table(client)
    for i in range(PRELOADED_ITEMS):
        client.put_item(TableName=TABLE, Item=_item(f"get-{i}"))


# Every put changes its item (n = i), and a key's successive writes come from different
# requests, also when the server-bound mode replays its signed requests in a loop: a put that
# rewrote an item with the same bytes would cost SQLite no page write and no sync at all.
PUT_KEYS = 50


def _put(client: Any, i: int) -> Any:
    return client.put_item(TableName=TABLE, Item=_item(f"put-{i % PUT_KEYS}", i))


def _get(client: Any, i: int) -> Any:
    response = client.get_item(TableName=TABLE, Key={"pk": {"S": f"get-{i % PRELOADED_ITEMS}"}})
    if "Item" not in response:
        raise AssertionError("GetItem found no item")
    return response


def _setup_partition(client: Any) -> None:
    _create_table(client, QUERY_TABLE, sort_key=True)
    items = [{"PutRequest": {"Item": {"pk": {"S": "partition"}, "sk": {"N": str(n)},
                                      "payload": {"S": PARTITION_PAYLOAD}}}} for n in range(PARTITION_ITEMS)]
    for start in range(0, len(items), 25):
        pending = {QUERY_TABLE: items[start : start + 25]}
        for _ in range(20):  # bounded: a server that keeps returning UnprocessedItems fails the set-up
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            if not pending:
                break
        else:
            raise RuntimeError("BatchWriteItem kept returning UnprocessedItems")


def _query_partition(client: Any, i: int) -> Any:
    kwargs: dict[str, Any] = {"TableName": QUERY_TABLE, "KeyConditionExpression": "pk = :p",
                              "ExpressionAttributeValues": {":p": {"S": "partition"}}}
    count = 0
    for _ in range(100):  # pages; bounded in case a server never stops paging
        response = client.query(**kwargs)
        count += len(response["Items"])
        if "LastEvaluatedKey" not in response:
            break
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    if count != PARTITION_ITEMS:
        raise AssertionError(f"Query returned {count} items, expected {PARTITION_ITEMS}")
    return count


def _transact_write(client: Any, i: int) -> Any:
    return client.transact_write_items(TransactItems=[
        {"Put": {"TableName": TABLE, "Item": _item(f"tx-{i % 100}-{j}", i)}} for j in range(10)
    ])


WORKLOADS = [
    Workload("ddb-put-1k", "DynamoDB PutItem 1 KB", "dynamodb", "dynamodb", ensure_table, _put),
    Workload("ddb-get-1k", "DynamoDB GetItem 1 KB", "dynamodb", "dynamodb", _setup_get, _get,
             distinct_requests=PRELOADED_ITEMS, min_response_body=len(PAYLOAD)),
    Workload("ddb-query-1000", "DynamoDB Query 1,000-item partition", "dynamodb", "dynamodb", _setup_partition,
             _query_partition, distinct_requests=1, min_response_body=PARTITION_ITEMS * len(PARTITION_PAYLOAD),
             in_quick=False),
    # boto3 fills ClientRequestToken: replayed bytes would be answered from the idempotency cache.
    # The server-bound measurement is the ddb-scale scenario's, where every request has its own token.
    Workload("ddb-transact-10", "DynamoDB TransactWriteItems 10 x 1 KB", "dynamodb", "dynamodb", ensure_table,
             _transact_write, server_bound=False, in_quick=False),
]
