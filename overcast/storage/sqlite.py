"""SQLite (WAL) engine for the Database interface: one writer connection, group commit, a read
connection per thread.

Group commit: the jobs waiting for the writer connection run each inside its own SAVEPOINT of one
BEGIN IMMEDIATE transaction, and commit once, so a batch of concurrent writers shares a single
sync of the WAL. A job that raises is rolled back to its savepoint alone; the others commit.
Callers are resolved only once the WAL is synced after their COMMIT: SQLite runs with
synchronous=NORMAL (it syncs only around checkpoints) and the committing thread fdatasyncs the
WAL itself, so that a committer can hand the connection back before the sync.

Who runs a job (see write()):
- a request's own write runs on the event loop's thread, where the request already holds the
  GIL: alone, it commits and syncs there too; among others, the jobs that arrived meanwhile run
  there as one batch, which the native committer (nativecommit.py: a thread that never takes the
  GIL) commits and syncs, telling the loop through an eventfd when the connection is free (the
  loop may run the next batch) and again when the batch is durable; where that committer cannot
  run, the committer thread commits it, gives the connection back and only then syncs, so that
  a batch's sync overlaps the next one's work either way;
- anything else (background tasks, other threads, whole-table jobs marked bulk) goes to the
  writer thread, which runs, commits and syncs its batches itself.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import os
import queue
import sqlite3
import sys
import threading
import weakref
from collections.abc import Callable, Sequence
from types import CoroutineType
from typing import Any, TypeVar

from overcast.storage.interface import Database, Migration
from overcast.storage.jobs import (
    Job,
    JobTx,
    Outcome,
    call_soon,
    fail_uncommitted,
    first_row,
    leave_transaction,
    outcomes_of,
    run_all,
    settle_futures,
)
from overcast.storage.nativecommit import SYNCED, NativeCommitMixin, NativeCommitter, on_loop
from overcast.storage.vfs import connect_writer, wal_buffering_stats
from overcast.storage.walfill import WalPrefill

T = TypeVar("T")
log = logging.getLogger(__name__)

# A batch is bounded so that one enormous burst does not hold every caller until all of it is done.
MAX_BATCH = 512
# A batch run on the event loop's thread holds the loop meanwhile: smaller.
MAX_LOOP_BATCH = 64
# Pages of WAL between checkpoints (~64 MiB). A checkpoint copies each page the log holds into
# the database once, however often it was rewritten meanwhile, and stalls the writer while it
# does: a longer log folds more rewrites of the same index leaves into one copy. Against SQLite's
# usual 1,000 and our earlier 4,000, sustained writes (TransactWriteItems, 10 items each) ran
# 12% faster; the cost is the log's size on disk and a longer replay after a crash.
WAL_CHECKPOINT_PAGES = 16000
WAL_PREFILL_CHECK_EVERY = 8  # commits
_STOP = object()
_fdatasync = getattr(os, "fdatasync", os.fsync)  # fdatasync is POSIX-only
_NUDGE = object()  # wakes the writer thread to look at the WAL (see write())


# Python's sqlite3 binds exact str, int, float and bytearray parameters directly; anything else
# (None, bytes, bool) first goes through its adapter lookup, which on a miss builds an error
# message and throws it away: about 2,000 instructions per such parameter, a fifth of a small
# INSERT. Registering identity adapters for them makes the lookup hit; what is bound is the same.
sqlite3.register_adapter(type(None), lambda value: value)
sqlite3.register_adapter(bytes, bytes)  # bytes(b) is b itself: no copy
sqlite3.register_adapter(bool, int)


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer Overcast than this one (refuse rather than corrupt)."""


class DatabaseClosedError(RuntimeError):
    pass


class _ReaderConnection(sqlite3.Connection):
    """A plain subclass only so that connections can sit in a WeakSet (the base type cannot)."""


class SqliteDatabase(NativeCommitMixin, Database):
    def __init__(self, path: str, fsync: bool = True, native_commit: bool = True) -> None:
        self.path = path
        self.fsync = fsync
        self.commits = 0  # counters for benchmarks and /_overcast/health
        self.inline_commits = 0  # of them, committed on the caller's thread (see write())
        self.jobs_committed = 0
        self.commits_in_flight = 0  # see Database.commits_in_flight
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._closed = False
        self._submit_lock = threading.Lock()  # so that no job can slip in behind the stop marker
        self._local = threading.local()
        self._readers: weakref.WeakSet[_ReaderConnection] = weakref.WeakSet()
        self._readers_lock = threading.Lock()
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._wal_prefill: WalPrefill | None = None  # set by the writer thread when fsync is on
        self._prefill_checked_at = -WAL_PREFILL_CHECK_EVERY
        self._prefill_nudged_at = 0
        # Held by whoever uses the writer connection: the writer thread for a batch, a lone
        # request committing on the loop's thread, or a batch run on the loop, from its first
        # job until the committer thread has committed it (taken on one thread, released on the
        # other; see write()). Only the writer thread ever waits for it.
        self._connection_lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        # Set by the server (see Database.requests_in_hand and write()).
        self.requests_in_hand: Callable[[], int] | None = None
        self._borrower: int | None = None  # the thread running jobs with the borrowed connection
        # Requests' jobs waiting for the next batch on the event loop's thread, whether one is
        # running (from its first job until the committer gives the connection back), and
        # whether one is already scheduled to start. Changed on the event loop's thread only;
        # the writer thread reads the second.
        self._loop_pending: list[Job] = []
        self._loop_batch_running = False
        self._loop_batch_scheduled = False
        self._loop_owner: asyncio.AbstractEventLoop | None = None  # the loop those belong to
        self._wal_fd: int | None = None  # the WAL, opened by the writer thread, synced by whoever commits
        # Syncs one at a time, and a failed one fails every later write: Linux reports a lost
        # write-back once per open file (ours is one shared descriptor), so a later or racing
        # sync could succeed over pages that never reached the disk.
        self._sync_lock = threading.Lock()
        self._sync_error: OSError | None = None
        self._commits: queue.SimpleQueue = queue.SimpleQueue()  # loop batches for the committer
        self._committer = threading.Thread(target=self._run_committer,
                                           name=f"sqlite-committer:{os.path.basename(path)}", daemon=True)
        self._submitted = 0  # jobs queued for the writer thread (under _submit_lock)...
        self._finished = 0  # ...and answered by it (written by the writer thread only)
        # The native committer (nativecommit.py), when it can run: it commits and syncs the
        # batches run on the loop instead of the committer thread. The batch it was handed and
        # not yet reported committed; the committed ones not yet reported synced, oldest first,
        # and how many of its finished batches were taken from there; the loop watching its
        # eventfd. Changed under _native_lock (the loop's reader, or whoever finishes a batch
        # for it: see _native_finish_here).
        self._native: NativeCommitter | None = None
        self._native_lock = threading.Lock()
        self._native_batch: tuple[list[Job], list[Job]] | None = None
        self._native_unsynced: collections.deque[tuple[list[Job], list[Job]]] = collections.deque()
        self._native_taken = 0
        self._native_loop: asyncio.AbstractEventLoop | None = None
        self._writer = threading.Thread(target=self._run_writer, name=f"sqlite-writer:{os.path.basename(path)}",
                                        daemon=True)
        self._writer.start()
        self._ready.wait()
        if self._startup_error is not None:
            self._writer.join()
            raise self._startup_error
        self._committer.start()
        # Only now that the writer connection exists (the native state itself is set up before
        # the threads start: the writer thread looks at it while waiting for the connection).
        if native_commit and self._connection is not None:
            self._native = NativeCommitter.for_connection(self._connection, path, self._wal_fd)

    # ---- connections -------------------------------------------------------------------------

    def _common_pragmas(self, conn: sqlite3.Connection, cache_kib: int) -> None:
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute(f"PRAGMA cache_size = -{cache_kib}")  # grows only as it is used
        conn.execute("PRAGMA mmap_size = 268435456")  # reads straight from the page cache
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA foreign_keys = ON")

    def _open_writer(self) -> sqlite3.Connection:
        # check_same_thread=False: a caller may borrow it under _connection_lock (see write()).
        # Through the WAL-buffering VFS where it was built: a commit's frames in one write (vfs.py).
        conn = connect_writer(self.path, isolation_level=None, cached_statements=512, check_same_thread=False)
        self._common_pragmas(conn, cache_kib=32768)
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise RuntimeError(f"{self.path}: could not switch to WAL mode (got {mode!r})")
        # NORMAL: SQLite syncs the WAL before a checkpoint and the database after one; the sync
        # after each commit, which makes an acknowledgement durable, is _sync_wal's. (FULL would
        # sync inside COMMIT, holding the connection through it.)
        conn.execute(f"PRAGMA synchronous = {'NORMAL' if self.fsync else 'OFF'}")
        if self.fsync and sys.platform == "darwin":
            conn.execute("PRAGMA fullfsync = ON")  # macOS fsync() does not reach the platter
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
        # Kept at up to twice a lap when it starts over: a lap is always reused, never cut back.
        conn.execute(f"PRAGMA journal_size_limit = {2 * WAL_CHECKPOINT_PAGES * (page_size + 24)}")
        # The fill answers how Linux file systems sync a grown file (see walfill.py).
        if self.fsync and sys.platform.startswith("linux"):
            self._wal_prefill = WalPrefill(self.path + "-wal", page_size, WAL_CHECKPOINT_PAGES)
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_versions (namespace TEXT PRIMARY KEY, version INTEGER NOT NULL)"
        )
        if self.fsync:
            # The file SQLite writes frames to (opened by it with the first statement above); it
            # keeps it, truncated at most, while its connections are open.
            self._wal_fd = os.open(self.path + "-wal", os.O_RDWR | getattr(os, "O_CLOEXEC", 0))
        return conn

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise DatabaseClosedError("database is closed")
            # check_same_thread=False only so close() may close it from another thread; each
            # connection is otherwise used by the one thread that owns it.
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   factory=_ReaderConnection, cached_statements=512)
            # Smaller than the writer's: there is one per thread, and mmap serves most reads.
            self._common_pragmas(conn, cache_kib=8192)
            conn.execute("PRAGMA query_only = ON")
            with self._readers_lock:
                self._readers.add(conn)
            self._local.conn = conn
        return conn

    # ---- reads -------------------------------------------------------------------------------

    def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple]:
        return self._reader().execute(sql, params).fetchall()

    def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> tuple | None:
        return first_row(self._reader(), sql, params)

    # ---- writes ------------------------------------------------------------------------------

    async def write(self, fn: Callable[[Any], T], *, bulk: bool = False) -> T:
        """See Database.write. Cancelling the awaiting task does not withdraw the write: once
        submitted it commits or fails like any other, only nobody hears about it.

        A request's own job (requests_in_hand says how many the server has) runs on the calling
        thread, the event loop's: handing it to the writer thread would cost two thread
        wake-ups and, worse, a GIL hand-over at every statement it runs there while the loop
        works on other requests. Alone, it commits here too; among others, it joins the next
        batch (see _start_loop_batch). Anything else, and a bulk job (which may run long), goes
        to the writer thread."""
        count = self.requests_in_hand
        in_hand = count() if count is not None and not bulk else 0
        if (in_hand == 1 and self._idle() and not self._loop_pending
                and self._connection_lock.acquire(blocking=False)):
            try:
                if self._connection is not None and self._idle():
                    return self._commit_here(fn)
            finally:
                self._connection_lock.release()
        loop = asyncio.get_running_loop()
        if in_hand and loop is not self._loop_owner and not self._adopt_loop(loop):
            in_hand = 0
        future = loop.create_future()
        job = Job(fn, loop, future, None)
        if not in_hand:
            self._submit(job)
        elif self._closed:
            raise DatabaseClosedError("database is closed")
        else:
            self._loop_pending.append(job)
            if not self._loop_batch_running and not self._loop_batch_scheduled:
                # Soon rather than now: the requests already read in this turn of the loop
                # join the same batch.
                self._loop_batch_scheduled = True
                loop.call_soon(self._start_loop_batch)
        return await future

    def _adopt_loop(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Let `loop` run batches, unless another loop still does (its jobs then go to the
        writer thread). A loop closed before hearing that its last batch was committed leaves
        that state behind (the test suite runs a loop per test on one database): it is reset,
        and jobs that loop had not run yet are dropped with it (nobody waits for them). One
        loop at a time: two loops on two threads both adopting at once are not guarded
        against (the server has one)."""
        owner = self._loop_owner
        if owner is not None and not owner.is_closed():
            return False
        self._native_finish_here()
        self._loop_pending = []
        self._loop_batch_running = self._loop_batch_scheduled = False
        self._loop_owner = loop
        return True

    def _idle(self) -> bool:
        """No job submitted to the writer thread and not yet finished: one run elsewhere now
        cannot overtake an earlier one. (Finished is read first: both only grow, so equal means
        none was outstanding at that moment.)"""
        finished = self._finished
        return finished == self._submitted and not self._closed

    def _commit_here(self, fn: Callable[[Any], T]) -> T:
        """Run one job on the calling thread with the borrowed writer connection (the caller
        holds _connection_lock): the same transaction, sync and callbacks as on the writer
        thread, without the two thread hand-offs."""
        assert self._connection is not None
        job = Job(fn, None, None, None)
        self._borrower = threading.get_ident()
        try:
            self._run_batch(self._connection, [job])
        finally:
            self._borrower = None
            leave_transaction(self._connection)
        if job.error is None:
            self.inline_commits += 1
        self._nudge_prefill()
        if job.error is not None:
            raise job.error
        return job.result

    # ---- batches on the event loop's thread --------------------------------------------------

    def _start_loop_batch(self) -> None:
        """On the event loop's thread: run the jobs requests left in _loop_pending as one batch
        with the borrowed writer connection, then hand its COMMIT to the committer thread. If
        the writer thread has the connection or jobs of its own queued, they go to its queue,
        behind those, instead."""
        self._loop_batch_scheduled = False
        if self._loop_batch_running or not self._loop_pending:
            return
        if not (self._idle() and self._connection_lock.acquire(blocking=False)):
            pending, self._loop_pending = self._loop_pending, []
            for job in pending:
                self._submit_or_fail(job)
            return
        conn = self._connection
        if conn is None or self._closed:
            self._connection_lock.release()
            pending, self._loop_pending = self._loop_pending, []
            settle_futures([(job.future, None, DatabaseClosedError("database is closed")) for job in pending])
            return
        batch = self._loop_pending[:MAX_LOOP_BATCH]
        del self._loop_pending[:MAX_LOOP_BATCH]
        self._loop_batch_running = True
        self._borrower = threading.get_ident()
        try:
            succeeded = self._execute(conn, batch)
        except BaseException as exc:  # a bug in the batch machinery itself: fail the batch, free the connection
            log.exception("running a batch on the event loop failed")
            for job in batch:
                job.error, job.result = exc, None
            succeeded = []
            leave_transaction(conn)
        finally:
            self._borrower = None
        native = self._native
        if native is not None and conn.in_transaction:
            loop = batch[0].loop
            assert loop is not None  # requests' jobs always carry theirs
            if self._native_loop is not loop:
                loop.add_reader(native.notify_fd, self._native_events)
                self._native_loop = loop
            self._native_batch = (batch, succeeded)
            self.commits_in_flight += 1  # lowered once its on_visible callbacks ran (_native_committed)
            native.submit()
            return
        self._commits.put((batch, succeeded))

    def _submit_or_fail(self, job: Job) -> None:
        try:
            self._submit(job)
        except DatabaseClosedError as exc:
            settle_futures([(job.future, None, exc)])

    def _run_committer(self) -> None:
        """The committer thread: COMMIT each batch run on the event loop, give the connection
        back (the loop may start the next batch at once), then sync, run the after-commit
        callbacks and resolve the batch's callers."""
        while True:
            item = self._commits.get()
            if item is _STOP:
                return
            batch, succeeded = item[0], item[1]
            loop = batch[0].loop
            if item[-1] is SYNCED:  # committed and synced by the native committer: its follow-ups (_native_take)
                self._follow_up_and_answer(batch, succeeded)
                continue
            conn = self._connection
            try:
                assert conn is not None  # the writer thread closes it only once the lock is free
                succeeded = self._commit(conn, succeeded)
            except BaseException as exc:
                log.exception("committing a batch run on the event loop failed")
                fail_uncommitted(succeeded, exc)
                succeeded = []
            finally:
                if conn is not None:
                    leave_transaction(conn)
                self._connection_lock.release()
            call_soon(loop, self._loop_batch_committed)  # if that loop is gone, see _adopt_loop
            try:
                self._sync_wal(succeeded)
                self._run_callbacks(succeeded)
                self._nudge_prefill()
            except BaseException as exc:  # this thread must live on: the next batch needs it
                log.exception("finishing a batch run on the event loop failed")
                for job in succeeded:
                    if job.error is None:
                        job.error, job.result = exc, None
            call_soon(loop, settle_futures, outcomes_of(batch))

    def _loop_batch_committed(self) -> None:
        """On the event loop's thread: the connection is free again; the next batch may start."""
        self._loop_batch_running = False
        if self._loop_pending:
            self._start_loop_batch()

    def _nudge_prefill(self) -> None:
        """Filling the WAL is the idle writer thread's work (see _run_writer); it does not see
        commits made elsewhere, so every few of them wake it to look."""
        if self._wal_prefill is not None and self.commits - self._prefill_nudged_at >= WAL_PREFILL_CHECK_EVERY:
            self._prefill_nudged_at = self.commits
            self._queue.put(_NUDGE)

    def stats(self) -> dict[str, int]:
        wal_buffer = wal_buffering_stats()
        return {"commits": self.commits, "inline_commits": self.inline_commits,
                "jobs_committed": self.jobs_committed,
                # SQLite's writes of WAL frames and the system calls made for them (see vfs.py);
                # counted for the whole process.
                "file_writes_by_sqlite": wal_buffer["writes_received"],
                "file_writes_made": wal_buffer["writes_made"]}

    def write_blocking(self, fn: Callable[[Any], T]) -> T:
        current = threading.current_thread()
        if current is self._writer or current is self._committer or self._borrower == threading.get_ident():
            raise RuntimeError("write_blocking called from inside a write or an after_commit callback "
                               "(on the thread holding the writer connection); it would wait for itself forever")
        if self._native_batch is not None and self._native_loop is not None and on_loop(self._native_loop):
            # The loop that would give the connection back is this thread, about to block.
            self._native_finish_here()
        done = threading.Event()
        job = Job(fn, None, None, done)
        self._submit(job)
        done.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def _submit(self, job: Job) -> None:
        with self._submit_lock:
            if self._closed:
                raise DatabaseClosedError("database is closed")
            self._submitted += 1
            self._queue.put(job)

    def _run_writer(self) -> None:
        try:
            conn = self._open_writer()
        except BaseException as exc:  # handed to the constructor's thread
            self._startup_error = exc
            self._ready.set()
            return
        self._connection = conn
        self._ready.set()
        stopping = False
        try:
            while not stopping:
                # Only while nobody needs the connection: no job queued here, no batch on the loop.
                if (self._wal_prefill is not None and self._queue.empty() and not self._loop_batch_running
                        and self._connection_lock.acquire(blocking=False)):
                    # Never waited for: the fill is optional, and requests' jobs would queue behind it.
                    try:
                        filled = self._prefill_wal(conn)
                    finally:
                        self._connection_lock.release()
                    if filled:
                        continue  # one chunk done; another if still idle
                first = self._queue.get()
                if first is _STOP:
                    break
                if first is _NUDGE:
                    continue
                batch = [first]
                while len(batch) < MAX_BATCH:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stopping = True
                        break
                    if item is not _NUDGE:
                        batch.append(item)
                try:
                    self._take_connection()
                    try:
                        self._run_batch(conn, batch)
                    finally:
                        self._connection_lock.release()
                except BaseException as exc:
                    # Never let the writer die with callers waiting on it forever.
                    log.exception("writer failed on a batch")
                    for job in batch:
                        job.error, job.result = exc, None
                    leave_transaction(conn)
                self._finish(batch)
        finally:
            self._take_connection()
            try:
                self._connection = None
                conn.close()
            finally:
                self._connection_lock.release()

    def _take_connection(self) -> None:
        """The writer thread's wait for the connection. A batch the native committer holds it
        for is given back by the loop that ran it; should that loop not get to it (closed, or
        blocked on this very thread), this thread finishes the batch instead."""
        while not self._connection_lock.acquire(timeout=0.05):
            self._native_finish_here()

    def _prefill_wal(self, conn: sqlite3.Connection) -> bool:
        prefill = self._wal_prefill
        assert prefill is not None
        filled = False
        if not prefill.started:
            # Until the database has been written to enough, the WAL's size is looked at once
            # every few commits rather than after every batch.
            if self.commits - self._prefill_checked_at < WAL_PREFILL_CHECK_EVERY:
                return False
            self._prefill_checked_at = self.commits
        try:
            if prefill.due():
                # SQLite's write lock, so that nothing else changes the WAL while it is extended
                # (see walfill.py); the transaction is empty and rolled back.
                conn.execute("BEGIN IMMEDIATE")
                try:
                    filled = prefill.fill_chunk()
                finally:
                    conn.execute("ROLLBACK")
        except Exception:  # optional work: whatever goes wrong, the writer must go on
            log.warning("could not zero-fill the write-ahead log; commits stay correct, only slower",
                        exc_info=True)
            filled, prefill.done = False, True
        if prefill.done:
            self._wal_prefill = None
        return filled

    def _run_batch(self, conn: sqlite3.Connection, batch: list[Job]) -> None:
        """Run, commit and sync a batch on this thread."""
        succeeded = self._commit(conn, self._execute(conn, batch))
        self._sync_wal(succeeded)
        self._run_callbacks(succeeded)

    def _execute(self, conn: sqlite3.Connection, batch: list[Job]) -> list[Job]:
        """BEGIN, then each job in its own savepoint; the jobs that succeeded (the transaction
        is left open for _commit)."""
        succeeded: list[Job] = []
        if self._sync_error is not None:
            # Nothing can be acknowledged any more (see _sync_wal): run nothing either, so that
            # a client's retry of a failed answer does not apply its write once more.
            for job in batch:
                job.error = self._sync_error
            return succeeded
        try:
            conn.execute("BEGIN IMMEDIATE")
        except BaseException as exc:
            for job in batch:
                job.error = exc
            return succeeded
        # A job alone needs no savepoint: if it fails, the whole transaction is its own to undo.
        # (Two statements fewer per write whenever writers are not queueing up.)
        alone = len(batch) == 1
        for job in batch:
            if not conn.in_transaction:
                # SQLite abandoned the whole transaction (disk full, I/O error): nothing in this
                # batch can commit any more, including jobs that had already succeeded.
                job.error = sqlite3.OperationalError("transaction aborted by an earlier error in its batch")
                continue
            tx = JobTx(conn)
            try:
                if not alone:
                    conn.execute("SAVEPOINT job")
                job.result = job.fn(tx)
                # An exact type test: asyncio.iscoroutine's abstract-class check costs more than
                # the rest of a small job's bookkeeping for every result that is not a coroutine.
                if type(job.result) is CoroutineType:
                    job.result.close()
                    raise TypeError("a write function must be a plain function, not async: it runs "
                                    "inside the transaction, on the thread holding the writer connection")
                if not alone:
                    conn.execute("RELEASE job")
                job.callbacks, job.visible = tx.close()
                succeeded.append(job)
            except BaseException as exc:
                job.error = exc
                if conn.in_transaction:
                    try:
                        if alone:
                            conn.execute("ROLLBACK")
                        else:
                            conn.execute("ROLLBACK TO job")
                            conn.execute("RELEASE job")
                    except sqlite3.Error:
                        log.exception("rolling back a failed write")
            finally:
                tx.close()
        return succeeded

    def _commit(self, conn: sqlite3.Connection, succeeded: list[Job]) -> list[Job]:
        """COMMIT what _execute left open; the jobs committed (the others get their error)."""
        if not conn.in_transaction:
            for job in succeeded:
                job.error = sqlite3.OperationalError("transaction aborted by an error in its batch; not committed")
                job.result, job.callbacks = None, []
            return []
        # Raised before the commit becomes visible, lowered once its on_visible callbacks have
        # dropped cached copies (see Database.commits_in_flight). Changed under the connection
        # lock only.
        self.commits_in_flight += 1
        try:
            try:
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        log.exception("rolling back a failed commit")
                fail_uncommitted(succeeded, exc)
                return []
            self._made_visible(succeeded)
        finally:
            self.commits_in_flight -= 1
        return succeeded

    def _sync_wal(self, committed: list[Job]) -> None:
        """Make what has been committed so far durable: the WAL's data reaches the disk (any
        descriptor of the file syncs all of it). Frames a later batch appends meanwhile are
        synced too, harmlessly."""
        fd = self._wal_fd
        if fd is None or not committed:
            return
        with self._sync_lock:
            error = self._sync_error
            if error is None and self._native is not None:
                # Through the native committer: one sync at a time with its own, one failure for all.
                failure = self._native.sync()
                if failure:
                    error = self._sync_error = OSError(failure, os.strerror(failure))
                    log.error("syncing the write-ahead log failed; no write is acknowledged from now on: %s", error)
            elif error is None:
                try:
                    if sys.platform == "darwin":
                        import fcntl

                        fcntl.fcntl(fd, fcntl.F_FULLFSYNC)  # macOS fsync() does not reach the platter
                    else:
                        _fdatasync(fd)
                except OSError as exc:
                    log.error("syncing the write-ahead log failed; no write is acknowledged from now on: %s", exc)
                    error = self._sync_error = exc
        if error is not None:
            # Committed (other connections may already read it) but perhaps not on disk: the
            # callers are told, and their after_commit callbacks do not run.
            for job in committed:
                job.error, job.result = error, None

    @staticmethod
    def _run_callbacks(committed: list[Job]) -> None:
        for job in committed:
            # Not after a failed sync: the commit may not survive a power cut, and what these
            # follow up (a replaced blob unlinked) must not go before it does.
            if job.callbacks and job.error is None:
                run_all(job.callbacks, "after_commit")

    def _finish(self, batch: list[Job]) -> None:
        self._finished += len(batch)
        per_loop: dict[asyncio.AbstractEventLoop, list[Outcome]] = {}
        for job in batch:
            if job.event is not None:
                job.event.set()
            elif job.loop is not None and job.future is not None:  # every job has one or the other
                per_loop.setdefault(job.loop, []).append((job.future, job.result, job.error))
        # One wake-up per event loop per batch instead of one per caller.
        for loop, outcomes in per_loop.items():
            call_soon(loop, settle_futures, outcomes)

    def _finish_left_follow_ups(self) -> None:
        """Native batches whose follow-ups were handed to the committer thread after it was
        told to stop (a close() on another thread, as the loop reported the sync): run here."""
        while True:
            try:
                item = self._commits.get_nowait()
            except queue.Empty:
                return
            if item is not _STOP and item[-1] is SYNCED:
                self._follow_up_and_answer(item[0], item[1])

    def _follow_up_and_answer(self, batch: list[Job], committed: list[Job]) -> None:
        """A durable batch's after_commit callbacks, then its callers answered through their loop."""
        self._run_callbacks(committed)
        call_soon(batch[0].loop, settle_futures, outcomes_of(batch))

    # ---- migrations --------------------------------------------------------------------------

    def schema_version(self, namespace: str) -> int:
        row = self.fetchone("SELECT version FROM schema_versions WHERE namespace = ?", (namespace,))
        return row[0] if row else 0

    def migrate(self, namespace: str, migrations: list[Migration]) -> None:
        ordered = sorted(migrations, key=lambda m: m.version)
        versions = [m.version for m in ordered]
        if len(set(versions)) != len(versions) or (versions and versions[0] < 1):
            raise ValueError(f"{namespace}: migration versions must be distinct positive integers, got {versions}")
        newest_known = versions[-1] if versions else 0

        def current(tx: JobTx) -> int:
            row = tx.fetchone("SELECT version FROM schema_versions WHERE namespace = ?", (namespace,))
            return row[0] if row else 0

        def check(tx: JobTx) -> int:
            version = current(tx)
            if version > newest_known:
                raise SchemaTooNewError(
                    f"the database at {self.path} has schema version {version} for {namespace!r}, but this "
                    f"Overcast knows only up to version {newest_known}; upgrade Overcast or use another data "
                    "directory"
                )
            return version

        if self.write_blocking(check) >= newest_known:
            return
        for migration in ordered:
            self.write_blocking(functools.partial(self._apply, namespace=namespace, migration=migration,
                                                  current=current))

    @staticmethod
    def _apply(tx: JobTx, namespace: str, migration: Migration, current: Callable[[JobTx], int]) -> None:
        # Re-read inside the transaction: another process or thread may have applied it meanwhile.
        if current(tx) >= migration.version:
            return
        for statement in migration.statements:
            tx.execute(statement)
        tx.execute(
            "INSERT INTO schema_versions (namespace, version) VALUES (?, ?) "
            "ON CONFLICT (namespace) DO UPDATE SET version = excluded.version",
            (namespace, migration.version),
        )

    # ---- shutdown ----------------------------------------------------------------------------

    def close(self) -> None:
        with self._submit_lock:
            if self._closed:
                return
            self._closed = True
            # Jobs queued for the writer thread before this point are still committed and
            # answered (its queue is FIFO); requests' jobs not yet run on the loop are refused.
            self._queue.put(_STOP)
        # The writer thread's end waits for the connection, so for a batch run on the loop to be
        # committed by the committer thread, which stops only after that, or by the native
        # committer, finished here whether or not its loop will still hear of it.
        self._native_finish_here()
        self._writer.join()
        self._commits.put(_STOP)
        if self._committer.is_alive():
            self._committer.join()
        if self._native is not None:
            self._native_finish_here()  # a batch the loop ran while the writer was ending
            self._close_native(self._native)
            self._finish_left_follow_ups()
        if self._wal_fd is not None:
            os.close(self._wal_fd)
            self._wal_fd = None
        with self._readers_lock:
            readers = list(self._readers)
            self._readers.clear()
        for conn in readers:
            try:
                conn.close()
            except sqlite3.Error:
                pass
