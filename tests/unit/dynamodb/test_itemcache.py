"""The DynamoDB item cache stands aside while a commit is between becoming visible and the
callback that clears it, with a real database."""

from __future__ import annotations

import asyncio

from overcast.services.dynamodb.itemcache import CacheClearingDatabase, ItemCache
from overcast.storage import SqliteDatabase

KEY = (1, b"pk", b"")
OTHER = (1, b"other", b"")


def test_the_cache_answers_nothing_and_keeps_nothing_while_a_commit_is_in_flight(tmp_path):
    db = SqliteDatabase(str(tmp_path / "cache.db"), fsync=False)
    cache = ItemCache(db)
    seen: dict[str, object] = {}
    try:
        db.write_blocking(lambda tx: tx.execute("CREATE TABLE items (name TEXT)"))
        cache.put(KEY, "before", cache.generation)
        assert cache.get(KEY) == "before"

        def during(tx):
            def in_flight():
                # The commit is readable now, its clearing not yet done: the entry is not
                # answered, and what a reader read meanwhile is not stored.
                seen["answered"] = cache.get(KEY)
                cache.put(OTHER, "read meanwhile", cache.generation)
            tx.on_visible(in_flight)
            tx.execute("INSERT INTO items (name) VALUES ('x')")

        asyncio.run(db.write(during))  # the bare database: nothing clears the cache here
        assert seen == {"answered": None}
        assert cache.get(OTHER) is None
        assert cache.get(KEY) == "before"  # it stood aside; it was not cleared
    finally:
        db.close()


def test_a_committed_write_through_the_wrapper_clears_the_cache(tmp_path):
    db = SqliteDatabase(str(tmp_path / "clear.db"), fsync=False)
    cache = ItemCache(db)
    try:
        db.write_blocking(lambda tx: tx.execute("CREATE TABLE items (name TEXT)"))
        cache.put(KEY, "before", cache.generation)
        asyncio.run(CacheClearingDatabase(db, cache).write(
            lambda tx: tx.execute("INSERT INTO items (name) VALUES ('x')")))
        assert cache.get(KEY) is None
    finally:
        db.close()
