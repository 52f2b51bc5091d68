"""DynamoDB at scale: Query of 100 items from a big table, and TransactWriteItems server-bound.

The big table holds partitions of 100 items each (pk p0000000.., sk 0-99), filled with BatchWriteItem
of 25 items through the load generator, bounded in items and in time. Queries are raw pre-signed
requests on one keep-alive connection, each on a different partition, read to the last byte.
TransactWriteItems replays signed requests that each carry their own ClientRequestToken, every one
sent once, so no answer can come from the idempotency cache.
"""

from __future__ import annotations

import functools
import json
import random
import time
from typing import Any

from bench.capture import Signer, make_client
from bench.loadgen import run_load
from bench.procstats import tree_cpu_seconds
from bench.scenarios import Row, Scenario, ScenarioContext, metric, p50_ms, percentile_ms
from bench.scenarios.populate import populate
from bench.scenarios.rawhttp import RawConnection
from bench.servers import HOST
from bench.workloads.dynamodb import TABLE, _create_table, ensure_table

BIG_TABLE = "bench-big"
PARTITION = 100
BATCH = 25
PAYLOAD = "z" * 50


def partition_key(n: int) -> str:
    return f"p{n:07d}"


def batch_items(first_item: int) -> list[dict[str, Any]]:
    """BatchWriteItem requests for items first_item .. first_item+24 (item i: partition i // 100, sk i % 100)."""
    return [{"PutRequest": {"Item": {"pk": {"S": partition_key(i // PARTITION)}, "sk": {"N": str(i % PARTITION)},
                                     "payload": {"S": PAYLOAD}}}} for i in range(first_item, first_item + BATCH)]


def query_count(body: bytes) -> int:
    return int(json.loads(body).get("Count", -1))


def _batch_write(request_index: int, client: Any) -> Any:
    return client.batch_write_item(RequestItems={BIG_TABLE: batch_items(request_index * BATCH)})


def _query_partition(partition: int, client: Any) -> Any:
    return client.query(TableName=BIG_TABLE, KeyConditionExpression="pk = :p",
                        ExpressionAttributeValues={":p": {"S": partition_key(partition)}})


def _transact(i: int, client: Any) -> Any:
    # Its own token per request: a replay of the same bytes would be answered from the idempotency cache.
    return client.transact_write_items(ClientRequestToken=f"bench-tx-{i:08d}", TransactItems=[
        {"Put": {"TableName": TABLE, "Item": {"pk": {"S": f"txs-{i}-{j}"}, "payload": {"S": "x" * 1000},
                                              "n": {"N": "42"}}}} for j in range(10)])


def _query_big(ctx: ScenarioContext) -> list[Row]:
    client = make_client("dynamodb", ctx.endpoint)
    _create_table(client, BIG_TABLE, sort_key=True)
    signer = Signer("dynamodb", ctx.endpoint)

    def chunk(first: int, count: int) -> list[bytes]:
        return [signer.sign(functools.partial(_batch_write, r)) for r in range(first, first + count)]

    filled = populate(ctx.port, chunk, units_per_request=BATCH, max_units=ctx.populate_max,
                      seconds=ctx.populate_seconds, connections=ctx.connections, chunk_requests=2000)
    partitions = filled.units // PARTITION
    if partitions < 2:
        raise RuntimeError(f"only {filled.units} items written; first error: {filled.first_error}")
    picks = random.Random(7).sample(range(partitions - 1), min(partitions - 1, 50))  # last one may be partial
    requests = [signer.sign(functools.partial(_query_partition, p)) for p in picks]
    connection = RawConnection(ctx.port)
    samples: list[float] = []
    counts: set[int] = set()
    wanted = 30 if ctx.quick else 200
    stop_at = time.monotonic() + (15 if ctx.quick else 60)
    for n in range(wanted + 5):  # the first five warm up
        if time.monotonic() > stop_at:
            break
        response, elapsed = connection.exchange(requests[n % len(requests)])
        if response.status != 200:
            raise AssertionError(f"Query HTTP {response.status}: {response.body[:200]!r}")
        counts.add(query_count(response.body))
        if n >= 5:
            samples.append(elapsed)
    connection.close()
    fill_note = (f"table of {filled.units:,} items filled at {filled.per_second:,.0f} items/s in {filled.seconds:.0f} s"
                 + (f"; {filled.requests_failed} batches failed" if filled.requests_failed else ""))
    return [
        metric(QUERY, ctx, "table size reached (items)", float(filled.units), "items", "higher", fill_note),
        metric(QUERY, ctx, "p50 Query of one 100-item partition", p50_ms(samples), "ms", "lower",
               f"{len(samples)} queries over {len(picks)} partitions; Count seen {sorted(counts)}; raw pre-signed"),
    ]


def signed_transactions(endpoint: str, count: int, first: int = 0) -> list[bytes]:
    """The scenario's TransactWriteItems requests, signed for `endpoint` (its table made first),
    tokens `first` onwards: each is to be sent once."""
    ensure_table(make_client("dynamodb", endpoint))
    signer = Signer("dynamodb", endpoint)
    return [signer.sign(functools.partial(_transact, first + i)) for i in range(count)]


def _transact_server_bound(ctx: ScenarioContext) -> list[Row]:
    total = 1500 if ctx.quick else 8000
    requests = signed_transactions(ctx.endpoint, total)
    warm, measured = requests[: total // 10], requests[total // 10 :]
    run_load(HOST, ctx.port, warm, connections=ctx.connections, duration=2 if ctx.quick else 5, max_requests=len(warm))
    cpu_before = tree_cpu_seconds(ctx.pid)
    result = run_load(HOST, ctx.port, measured, connections=ctx.connections, duration=ctx.duration * 3,
                      max_requests=len(measured))
    cpu = tree_cpu_seconds(ctx.pid) - cpu_before
    if not result.completed:
        # The load generator keeps the head of the first failure; the body says why.
        response, _ = RawConnection(ctx.port).exchange(measured[-1])
        raise RuntimeError(f"no transaction succeeded: HTTP {response.status} {response.body[:160]!r}")
    latencies = [n / 1e9 for n in result.latencies_ns]
    note = f"{ctx.connections} conns, {result.completed} transactions, each request sent once (its own token)"
    if result.errors:
        note += f"; {result.errors} errors, first: {result.first_error}"
    return [
        metric(TRANSACT, ctx, "transactions/s", result.completed / result.elapsed, "/s", "higher", note),
        metric(TRANSACT, ctx, "p50", p50_ms(latencies), "ms", "lower"),
        metric(TRANSACT, ctx, "p99", percentile_ms(latencies, 0.99), "ms", "lower"),
        metric(TRANSACT, ctx, "server CPU per transaction", cpu * 1000 / result.completed, "ms", "lower"),
    ]


QUERY = Scenario("ddb-query-big", "dynamodb-scale", "dynamodb", "DynamoDB Query 100 items from a big table",
                 _query_big, metrics=(("table size reached (items)", "items", "higher"),
                                      ("p50 Query of one 100-item partition", "ms", "lower")))
TRANSACT = Scenario("ddb-transact-bound", "dynamodb-scale", "dynamodb",
                    "DynamoDB TransactWriteItems 10 x 1 KB, server-bound", _transact_server_bound,
                    metrics=(("transactions/s", "/s", "higher"), ("p50", "ms", "lower"), ("p99", "ms", "lower"),
                             ("server CPU per transaction", "ms", "lower")))
SCENARIOS = [QUERY, TRANSACT]
