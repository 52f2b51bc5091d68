"""A stopped event source mapping poller lets go of what it listened to: the clock's listeners
and its stream's watchers. Each disable/enable cycle of a mapping starts a
new poller; one left registered with the clock was kept alive (with its windows and mapping) and
called on every clock move for the life of the server."""

from __future__ import annotations

import asyncio

from overcast.clock import Clock
from overcast.services.lambda_.event_sources.mapping import ENABLED, STREAM_DEFAULTS, Mapping
from overcast.services.lambda_.event_sources.poller import MappingPoller
from overcast.services.lambda_.event_sources.store import MappingStore
from overcast.storage.sqlite import SqliteDatabase


class QuietSource:
    """A source with one empty shard that counts who watches it."""

    arn = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-01-01T00:00:00.000"

    def __init__(self) -> None:
        self.watchers = 0

    async def shards(self) -> list[str]:
        return ["shard-0"]

    async def read(self, shard, after, limit):
        return []

    def watch(self, wake):
        self.watchers += 1

        def unwatch() -> None:
            self.watchers -= 1
        return unwatch


def _mapping() -> Mapping:
    return Mapping(uuid="m-1", account="000000000000", region="us-east-1", created=0.0,
                   function_arn="arn:aws:lambda:us-east-1:000000000000:function:f",
                   event_source_arn=QuietSource.arn, settings=dict(STREAM_DEFAULTS, StartingPosition="LATEST"),
                   state=ENABLED, settled_state=ENABLED, last_modified=0.0)


def test_stopped_and_cancelled_pollers_leave_no_clock_listener_or_watcher(tmp_path):
    db = SqliteDatabase(str(tmp_path / "overcast.db"), fsync=False)
    store = MappingStore(db)
    store.load()
    clock = Clock()
    source = QuietSource()

    async def report(mapping, result):
        pass

    async def scenario() -> None:
        before = clock.listener_count
        for ending in ("stop", "cancel", "stop"):
            poller = MappingPoller(_mapping(), source, store, None, clock, report,  # type: ignore[arg-type]
                                   "http://127.0.0.1:1")
            poller.start()
            await asyncio.sleep(0.01)
            assert clock.listener_count == before + 1 and source.watchers == 1
            if ending == "stop":
                await poller.stop()
            else:
                poller.cancel()
            assert clock.listener_count == before and source.watchers == 0
        clock.advance(60)  # no stopped poller is called

    try:
        asyncio.run(scenario())
    finally:
        db.close()
