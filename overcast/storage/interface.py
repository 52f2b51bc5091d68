"""The narrow storage interface every service persists through.

One writer, many readers: writes are functions run one at a time on the single writer
connection inside a transaction and acknowledged only after the commit is durable; concurrent
writers share one commit and one sync (group commit). A request's write runs on the event loop's
thread (see Database.requests_in_hand), anything else's on the writer thread, so write functions
and their after_commit and on_visible callbacks must be quick and must not block or write again
(write_blocking there is refused). Reads use their own connections and never wait for the writer.
SQL passed through here must stay portable (no SQLite-only syntax) so that a second engine can
implement the same interface later; SQLite specifics live in storage/sqlite.py.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Tx(Protocol):
    """The writer's view inside one write function."""

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any: ...
    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any: ...
    def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple]: ...
    def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> tuple | None: ...
    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once this write is durable (e.g. unlink a replaced blob file), on
        whichever thread committed it (possibly the event loop's): keep it short. Not run when
        the sync after the commit failed (the caller is told so)."""
        ...

    def on_visible(self, callback: Callable[[], None]) -> None:
        """Run `callback` as soon as this write is committed, so visible to readers, which may
        be a sync before it is durable: for dropping cached copies of what it changed (caches
        also stand aside while Database.commits_in_flight is not 0). It runs while the writer
        connection is held, before the next commit: keep it tiny. Same threads and rules as
        after_commit."""
        ...


@dataclass
class Migration:
    """One forward step of a namespace's schema. Applied in version order, once, atomically."""

    version: int
    statements: list[str]


class Database(ABC):
    # Set by the server: how many requests it has in hand when called from one of their tasks,
    # 0 from anything else. write() runs requests' jobs on the calling (event loop's) thread and
    # everything else's on a writer thread (see SqliteDatabase.write).
    requests_in_hand: Callable[[], int] | None = None
    # Commits begun whose on_visible callbacks have not all run yet: a cache of stored data
    # answers from itself only while this is 0 (between a commit's becoming visible and its
    # on_visible callback, a reader would find the cache older than the database).
    commits_in_flight: int = 0

    @abstractmethod
    def migrate(self, namespace: str, migrations: list[Migration]) -> None:
        """Bring `namespace`'s schema (a service's tables) up to the newest version."""

    @abstractmethod
    def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple]:
        """Read on a reader connection (committed data only)."""

    @abstractmethod
    def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> tuple | None: ...

    @abstractmethod
    async def write(self, fn: Callable[[Tx], T], *, bulk: bool = False) -> T:
        """Run fn(tx) on the writer in a transaction; return its result once durable.
        If fn raises, its changes are rolled back and the exception re-raised here; other
        writers sharing the same group commit are unaffected. `bulk` marks a job that may run
        long (a whole table copied, say): it never commits on the caller's thread, so the
        event loop stays free meanwhile."""

    def stats(self) -> dict[str, int]:
        """Counters for /_overcast/health (commits and the like); engine-specific."""
        return {}

    @abstractmethod
    def write_blocking(self, fn: Callable[[Tx], T]) -> T:
        """The same as write(), for threads that are not the event loop (background jobs)."""

    @abstractmethod
    def close(self) -> None: ...


@dataclass
class BlobInfo:
    blob_id: str  # relative name under the blob directory
    size: int
    md5: str  # hex
    extra: dict[str, Any] = field(default_factory=dict)


class BlobStore(ABC):
    """Large bytes as files under the data directory.

    A blob is written to a temporary name, synced, then renamed to its final name; the metadata
    row that references it is committed after that. A crash therefore leaves at worst an
    unreferenced file, which `sweep` removes at start-up; it is never counted as data.
    """

    @abstractmethod
    async def write(self, chunks: AsyncIterator[bytes], observers: Sequence[Callable[[bytes], None]] = ()) -> BlobInfo:
        """Stream chunks into a new durable blob. Each observer sees every chunk (checksums)."""

    @abstractmethod
    def read(self, blob_id: str, start: int = 0, end: int | None = None, chunk_size: int = 256 * 1024) -> AsyncIterator[bytes]:
        """Bytes [start, end) of a blob (end exclusive, None for the end), chunk by chunk.

        Implementations are async generators: `async for chunk in store.read(...)`."""

    @abstractmethod
    def path(self, blob_id: str) -> str:
        """The file's path (for zero-copy readers and code bundles)."""

    @abstractmethod
    def delete(self, blob_id: str) -> None:
        """Remove a blob file; call only after the row that referenced it is gone (after_commit)."""

    @abstractmethod
    def sweep(self, referenced: Callable[[str], bool]) -> int:
        """Remove temporary files and blobs for which `referenced(blob_id)` is False."""
