"""Where writes commit, as /_overcast/health reports it: a lone client's writes on the event
loop's thread (no hand-off to the writer thread and back), whole-table jobs always on the writer
thread, and the same data either way."""

from __future__ import annotations

import json
import threading
import urllib.request

from tests.conftest import make_client


def storage_counters(server) -> dict:
    with urllib.request.urlopen(f"{server.endpoint_url}/_overcast/health", timeout=5) as response:
        return json.loads(response.read())["storage"]


def create_table(ddb, name: str) -> None:
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})


def test_a_lone_clients_writes_commit_inline_and_bulk_jobs_do_not(fresh_server):
    ddb = make_client("dynamodb", fresh_server.endpoint_url)
    create_table(ddb, "inline")
    before = storage_counters(fresh_server)
    for n in range(20):
        ddb.put_item(TableName="inline", Item={"pk": {"S": f"k{n}"}, "n": {"N": str(n)}})
    after_puts = storage_counters(fresh_server)
    assert after_puts["commits"] - before["commits"] >= 20
    # The server's own background writes may now and then hold the writer thread as a put
    # comes in (that put then queues behind them); the rest commit on the loop's thread.
    assert after_puts["inline_commits"] - before["inline_commits"] >= 15
    assert ddb.scan(TableName="inline", Select="COUNT")["Count"] == 20

    ddb.delete_table(TableName="inline")  # a bulk job: the writer thread's, whoever asks
    after_delete = storage_counters(fresh_server)
    assert after_delete["commits"] > after_puts["commits"]
    assert after_delete["inline_commits"] == after_puts["inline_commits"]


def test_concurrent_clients_writes_all_land(fresh_server):
    # Several clients at once: some writes go to the writer thread's group commits, some may
    # commit inline when they happen to be alone; every acknowledged one is there.
    ddb = make_client("dynamodb", fresh_server.endpoint_url)
    create_table(ddb, "shared")
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        own = make_client("dynamodb", fresh_server.endpoint_url)
        try:
            for n in range(40):
                own.put_item(TableName="shared", Item={"pk": {"S": f"w{worker}-{n}"}})
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    keys = set()
    start = None
    while True:
        page = ddb.scan(TableName="shared", **({"ExclusiveStartKey": start} if start else {}))
        keys.update(item["pk"]["S"] for item in page["Items"])
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    assert keys == {f"w{w}-{n}" for w in range(6) for n in range(40)}
    counters = storage_counters(fresh_server)
    assert counters["jobs_committed"] >= 240 - counters["inline_commits"]
