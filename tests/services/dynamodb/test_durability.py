"""kill -9 under concurrent writes and transactions: every acknowledged write survives, and no
transaction is ever half applied."""

from __future__ import annotations

import threading

import boto3
import pytest
from botocore.config import Config


def _client(url: str):
    return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5))


# One client alone has its writes committed on the server's event loop thread; several at once
# share the writer thread's group commits: both must keep what they acknowledged.
@pytest.mark.parametrize("putters, transactors", [(4, 2), (1, 0)], ids=["concurrent", "one-client"])
def test_acknowledged_writes_survive_kill9(fresh_server, putters, transactors):
    client = _client(fresh_server.endpoint_url)
    client.create_table(TableName="durable", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    acknowledged_puts: list[str] = []
    acknowledged_transactions: list[int] = []
    attempted_transactions: list[int] = []
    lock = threading.Lock()
    enough = threading.Event()
    stop = threading.Event()

    def putter(worker: int) -> None:
        own = _client(fresh_server.endpoint_url)
        for i in range(100000):
            if stop.is_set():
                return
            key = f"put-{worker}-{i}"
            try:
                own.put_item(TableName="durable", Item={"pk": {"S": key}, "n": {"N": str(i)}})
            except Exception:
                return
            with lock:
                acknowledged_puts.append(key)
                if len(acknowledged_puts) + len(acknowledged_transactions) >= 200:
                    enough.set()

    def transactor(worker: int) -> None:
        own = _client(fresh_server.endpoint_url)
        for i in range(100000):
            if stop.is_set():
                return
            number = worker * 1000000 + i
            with lock:
                attempted_transactions.append(number)
            try:
                own.transact_write_items(TransactItems=[
                    {"Put": {"TableName": "durable", "Item": {"pk": {"S": f"tx-{number}-a"}}}},
                    {"Put": {"TableName": "durable", "Item": {"pk": {"S": f"tx-{number}-b"}}}},
                ])
            except Exception:
                return
            with lock:
                acknowledged_transactions.append(number)

    threads = [threading.Thread(target=putter, args=(w,)) for w in range(putters)]
    threads += [threading.Thread(target=transactor, args=(w,)) for w in range(transactors)]
    for thread in threads:
        thread.start()
    assert enough.wait(timeout=120)
    fresh_server.kill9()
    stop.set()
    for thread in threads:
        thread.join()
    fresh_server.start()
    stored = set()
    start = None
    while True:
        kwargs = {"TableName": "durable"}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = client.scan(**kwargs)
        stored.update(i["pk"]["S"] for i in page["Items"])
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    assert set(acknowledged_puts) <= stored
    for number in acknowledged_transactions:
        assert {f"tx-{number}-a", f"tx-{number}-b"} <= stored
    for number in attempted_transactions:
        assert (f"tx-{number}-a" in stored) == (f"tx-{number}-b" in stored)
