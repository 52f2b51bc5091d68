"""Stored items by key, so that GetItem on an unchanged table skips SQLite.

Any committed write clears the whole cache: the provider's database is wrapped so that every
write function registers the clearing with Tx.on_visible, whatever rows it touches: it runs as
the commit returns, before the sync that makes the write durable (readers see the new rows from
the commit on; a cache cleared only after the sync would answer the old item meanwhile, after a
Query had already returned the new one). Until it has run, Database.commits_in_flight is not 0
and the cache stands aside (answers nothing, stores nothing): a commit is visible to readers
from the moment it returns, a moment before its thread gets to the clearing. Clearing after the
commit (not before) is what keeps the cache from going stale: a read that raced the commit
either finds the generation moved and stores nothing, or stored before the clear.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from overcast.storage.interface import Database, Tx

T = TypeVar("T")

# Items are cached as their stored text, so callers never share (and mutate) one dict.
ABSENT = ""
# Small items only, and not too many, so the cache stays within about 16 MB.
_MAX_ITEMS = 2048
_MAX_TEXT = 8192


class ItemCache:
    def __init__(self, db: Database) -> None:
        self._db = db  # whose commits_in_flight says when to stand aside
        self._items: dict[tuple[int, bytes, bytes], str] = {}
        self._generation = 0
        # Guards "generation unchanged, so store" against a clear landing in between.
        self._lock = threading.Lock()

    def get(self, key: tuple[int, bytes, bytes]) -> str | None:
        if self._db.commits_in_flight:
            return None
        return self._items.get(key)

    @property
    def generation(self) -> int:
        return self._generation

    def put(self, key: tuple[int, bytes, bytes], text: str, generation: int) -> None:
        """Remember an item read while the cache was at `generation` (ABSENT: no item)."""
        with self._lock:
            if generation != self._generation or len(text) > _MAX_TEXT or self._db.commits_in_flight:
                return  # a write committed during the read (what was read may be older), or too big
            if len(self._items) >= _MAX_ITEMS:
                self._items.clear()
            self._items[key] = text

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._items.clear()


class CacheClearingDatabase:
    """The provider's view of the database: writes clear the item cache once committed."""

    def __init__(self, db: Database, cache: ItemCache):
        self._db = db
        self._clear = cache.clear
        self.fetchone = db.fetchone
        self.fetchall = db.fetchall

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    def _clearing(self, fn: Callable[[Tx], T]) -> Callable[[Tx], T]:
        clear = self._clear

        def run(tx: Tx) -> T:
            tx.on_visible(clear)
            return fn(tx)

        return run

    async def write(self, fn: Callable[[Tx], T], *, bulk: bool = False) -> T:
        return await self._db.write(self._clearing(fn), bulk=bulk)

    def write_blocking(self, fn: Callable[[Tx], T]) -> T:
        return self._db.write_blocking(self._clearing(fn))
