"""Stream writes ask to be followed up (an after_commit callback, which makes their batch finish
on the committer thread) only for streams an event source mapping's poller waits on; a table
nobody maps pays nothing, before any mapping exists or after the last one on it stopped."""

from __future__ import annotations

import asyncio

from overcast.services.dynamodb import streams
from overcast.services.dynamodb.models import Table
from overcast.services.lambda_.event_sources.dynamodb_streams import WATCHERS


def _table(name: str) -> Table:
    arn = f"arn:aws:dynamodb:us-east-1:000000000000:table/{name}"
    return Table(account="000000000000", region="us-east-1", name=name, id=1, description={
        "TableArn": arn, "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
        "LatestStreamArn": f"{arn}/stream/2026-01-01T00:00:00.000", "LatestStreamLabel": "2026-01-01T00:00:00.000"})


def _follow_ups_of_append(db, table: Table) -> int:
    """How many after_commit callbacks appending one record to the table's stream asks for."""
    counted = []

    def write(tx):
        streams.append_record(tx, table, {"pk": {"S": "a"}}, None, {"pk": {"S": "a"}}, 0.0)
        counted.append(len(tx._callbacks))
        tx._callbacks.clear()  # the record is what is measured, not a wake-up to run

    db.write_blocking(write)
    return counted[0]


def test_only_watched_streams_ask_for_a_wake_up(tmp_path):
    from tests.unit.dynamodb.conftest import make_engine

    engine, close = make_engine(tmp_path)
    db = engine.provider.db
    watched, other = _table("watched"), _table("other")
    try:
        assert _follow_ups_of_append(db, watched) == 0  # no poller yet

        async def scenario() -> list[int]:
            woken = asyncio.Event()
            remove = WATCHERS.add(watched.description["LatestStreamArn"], woken.set)
            try:
                counts = [_follow_ups_of_append(db, watched), _follow_ups_of_append(db, other)]
            finally:
                remove()
            counts.append(_follow_ups_of_append(db, watched))  # its last poller stopped
            return counts

        assert asyncio.run(scenario()) == [1, 0, 0]
    finally:
        close()


def test_the_records_of_one_commit_wake_a_poller_once():
    """A transaction of many items asks once per record; the poller is woken once for all of them
    (and again for records appended after that wake-up ran)."""
    arn = _table("many").description["LatestStreamArn"]

    async def scenario() -> list[int]:
        wakes: list[int] = []
        remove = WATCHERS.add(arn, lambda: wakes.append(1))
        try:
            for _ in range(100):  # as the committer thread calls them, before the loop runs again
                streams.on_record_appended(arn)  # type: ignore[misc]
            await asyncio.sleep(0)
            counts = [len(wakes)]
            streams.on_record_appended(arn)  # type: ignore[misc]
            await asyncio.sleep(0)
            counts.append(len(wakes))
        finally:
            remove()
        return counts

    assert asyncio.run(scenario()) == [1, 2]
