"""What one write is on its way through SqliteDatabase: the Tx its function is handed, the job
that carries it to whichever thread runs it, its follow-up callbacks, and how the caller waiting
for it is answered (an asyncio future, from any thread, or an event for write_blocking)."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

log = logging.getLogger("overcast.storage.sqlite")

_TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)
# Statements already found not to be transaction control: the writer runs the same few over and
# over, and a set lookup is cheaper than the regex. Bounded in case a caller builds SQL text.
_CHECKED_SQL: set[str] = set()
_CHECKED_SQL_LIMIT = 4096


class JobTx:
    """The Tx handed to one write function; it dies with the job so it cannot leak out."""

    __slots__ = ("_conn", "_callbacks", "_visible", "_open")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._callbacks: list[Callable[[], None]] = []
        self._visible: list[Callable[[], None]] | None = None  # rare: made on first use
        self._open = True

    def _check(self) -> sqlite3.Connection:
        if not self._open:
            raise RuntimeError("transaction used after its write function returned")
        return self._conn

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        conn = self._check()
        if sql not in _CHECKED_SQL:
            if _TRANSACTION_CONTROL.match(sql):
                # The writer owns the transaction; a COMMIT here would publish half a batch.
                raise ValueError(f"transaction control is not allowed in a write function: {sql[:40]!r}")
            if len(_CHECKED_SQL) < _CHECKED_SQL_LIMIT:
                _CHECKED_SQL.add(sql)
        return conn.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> sqlite3.Cursor:
        return self._check().executemany(sql, rows)

    def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple]:
        return self._check().execute(sql, params).fetchall()

    def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> tuple | None:
        return first_row(self._check(), sql, params)

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._check()
        self._callbacks.append(callback)

    def close(self) -> tuple[list[Callable[[], None]], list[Callable[[], None]] | None]:
        """End its use (the write function has returned): its after_commit and on_visible callbacks."""
        self._open = False
        return self._callbacks, self._visible

    def on_visible(self, callback: Callable[[], None]) -> None:
        self._check()
        if self._visible is None:
            self._visible = []
        self._visible.append(callback)


def run_all(callbacks: list[Callable[[], None]], kind: str) -> None:
    for callback in callbacks:
        try:
            callback()
        except BaseException:
            # The write is committed; a failed follow-up (dropping a cached copy, unlinking a
            # replaced blob) must neither turn it into an error for the caller nor stop the
            # follow-ups of the other writes in its batch.
            log.exception("%s callback failed", kind)


def fail_uncommitted(jobs: list[Job], error: BaseException) -> None:
    """Jobs whose batch did not commit: each fails with `error`, and nothing follows it up."""
    for job in jobs:
        job.error, job.result, job.callbacks = error, None, []


def leave_transaction(conn: sqlite3.Connection) -> None:
    """After a batch: a transaction still open here (a failed ROLLBACK, an unexpected error) would
    make every later BEGIN fail, whoever uses the connection next; end it."""
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            log.exception("could not end a transaction left open")


def first_row(conn: sqlite3.Connection, sql: str, params: Sequence[Any] | dict[str, Any]) -> tuple | None:
    cursor = conn.execute(sql, params)
    try:
        return cursor.fetchone()
    finally:
        # A half-read statement keeps its read snapshot open, which would stop checkpoints
        # from ever recycling the WAL; closing resets it at once.
        cursor.close()


class Job:
    __slots__ = ("fn", "loop", "future", "event", "result", "error", "callbacks", "visible")

    def __init__(self, fn: Callable[[Any], Any], loop: asyncio.AbstractEventLoop | None,
                 future: asyncio.Future | None, event: threading.Event | None) -> None:
        self.fn = fn
        self.loop = loop
        self.future = future
        self.event = event
        self.result: Any = None
        self.error: BaseException | None = None
        self.callbacks: list[Callable[[], None]] = []
        self.visible: list[Callable[[], None]] | None = None


def call_soon(loop: asyncio.AbstractEventLoop | None, callback: Callable[..., None], *args: Any) -> None:
    if loop is None:
        return
    try:
        loop.call_soon_threadsafe(callback, *args)
    except RuntimeError:
        pass  # that loop is closed; nobody is waiting on it any more


Outcome = tuple[asyncio.Future | None, Any, BaseException | None]


def outcomes_of(batch: list[Job]) -> list[Outcome]:
    return [(job.future, job.result, job.error) for job in batch]


def settle_futures(outcomes: list[Outcome]) -> None:
    for future, result, error in outcomes:
        if future is None or future.done():
            continue  # the caller gave up waiting (cancelled); the write itself still happened or failed
        if error is None:
            future.set_result(result)
        elif isinstance(error, StopIteration):
            # A future refuses it (it would end the awaiting coroutine silently), and the refusal
            # would leave this caller and the rest of the batch unanswered: as asyncio does.
            future.set_exception(RuntimeError(f"a write function raised StopIteration: {error!r}"))
        else:
            future.set_exception(error)
