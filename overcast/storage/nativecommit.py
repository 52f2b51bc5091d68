"""The native committer (_committer.c) for batches run on the event loop: their COMMIT and the
WAL's sync run on a thread that never takes Python's GIL, and the loop hears of each through an
eventfd it watches.

Why: the Python committer thread had to win the GIL from the busy loop to start a COMMIT, again
when SQLite returned and again after the sync; the writer connection sat idle meanwhile and the
hand-overs cost the loop time of its own. Alternated against it on server-bound
TransactWriteItems (10 items each, 16 connections): +12% and +19% in two runs.

Optional, as the WAL-buffering VFS is: without the extension (no compiler at install time), on a
platform without eventfd, on a Python whose sqlite3 connection object is not laid out as
CPython's, or with OVERCAST_NATIVE_COMMIT=0, SqliteDatabase commits on its Python thread as
before. The committer needs the connection's sqlite3* handle, which Python does not expose: it
is read from CPython's connection object (its first field, in every CPython from 3.8 on) and
checked against SQLite itself (sqlite3_db_filename must name the database) before any use.
"""

from __future__ import annotations

import _sqlite3  # the sqlite3 module's C part: its library is the SQLite the connections use
import asyncio
import ctypes
import importlib
import logging
import os
import sqlite3
import sys
import sysconfig
from typing import TYPE_CHECKING, Any

from overcast.storage.jobs import (
    Job,
    call_soon,
    fail_uncommitted,
    leave_transaction,
    outcomes_of,
    run_all,
    settle_futures,
)

if TYPE_CHECKING:
    import collections
    import queue
    import threading

log = logging.getLogger(__name__)
# The committer thread's marker for a batch the native committer finished whose after_commit
# callbacks it is to run (SqliteDatabase._run_committer).
SYNCED = object()

DISABLE_VARIABLE = "OVERCAST_NATIVE_COMMIT"


def _extension() -> Any:
    try:
        return importlib.import_module("overcast.storage._committer")
    except ImportError:
        return None


def _connection_handle(conn: sqlite3.Connection, library: ctypes.CDLL, path: str) -> int | None:
    """The sqlite3* behind `conn`, or None when it cannot be found safely."""
    if sys.implementation.name != "cpython" or sysconfig.get_config_var("Py_GIL_DISABLED"):
        return None  # another layout, or a free-threaded build with a larger object header
    if sqlite3.threadsafety != 3:
        # Serialized mode only: a cursor the loop drops may reset its statement while the
        # committer's COMMIT runs, which SQLite's own mutex must order.
        return None
    handle = ctypes.c_void_p.from_address(id(conn) + object.__basicsize__).value
    if not handle:
        return None
    filename = library.sqlite3_db_filename
    filename.restype = ctypes.c_char_p
    filename.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    named = filename(handle, b"main")
    if named is None or os.path.realpath(os.fsdecode(named)) != os.path.realpath(path):
        return None
    return handle


def on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether `loop` is the one running on this thread."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


# SQLite's primary result codes to the exception classes Python's sqlite3 raises for them.
_ERROR_CLASSES: dict[int, type[Exception]] = {
    2: sqlite3.InternalError, 12: sqlite3.InternalError,  # INTERNAL, NOTFOUND
    11: sqlite3.DatabaseError, 26: sqlite3.DatabaseError,  # CORRUPT, NOTADB
    18: sqlite3.DataError,  # TOOBIG
    19: sqlite3.IntegrityError, 20: sqlite3.IntegrityError,  # CONSTRAINT, MISMATCH
    21: sqlite3.InterfaceError, 25: sqlite3.InterfaceError,  # MISUSE, RANGE
}


def sqlite_error(status: int, message: str | None) -> Exception:
    """The exception Python's sqlite3 would raise for a COMMIT that failed with `status`."""
    if status & 0xFF == 7:  # NOMEM
        return MemoryError(message or "out of memory")
    error = _ERROR_CLASSES.get(status & 0xFF, sqlite3.OperationalError)(
        message or f"COMMIT failed (SQLite result code {status})")
    error.sqlite_errorcode = status  # type: ignore[attr-defined]  # as Python's own errors carry it
    return error


class NativeCommitter:
    """One database's committing thread, its eventfd and the connection it commits."""

    def __init__(self, committer: Any, notify_fd: int, handle: int) -> None:
        self.committer = committer
        self.notify_fd = notify_fd
        self.handle = handle

    @classmethod
    def for_connection(cls, conn: sqlite3.Connection, path: str, wal_fd: int | None) -> NativeCommitter | None:
        """A committer for the writer connection `conn`, or None where it cannot run (see above)."""
        if os.environ.get(DISABLE_VARIABLE, "1") == "0" or not hasattr(os, "eventfd"):
            return None
        extension = _extension()
        if extension is None:
            log.debug("native committer not built; batches run on the event loop commit on a Python thread")
            return None
        try:
            library = ctypes.CDLL(_sqlite3.__file__)
            handle = _connection_handle(conn, library, path)
            exec_address = ctypes.cast(library.sqlite3_exec, ctypes.c_void_p).value
            free_address = ctypes.cast(library.sqlite3_free, ctypes.c_void_p).value
        except (OSError, AttributeError):
            return None  # this Python's sqlite3 does not export SQLite's functions
        if handle is None or not exec_address or not free_address:
            log.debug("the writer connection's SQLite handle was not found; committing on a Python thread")
            return None
        notify_fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        try:
            committer = extension.Committer(exec_address, free_address, notify_fd, -1 if wal_fd is None else wal_fd)
        except BaseException:
            os.close(notify_fd)
            raise
        return cls(committer, notify_fd, handle)

    def submit(self) -> None:
        """COMMIT the writer connection (its caller holds the connection until poll reports it)."""
        self.committer.submit(self.handle)

    def poll(self) -> tuple[tuple[int, str | None] | None, int, int, int]:
        """(the commit's (status, message) if it was not reported before, batches finished
        (committed and synced, or failed), of them those synced, the first sync's errno or 0)."""
        try:
            os.eventfd_read(self.notify_fd)
        except BlockingIOError:
            pass  # read by an earlier poll
        return self.committer.poll()

    def sync(self) -> int:
        """Sync the WAL for a batch committed elsewhere: 0, or the first failure's errno."""
        return self.committer.sync()

    def drain(self) -> None:
        """Wait until every submitted batch is committed and synced."""
        self.committer.drain()

    def close(self) -> None:
        """Stop the thread (if not yet) and close the eventfd (no loop may watch it any more)."""
        self.committer.close()
        os.close(self.notify_fd)


class NativeCommitMixin:
    """SqliteDatabase's side of the native committer: taking what it reports on the event loop's
    thread, and finishing it elsewhere when that loop is gone or the database closes. (The
    attributes are SqliteDatabase's; _start_loop_batch hands the batches over.)"""

    _native: NativeCommitter | None
    _native_lock: threading.Lock
    _native_batch: tuple[list[Job], list[Job]] | None
    _native_unsynced: collections.deque[tuple[list[Job], list[Job]]]
    _native_taken: int
    _native_loop: asyncio.AbstractEventLoop | None
    _connection: sqlite3.Connection | None
    _connection_lock: threading.Lock
    _commits: queue.SimpleQueue
    _committer: threading.Thread
    _sync_error: OSError | None
    _loop_batch_running: bool
    commits: int
    jobs_committed: int
    commits_in_flight: int

    def _loop_batch_committed(self) -> None: ...
    def _nudge_prefill(self) -> None: ...
    def _follow_up_and_answer(self, batch: list[Job], committed: list[Job]) -> None: ...

    def _native_events(self) -> None:
        """On the event loop's thread, when the native committer's eventfd is readable."""
        with self._native_lock:
            committed = self._native_take(on_loop=True)
        if committed:
            self._loop_batch_committed()

    def _native_take(self, on_loop: bool) -> bool:
        """Take what the native committer finished: a commit (the connection is free again) and
        the batches synced since. Whether a commit was among it. Off the loop (a rescue), the
        callers are answered through their loop, if it still runs."""
        native = self._native
        assert native is not None
        commit, finished, finished_ok, sync_errno = native.poll()
        if commit is not None:
            self._native_committed(*commit)
        while self._native_taken < finished:
            batch, succeeded = self._native_unsynced.popleft()
            if self._native_taken >= finished_ok:  # the batches counted ok come first (_committer.c)
                error = self._sync_error
                if error is None:
                    error = self._sync_error = OSError(sync_errno, os.strerror(sync_errno))
                    log.error("syncing the write-ahead log failed; no write is acknowledged from now on: %s", error)
                for job in succeeded:
                    job.error, job.result = error, None
            self._native_taken += 1
            if any(job.callbacks and job.error is None for job in succeeded):
                if self._committer.is_alive():
                    # Follow-ups (unlinking replaced blobs, perhaps thousands) run where they
                    # always have, on the committer thread, which then answers the callers.
                    self._commits.put((batch, succeeded, SYNCED))
                else:
                    self._follow_up_and_answer(batch, succeeded)  # closing, the committer thread gone: here
            elif on_loop:
                settle_futures(outcomes_of(batch))
            else:
                call_soon(batch[0].loop, settle_futures, outcomes_of(batch))
        if finished:
            self._nudge_prefill()
        return commit is not None

    def _native_committed(self, status: int, message: str | None) -> None:
        """The native committer's COMMIT of _native_batch returned: what _commit does after
        its COMMIT, then the connection is given back."""
        assert self._native_batch is not None
        batch, succeeded = self._native_batch
        self._native_batch = None
        conn = self._connection
        try:
            if status != 0:
                fail_uncommitted(succeeded, sqlite_error(status, message))
                succeeded = []
            else:
                self._made_visible(succeeded)
        finally:
            self.commits_in_flight -= 1
            try:
                if conn is not None:
                    leave_transaction(conn)  # a failed COMMIT leaves the transaction open: rolled back
            finally:
                self._connection_lock.release()
                # Whatever happened above: the sync report that follows pairs with this entry.
                self._native_unsynced.append((batch, succeeded))

    def _made_visible(self, committed: list[Job]) -> None:
        """After a COMMIT (either committer's): count it, and drop cached copies (on_visible)."""
        self.commits += 1
        self.jobs_committed += len(committed)
        for job in committed:
            if job.visible:
                run_all(job.visible, "on_visible")

    def _native_finish_here(self) -> None:
        """Finish on this thread what the native committer has in hand, instead of the loop that
        ran it: when that loop cannot hear of it (closed; the test suite runs a loop per test on
        one database), is blocked waiting for the writer thread (write_blocking on it: a
        service's first request migrates its schema), or the database closes. Else the
        connection would stay taken. The loop's next batch starts from that loop, later."""
        native = self._native
        if native is None:
            return
        with self._native_lock:
            if self._native_batch is None and not self._native_unsynced:
                return
            native.drain()
            if not self._native_take(on_loop=False):
                return
            owner = self._native_loop
            if owner is None or owner.is_closed():
                self._loop_batch_running = False  # the next loop to adopt starts afresh
            else:
                call_soon(owner, self._loop_batch_committed)

    def _close_native(self, native: NativeCommitter) -> None:
        """Stop the native committer and stop watching its eventfd: now if its loop is this
        thread's or closed, else through that loop (which then closes the descriptor)."""
        native.committer.close()  # the thread stops at once (nothing is in hand: see close())
        loop = self._native_loop
        self._native_loop = None
        if loop is None or loop.is_closed():
            native.close()
            return
        if on_loop(loop):
            loop.remove_reader(native.notify_fd)
            native.close()
        else:
            def unwatch() -> None:
                loop.remove_reader(native.notify_fd)
                native.close()
            call_soon(loop, unwatch)
