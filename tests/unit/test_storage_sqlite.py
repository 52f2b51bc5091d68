"""SqliteDatabase: group commit, per-job rollback, after_commit, readers, concurrency, close."""

from __future__ import annotations

import asyncio
import os
import queue
import shutil
import sqlite3
import threading
import time

import pytest

from overcast.storage import DatabaseClosedError, SqliteDatabase
from overcast.storage import sqlite as sqlite_module
from overcast.storage.sqlite import WAL_CHECKPOINT_PAGES
from overcast.storage.walfill import WalPrefill


# Batches run on the event loop are committed by the native committer where it is built
# (nativecommit.py), else by the committer thread: both are run.
@pytest.fixture(params=[(True, True), (True, False), (False, True)], ids=["fsync", "fsync-python-commit", "nofsync"])
def db(tmp_path, request):
    fsync, native = request.param
    database = SqliteDatabase(str(tmp_path / "test.db"), fsync=fsync, native_commit=native)
    database.write_blocking(lambda tx: tx.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    yield database
    database.close()


def names(db: SqliteDatabase) -> list[str]:
    return [row[0] for row in db.fetchall("SELECT name FROM items ORDER BY id")]


class WriterGate:
    """Holds the writer inside one job so that the jobs submitted meanwhile form one batch."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

        def hold(tx):
            self.entered.set()
            assert self.release.wait(30)

        self.thread = threading.Thread(target=db.write_blocking, args=(hold,))
        self.thread.start()
        assert self.entered.wait(30)

    def open(self) -> None:
        self.release.set()
        self.thread.join(30)


def test_write_returns_result_and_read_sees_it(db):
    async def main():
        return await db.write(lambda tx: tx.execute("INSERT INTO items (name) VALUES ('a')").lastrowid)

    rowid = asyncio.run(main())
    assert db.fetchone("SELECT id, name FROM items") == (rowid, "a")
    assert db.fetchall("SELECT name FROM items") == [("a",)]


def test_failing_job_is_rolled_back_alone_within_a_batch(db):
    def insert(name):
        return lambda tx: tx.execute("INSERT INTO items (name) VALUES (?)", (name,)).lastrowid

    def insert_then_fail(tx):
        tx.execute("INSERT INTO items (name) VALUES ('doomed')")
        raise ValueError("boom")

    async def main():
        gate = WriterGate(db)
        commits_before = db.commits
        tasks = [
            asyncio.ensure_future(db.write(insert("first"))),
            asyncio.ensure_future(db.write(insert_then_fail)),
            asyncio.ensure_future(db.write(insert("first"))),  # unique violation: fails alone too
            asyncio.ensure_future(db.write(insert("last"))),
        ]
        await asyncio.sleep(0)  # every task has now queued its job behind the gate
        gate.open()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        return results, db.commits - commits_before

    results, commits = asyncio.run(main())
    assert isinstance(results[0], int) and isinstance(results[3], int)
    assert isinstance(results[1], ValueError) and str(results[1]) == "boom"
    assert isinstance(results[2], sqlite3.IntegrityError)
    assert names(db) == ["first", "last"]
    # The gate's own job, then every queued job in one shared commit.
    assert commits == 2


def test_exception_is_raised_to_blocking_caller_and_nothing_is_kept(db):
    def fail(tx):
        tx.execute("INSERT INTO items (name) VALUES ('x')")
        raise KeyError("nope")

    with pytest.raises(KeyError):
        db.write_blocking(fail)
    assert names(db) == []
    db.write_blocking(lambda tx: tx.execute("INSERT INTO items (name) VALUES ('y')"))
    assert names(db) == ["y"]


def test_after_commit_runs_in_order_only_for_committed_jobs_and_after_the_commit(db):
    seen: list[tuple[str, list[str]]] = []

    def job(name, fail=False):
        def fn(tx):
            tx.execute("INSERT INTO items (name) VALUES (?)", (name,))
            # A reader connection sees the row only once it is committed.
            tx.after_commit(lambda: seen.append((f"{name}-1", names(db))))
            tx.after_commit(lambda: seen.append((f"{name}-2", names(db))))
            if fail:
                raise RuntimeError(name)
        return fn

    async def main():
        gate = WriterGate(db)
        tasks = [asyncio.ensure_future(db.write(job(n, fail=(n == "b")))) for n in "abc"]
        await asyncio.sleep(0)
        gate.open()
        return await asyncio.gather(*tasks, return_exceptions=True)

    results = asyncio.run(main())
    assert isinstance(results[1], RuntimeError)
    assert [label for label, _ in seen] == ["a-1", "a-2", "c-1", "c-2"]
    assert all(visible == ["a", "c"] for _, visible in seen)


def test_failing_after_commit_callback_does_not_fail_the_write(db):
    def fn(tx):
        tx.execute("INSERT INTO items (name) VALUES ('kept')")
        tx.after_commit(lambda: 1 / 0)
        return "ok"

    assert db.write_blocking(fn) == "ok"
    assert names(db) == ["kept"]


def test_tx_cannot_be_used_after_its_job(db):
    leaked = db.write_blocking(lambda tx: tx)
    with pytest.raises(RuntimeError):
        leaked.execute("SELECT 1")


def test_write_blocking_inside_a_write_is_refused_instead_of_deadlocking(db):
    def nested(tx):
        db.write_blocking(lambda inner: None)

    with pytest.raises(RuntimeError, match="wait for itself"):
        db.write_blocking(nested)


def test_readers_do_not_wait_for_an_open_write_transaction(db):
    db.write_blocking(lambda tx: tx.execute("INSERT INTO items (name) VALUES ('old')"))
    inside = threading.Event()
    finish = threading.Event()

    def slow(tx):
        tx.execute("INSERT INTO items (name) VALUES ('new')")
        inside.set()
        assert finish.wait(30)

    writer = threading.Thread(target=db.write_blocking, args=(slow,))
    writer.start()
    try:
        assert inside.wait(30)
        # The write transaction is open and holds the write lock; a read still answers, from
        # the last committed state.
        assert names(db) == ["old"]
    finally:
        finish.set()
        writer.join(30)
    assert names(db) == ["old", "new"]


def test_reader_connection_is_read_only(db):
    with pytest.raises(sqlite3.OperationalError):
        db.fetchall("INSERT INTO items (name) VALUES ('sneaky')")


def test_many_concurrent_async_and_thread_writers_are_all_acknowledged_and_present(db):
    async_count, thread_count, per_thread = 200, 4, 50

    async def main():
        return await asyncio.gather(*(
            db.write(lambda tx, i=i: tx.execute("INSERT INTO items (name) VALUES (?)", (f"a{i}",)).lastrowid)
            for i in range(async_count)
        ))

    thread_ids: list[int] = []
    lock = threading.Lock()

    def thread_writer(t):
        for i in range(per_thread):
            rowid = db.write_blocking(
                lambda tx, i=i: tx.execute("INSERT INTO items (name) VALUES (?)", (f"t{t}-{i}",)).lastrowid)
            with lock:
                thread_ids.append(rowid)

    threads = [threading.Thread(target=thread_writer, args=(t,)) for t in range(thread_count)]
    for thread in threads:
        thread.start()
    async_ids = asyncio.run(main())
    for thread in threads:
        thread.join(60)
    acknowledged = set(async_ids) | set(thread_ids)
    assert len(acknowledged) == async_count + thread_count * per_thread
    stored = {row[0] for row in db.fetchall("SELECT id FROM items")}
    assert stored == acknowledged
    # Concurrent writers shared commits.
    assert db.jobs_committed > db.commits


def test_data_survives_close_and_reopen(tmp_path):
    path = str(tmp_path / "again.db")
    first = SqliteDatabase(path)
    first.write_blocking(lambda tx: tx.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB)"))
    first.write_blocking(lambda tx: tx.execute("INSERT INTO kv VALUES ('k', x'00ff')"))
    first.close()
    second = SqliteDatabase(path)
    try:
        assert second.fetchone("SELECT v FROM kv WHERE k = 'k'") == (b"\x00\xff",)
        assert second.fetchone("PRAGMA journal_mode") == ("wal",)
    finally:
        second.close()


def test_close_answers_queued_writes_then_refuses_new_ones(db):
    async def main():
        gate = WriterGate(db)
        pending = asyncio.ensure_future(db.write(lambda tx: tx.execute("INSERT INTO items (name) VALUES ('q')")))
        await asyncio.sleep(0)
        closer = threading.Thread(target=db.close)
        closer.start()
        gate.open()
        await pending
        closer.join(30)

    asyncio.run(main())
    with pytest.raises(DatabaseClosedError):
        db.write_blocking(lambda tx: None)
    reopened = SqliteDatabase(db.path)
    try:
        assert reopened.fetchall("SELECT name FROM items") == [("q",)]
    finally:
        reopened.close()


def test_foreign_keys_are_enforced(db):
    db.write_blocking(lambda tx: tx.execute(
        "CREATE TABLE child (id INTEGER PRIMARY KEY, item INTEGER NOT NULL REFERENCES items(id))"))
    with pytest.raises(sqlite3.IntegrityError):
        db.write_blocking(lambda tx: tx.execute("INSERT INTO child (item) VALUES (12345)"))


def test_open_fails_clearly_for_an_unusable_path(tmp_path):
    with pytest.raises(sqlite3.OperationalError):
        SqliteDatabase(str(tmp_path / "missing-dir" / "x.db"))


def test_async_write_function_is_rejected(db):
    async def wrong(tx):
        tx.execute("INSERT INTO items (name) VALUES ('never')")

    with pytest.raises(TypeError, match="plain function"):
        db.write_blocking(wrong)
    assert names(db) == []


def test_fetchone_does_not_hold_a_snapshot_that_blocks_checkpoints(db):
    db.write_blocking(lambda tx: tx.executemany("INSERT INTO items (name) VALUES (?)", [(f"n{i}",) for i in range(50)]))
    assert db.fetchone("SELECT name FROM items ORDER BY id") == ("n0",)  # 49 rows left unread
    db.write_blocking(lambda tx: tx.execute("INSERT INTO items (name) VALUES ('later')"))
    outsider = sqlite3.connect(db.path)
    try:
        busy, _, _ = outsider.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        outsider.close()
    assert busy == 0


@pytest.mark.parametrize("statement", ["COMMIT", "  begin immediate", "ROLLBACK", "savepoint x", "END"])
def test_transaction_control_inside_a_write_is_refused(db, statement):
    def fn(tx):
        tx.execute("INSERT INTO items (name) VALUES ('inside')")
        tx.execute(statement)

    with pytest.raises(ValueError, match="transaction control"):
        db.write_blocking(fn)
    assert names(db) == []


def test_cancelled_caller_does_not_withdraw_a_submitted_write(db):
    async def main():
        gate = WriterGate(db)
        task = asyncio.ensure_future(db.write(lambda tx: tx.execute("INSERT INTO items (name) VALUES ('orphan')")))
        await asyncio.sleep(0)
        task.cancel()
        gate.open()
        with pytest.raises(asyncio.CancelledError):
            await task
        await db.write(lambda tx: None)  # queued after it, so it has been answered by now

    asyncio.run(main())
    assert names(db) == ["orphan"]


def _wal_size(path: str) -> int:
    return os.path.getsize(path + "-wal")


def _wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _insert_rows(db: SqliteDatabase, first: int, count: int) -> None:
    for number in range(first, first + count):
        db.write_blocking(lambda tx, n=number: tx.execute(
            "INSERT INTO kv VALUES (?, ?)", (f"k{n}", bytes([n % 251]) * 3000)))


def test_first_lap_of_the_wal_is_zero_filled_once_the_database_is_written_to(tmp_path):
    # A commit that appends to the WAL costs a file system journal commit too; the writer fills
    # the first lap with zeros while idle, and the zeros never read back as frames.
    path = str(tmp_path / "lap.db")
    db = SqliteDatabase(path)
    try:
        db.write_blocking(lambda tx: tx.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB)"))
        _insert_rows(db, 0, 20)
        assert _wal_size(path) < 1 << 20  # little written: nothing filled ahead
        _insert_rows(db, 20, 400)  # about 1.6 MiB of frames
        target = WalPrefill(path + "-wal", 4096, WAL_CHECKPOINT_PAGES).target
        _wait_for(lambda: _wal_size(path) >= target)
        assert _wal_size(path) == target
        with open(path + "-wal", "rb") as wal:
            wal.seek(target - 4096)
            assert wal.read() == bytes(4096)
        _insert_rows(db, 420, 30)
        assert _wal_size(path) == target  # overwrote zeros, did not grow
        assert db.fetchone("SELECT count(*), sum(length(v)) FROM kv") == (450, 450 * 3000)
        # A copy taken now is what a kill -9 would leave: every committed row is read back.
        crashed = tmp_path / "crashed"
        crashed.mkdir()
        for suffix in ("", "-wal", "-shm"):
            shutil.copyfile(path + suffix, crashed / ("lap.db" + suffix))
        reopened = sqlite3.connect(crashed / "lap.db")
        try:
            assert reopened.execute("SELECT count(*), sum(length(v)) FROM kv").fetchone() == (450, 450 * 3000)
            assert reopened.execute("SELECT v FROM kv WHERE k = 'k449'").fetchone() == (bytes([449 % 251]) * 3000,)
            assert reopened.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        finally:
            reopened.close()
    finally:
        db.close()
    again = SqliteDatabase(path)
    try:
        assert again.fetchone("SELECT count(*) FROM kv") == (450,)
    finally:
        again.close()


def test_without_fsync_the_wal_is_not_filled_ahead(tmp_path):
    path = str(tmp_path / "nosync.db")
    db = SqliteDatabase(path, fsync=False)
    try:
        db.write_blocking(lambda tx: tx.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB)"))
        _insert_rows(db, 0, 400)
        db.write_blocking(lambda tx: None)
        size = _wal_size(path)
        time.sleep(0.2)
        assert _wal_size(path) == size < WalPrefill(path + "-wal", 4096, WAL_CHECKPOINT_PAGES).target
    finally:
        db.close()


def test_the_wal_is_extended_only_under_sqlites_write_lock(tmp_path, monkeypatch):
    # Another connection (an sqlite3 shell, a second process) must not commit between the filler's
    # size check and its write: its frames would be zeroed. The filler holds the write lock.
    path = str(tmp_path / "locked.db")
    seen: list[str] = []
    original = WalPrefill.fill_chunk

    def fill_chunk_with_a_competing_writer(self):
        other = sqlite3.connect(path, isolation_level=None, timeout=0)
        try:
            other.execute("INSERT INTO kv VALUES ('from-another-connection', x'00')")
            seen.append("committed")
        except sqlite3.OperationalError as error:
            seen.append(str(error))
        finally:
            other.close()
        return original(self)

    monkeypatch.setattr(WalPrefill, "fill_chunk", fill_chunk_with_a_competing_writer)
    db = SqliteDatabase(path)
    try:
        db.write_blocking(lambda tx: tx.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB)"))
        _insert_rows(db, 0, 420)
        target = WalPrefill(path + "-wal", 4096, WAL_CHECKPOINT_PAGES).target
        _wait_for(lambda: _wal_size(path) >= target)
        assert seen and set(seen) == {"database is locked"}
        assert db.fetchone("SELECT count(*) FROM kv") == (420,)
    finally:
        db.close()


def test_a_failing_wal_fill_leaves_the_writer_working(tmp_path, monkeypatch):
    def broken(self):
        raise RuntimeError("the fill broke")

    monkeypatch.setattr(WalPrefill, "fill_chunk", broken)
    path = str(tmp_path / "broken-fill.db")
    db = SqliteDatabase(path)
    try:
        db.write_blocking(lambda tx: tx.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB)"))
        # Past the point where the fill starts, and on; in a thread, so that a dead writer fails
        # the test instead of hanging it.
        inserting = threading.Thread(target=_insert_rows, args=(db, 0, 450), daemon=True)
        inserting.start()
        inserting.join(30)
        assert not inserting.is_alive(), "writes stopped being answered"
        assert db.fetchone("SELECT count(*) FROM kv") == (450,)
        assert _wal_size(path) < WalPrefill(path + "-wal", 4096, WAL_CHECKPOINT_PAGES).target
    finally:
        db.close()


# ---- committing on the caller's thread (requests_in_hand) ---------------------------------------


def test_a_write_commits_on_the_callers_thread_when_allowed(db):
    db.requests_in_hand = lambda: 1
    seen: list[str] = []

    def insert(tx):
        seen.append(threading.current_thread().name)
        tx.after_commit(lambda: seen.append("after commit"))
        return tx.execute("INSERT INTO items (name) VALUES ('inline')").lastrowid

    async def main():
        return await db.write(insert)

    rowid = asyncio.run(main())
    assert seen == [threading.current_thread().name, "after commit"]
    assert db.fetchone("SELECT id, name FROM items") == (rowid, "inline")
    assert db.commits >= 1


def test_an_inline_write_never_overtakes_one_already_handed_to_the_writer(db):
    # The writer holds a job; a write made meanwhile must queue behind it, not commit first.
    db.requests_in_hand = lambda: 1
    order: list[str] = []
    gate = WriterGate(db)

    async def main():
        pending = asyncio.ensure_future(db.write(lambda tx: order.append("queued first")))
        await asyncio.sleep(0)
        threads_seen: list[str] = []

        def second(tx):
            threads_seen.append(threading.current_thread().name)
            order.append("second")

        later = asyncio.ensure_future(db.write(second))
        await asyncio.sleep(0.05)
        assert order == []  # both wait behind the held job
        gate.open()
        await asyncio.wait_for(asyncio.gather(pending, later), 30)
        return threads_seen

    threads_seen = asyncio.run(main())
    assert order == ["queued first", "second"]
    assert threads_seen != [threading.current_thread().name]  # the writer thread ran it


_SimpleQueue = queue.SimpleQueue  # the real one, for _HeldQueue while it stands in for it


class _HeldQueue:
    """The writer's queue, except that a job taken from it is handed over only once `release` is
    set: the job has been submitted and nobody holds the writer connection meanwhile."""

    def __init__(self) -> None:
        self.inner: queue.SimpleQueue = _SimpleQueue()
        self.release = threading.Event()
        self.release.set()

    def put(self, item) -> None:
        self.inner.put(item)

    def get(self):
        item = self.inner.get()
        assert self.release.wait(30)
        return item

    def get_nowait(self):
        return self.inner.get_nowait()

    def empty(self) -> bool:
        return self.inner.empty()


@pytest.mark.parametrize("in_hand", [1, 3], ids=["alone", "among-others"])
def test_a_requests_write_waits_for_a_job_taken_but_not_yet_run(tmp_path, monkeypatch, in_hand):
    # The writer connection is free, yet a submitted job has not run: running a request's job
    # first (inline, or in a batch on the loop) would reorder the two (the counts of submitted
    # and finished jobs tell).
    monkeypatch.setattr(queue, "SimpleQueue", _HeldQueue)
    db = SqliteDatabase(str(tmp_path / "held.db"), fsync=False)
    held: _HeldQueue = db._queue  # type: ignore[assignment]
    try:
        db.write_blocking(lambda tx: tx.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)"))
        held.release.clear()
        db.requests_in_hand = lambda: in_hand
        first = threading.Thread(target=db.write_blocking, daemon=True,
                                 args=(lambda tx: tx.execute("INSERT INTO items (name) VALUES ('first')"),))
        first.start()

        async def main():
            second = asyncio.ensure_future(main_insert(db, "second"))
            await asyncio.sleep(0.1)
            assert not second.done()  # queued behind the first, not committed on this thread
            held.release.set()
            await asyncio.wait_for(second, 30)

        asyncio.run(main())
        first.join(30)
        assert names(db) == ["first", "second"]
    finally:
        held.release.set()  # a failed assertion must not leave the writer held (close() would hang)
        db.close()


def test_without_permission_writes_go_to_the_writer_thread(db):
    db.requests_in_hand = lambda: 0
    seen: list[str] = []

    async def main():
        await db.write(lambda tx: seen.append(threading.current_thread().name))

    asyncio.run(main())
    assert seen and seen[0].startswith("sqlite-writer")


def test_write_blocking_inside_an_inline_write_is_refused_instead_of_deadlocking(db):
    db.requests_in_hand = lambda: 1

    def nested(tx):
        db.write_blocking(lambda inner: None)

    async def main():
        with pytest.raises(RuntimeError, match="wait for itself"):
            await db.write(nested)

    asyncio.run(main())
    # The connection was given back: the writer thread and further inline writes still work.
    db.write_blocking(lambda tx: tx.execute("INSERT INTO items (name) VALUES ('thread')"))
    asyncio.run(main_insert(db, "loop"))
    assert names(db) == ["thread", "loop"]


async def main_insert(db: SqliteDatabase, name: str) -> None:
    await db.write(lambda tx: tx.execute("INSERT INTO items (name) VALUES (?)", (name,)))


def test_inline_and_writer_thread_commits_interleave_without_losing_any(db):
    # Loop writes (allowed inline) and thread writes at once: every one acknowledged is there.
    db.requests_in_hand = lambda: 1
    stop = threading.Event()
    thread_names: list[str] = []

    def thread_writer():
        n = 0
        while not stop.is_set() and n < 300:
            db.write_blocking(lambda tx, n=n: tx.execute("INSERT INTO items (name) VALUES (?)", (f"t{n}",)))
            thread_names.append(f"t{n}")
            n += 1

    worker = threading.Thread(target=thread_writer)
    worker.start()

    async def main():
        for n in range(300):
            await main_insert(db, f"l{n}")

    try:
        asyncio.run(main())
    finally:
        stop.set()
        worker.join(60)
    assert sorted(names(db)) == sorted([f"l{n}" for n in range(300)] + thread_names)


def test_a_bulk_write_always_goes_to_the_writer_thread(db):
    # A job that may run long (a table copied whole) must not hold the event loop.
    db.requests_in_hand = lambda: 1
    seen: list[str] = []

    async def main():
        await db.write(lambda tx: seen.append(threading.current_thread().name), bulk=True)
        await db.write(lambda tx: seen.append(threading.current_thread().name))

    asyncio.run(main())
    assert seen[0].startswith("sqlite-writer")
    assert seen[1] == threading.current_thread().name


# ---- batches of requests' jobs on the event loop's thread (requests_in_hand > 1) -------------------


def test_concurrent_requests_jobs_run_on_the_loop_and_share_one_commit(db):
    db.requests_in_hand = lambda: 5
    ran_on: list[str] = []
    resolved: list[str] = []

    def insert(name):
        def run(tx):
            ran_on.append(threading.current_thread().name)
            tx.after_commit(lambda: resolved.append("callback"))
            return tx.execute("INSERT INTO items (name) VALUES (?)", (name,)).lastrowid
        return run

    async def one(n):
        rowid = await db.write(insert(f"n{n}"))
        resolved.append("answered")
        return rowid

    async def main():
        before = db.commits
        rowids = await asyncio.gather(*(one(n) for n in range(5)))
        return rowids, db.commits - before

    rowids, commits = asyncio.run(main())
    assert ran_on == [threading.current_thread().name] * 5
    assert commits == 1  # one batch, one COMMIT and one sync for the five
    assert resolved == ["callback"] * 5 + ["answered"] * 5  # every callback before any caller hears back
    assert [db.fetchone("SELECT name FROM items WHERE id = ?", (rowid,))[0] for rowid in rowids] == \
        [f"n{n}" for n in range(5)]


@pytest.mark.parametrize("in_hand", [1, 3], ids=["alone", "among-others"])
def test_a_failing_requests_write_is_raised_and_rolled_back_alone(db, in_hand):
    db.requests_in_hand = lambda: in_hand

    def fails(tx):
        tx.execute("INSERT INTO items (name) VALUES ('undone')")
        raise KeyError("nope")

    async def main():
        return await asyncio.gather(main_insert(db, "a"), db.write(fails), main_insert(db, "b"),
                                    return_exceptions=True)

    outcomes = asyncio.run(main())
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], KeyError)
    assert sorted(names(db)) == ["a", "b"]
    asyncio.run(main_insert(db, "next"))  # the connection was given back either way
    assert sorted(names(db)) == ["a", "b", "next"]


def test_jobs_arriving_while_a_loop_batch_commits_form_the_next_batch(tmp_path, monkeypatch):
    # The committer holds the first batch; what requests write meanwhile does not run (the
    # connection is the committer's) until it gives the connection back, then runs as one batch.
    monkeypatch.setattr(queue, "SimpleQueue", _HeldQueue)
    db = SqliteDatabase(str(tmp_path / "held.db"), fsync=True, native_commit=False)
    held: _HeldQueue = db._commits  # type: ignore[assignment]
    ran: list[str] = []

    def insert(name):
        def run(tx):
            ran.append(name)
            tx.execute("INSERT INTO items (name) VALUES (?)", (name,))
        return run

    async def main():
        held.release.clear()
        first = [asyncio.ensure_future(db.write(insert(f"first{n}"))) for n in range(2)]
        await asyncio.sleep(0.05)
        assert ran == ["first0", "first1"] and not any(f.done() for f in first)  # run, not committed
        later = [asyncio.ensure_future(db.write(insert(f"later{n}"))) for n in range(2)]
        await asyncio.sleep(0.05)
        assert ran == ["first0", "first1"]  # waiting for the connection
        commits = db.commits
        held.release.set()
        await asyncio.wait_for(asyncio.gather(*first, *later), 30)
        return db.commits - commits

    try:
        db.write_blocking(lambda tx: tx.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)"))
        db.requests_in_hand = lambda: 4
        assert asyncio.run(main()) == 2
        assert ran == ["first0", "first1", "later0", "later1"]
        assert sorted(names(db)) == ["first0", "first1", "later0", "later1"]
    finally:
        db.close()


def test_loop_jobs_queue_behind_the_writer_threads_jobs(db):
    # The writer thread is busy with a job: requests' jobs must not overtake it, so they join
    # its queue and run there, in order.
    db.requests_in_hand = lambda: 3
    order: list[str] = []
    gate = WriterGate(db)

    def record(name):
        def run(tx):
            order.append(f"{name} on {threading.current_thread().name.split(':')[0]}")
        return run

    async def main():
        queued = asyncio.ensure_future(db.write(record("background")))  # not a request: the writer's
        db.requests_in_hand = lambda: 0
        await asyncio.sleep(0)
        db.requests_in_hand = lambda: 3
        mine = [asyncio.ensure_future(db.write(record(f"request{n}"))) for n in range(2)]
        await asyncio.sleep(0.05)
        assert order == []
        gate.open()
        await asyncio.wait_for(asyncio.gather(queued, *mine), 30)

    asyncio.run(main())
    assert order == ["background on sqlite-writer", "request0 on sqlite-writer", "request1 on sqlite-writer"]


def test_write_blocking_inside_a_loop_batch_job_is_refused(db):
    db.requests_in_hand = lambda: 2

    def nested(tx):
        db.write_blocking(lambda inner: None)

    error = fails_beside_a_good_write(db, nested)
    assert isinstance(error, RuntimeError) and "wait for itself" in str(error)


def fails_beside_a_good_write(db: SqliteDatabase, bad) -> BaseException:
    """Run `bad` and a good insert as two requests' writes; the good one lands, `bad`'s error is returned."""
    async def main():
        return await asyncio.wait_for(
            asyncio.gather(db.write(bad), main_insert(db, "fine"), return_exceptions=True), 30)

    outcomes = asyncio.run(main())
    assert outcomes[1] is None
    assert names(db) == ["fine"]
    return outcomes[0]


def test_a_bulk_write_from_a_request_goes_to_the_writer_thread_among_others_too(db):
    db.requests_in_hand = lambda: 2
    seen: list[str] = []

    async def main():
        await db.write(lambda tx: seen.append(threading.current_thread().name), bulk=True)
        await asyncio.gather(*(db.write(lambda tx: seen.append(threading.current_thread().name)) for _ in range(2)))

    asyncio.run(main())
    assert seen[0].startswith("sqlite-writer")
    assert seen[1:] == [threading.current_thread().name] * 2


def test_closing_fails_requests_jobs_not_yet_run(tmp_path):
    db = SqliteDatabase(str(tmp_path / "closing.db"), fsync=False)
    db.write_blocking(lambda tx: tx.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)"))
    db.requests_in_hand = lambda: 2

    async def main():
        pending = asyncio.ensure_future(main_insert(db, "never"))
        await asyncio.sleep(0)  # queued for the next loop batch, which has not started
        db.close()
        with pytest.raises(DatabaseClosedError):
            await asyncio.wait_for(pending, 30)
        with pytest.raises(DatabaseClosedError):
            await main_insert(db, "after")

    asyncio.run(main())


class SyncGate:
    """Stands in for the WAL's fdatasync: when a sync begins, `watch` (on another thread) records
    what can be seen at that moment; the sync goes on once it has."""

    def __init__(self, monkeypatch, db: SqliteDatabase, watch) -> None:
        self.seen: list = []
        real = sqlite_module._fdatasync

        def gated(fd):
            self.seen.append((db.commits, watch()))
            real(fd)

        monkeypatch.setattr(sqlite_module, "_fdatasync", gated)


@pytest.mark.parametrize("in_hand", [0, 1, 3], ids=["writer-thread", "alone", "among-others"])
def test_callers_are_answered_only_after_the_sync_that_follows_their_commit(tmp_path, monkeypatch, in_hand):
    # SQLite runs with synchronous=NORMAL: the commit alone is not durable. Whichever thread
    # commits, the WAL is synced after COMMIT and before anyone hears back; cached copies are
    # dropped at the commit (on_visible), durable-only follow-ups wait for the sync (after_commit).
    db = SqliteDatabase(str(tmp_path / "gated.db"), fsync=True, native_commit=False)  # a gate on Python's sync
    events: list[str] = []
    watcher = {}

    def watch():
        # Read from another thread, as a concurrent request would.
        seen = {}
        thread = threading.Thread(target=lambda: seen.update(
            rows=sorted(r[0] for r in db.fetchall("SELECT name FROM items")), events=list(events)))
        thread.start()
        thread.join(30)
        return seen

    try:
        db.write_blocking(lambda tx: tx.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)"))
        gate = SyncGate(monkeypatch, db, watch)
        db.requests_in_hand = lambda: in_hand
        commits_before = db.commits

        def insert(name):
            def run(tx):
                tx.on_visible(lambda: events.append(f"visible {name}"))
                tx.after_commit(lambda: events.append(f"durable {name}"))
                tx.execute("INSERT INTO items (name) VALUES (?)", (name,))
            return run

        async def one(name):
            await db.write(insert(name))
            events.append(f"answered {name}")

        async def main():
            await asyncio.gather(*(one(f"w{n}") for n in range(in_hand or 2)))

        asyncio.run(main())
        watcher["syncs"] = gate.seen
        names_written = sorted(f"w{n}" for n in range(in_hand or 2))
        assert sorted(names(db)) == names_written
        # Every sync began after a commit; at the first, what it covers was readable already,
        # dropped from caches, and neither followed up nor answered.
        assert gate.seen and all(commits > commits_before for commits, _ in gate.seen)
        first_commits, first_view = gate.seen[0]
        written_then = first_view["rows"]
        assert written_then and set(written_then) <= set(names_written)
        for name in written_then:
            assert f"visible {name}" in first_view["events"]
            assert f"durable {name}" not in first_view["events"]
            assert f"answered {name}" not in first_view["events"]
        for name in names_written:  # and in the end, each in that order
            assert events.index(f"visible {name}") < events.index(f"durable {name}") < events.index(f"answered {name}")
    finally:
        db.close()


@pytest.mark.parametrize("in_hand", [0, 3], ids=["writer-thread", "among-others"])
def test_a_write_function_raising_stopiteration_fails_alone(db, in_hand):
    # A future cannot hold StopIteration; setting it would raise and strand the batch's callers.
    db.requests_in_hand = lambda: in_hand

    def exhausted(tx):
        next(iter(()))

    error = fails_beside_a_good_write(db, exhausted)
    assert isinstance(error, RuntimeError) and "StopIteration" in str(error)


def test_write_blocking_from_an_after_commit_callback_of_a_loop_batch_is_refused(db):
    # The committer thread runs those callbacks; waiting there for the writer thread could wait
    # for a batch that itself waits for the committer.
    db.requests_in_hand = lambda: 3
    refusals: list[str] = []

    def writes_again():
        try:
            db.write_blocking(lambda tx: None)
        except RuntimeError as error:
            refusals.append(str(error))

    def insert(tx):
        tx.after_commit(writes_again)
        tx.execute("INSERT INTO items (name) VALUES ('x')")

    async def main():
        await asyncio.wait_for(asyncio.gather(db.write(insert), main_insert(db, "y")), 30)

    asyncio.run(main())
    assert len(refusals) == 1 and "wait for itself" in refusals[0]
    assert sorted(names(db)) == ["x", "y"]


def test_closing_from_another_thread_while_a_loop_batch_runs(tmp_path):
    # close() waits for the batch the loop is running to be committed, then stops.
    db = SqliteDatabase(str(tmp_path / "close-race.db"), fsync=True)
    db.write_blocking(lambda tx: tx.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)"))
    db.requests_in_hand = lambda: 2
    running = threading.Event()
    closed = threading.Event()

    def slow(tx):
        running.set()
        time.sleep(0.3)  # close() is called meanwhile
        tx.execute("INSERT INTO items (name) VALUES ('slow')")

    def closer():
        assert running.wait(30)
        db.close()
        closed.set()

    async def main():
        threading.Thread(target=closer, daemon=True).start()
        await asyncio.wait_for(db.write(slow), 30)

    asyncio.run(main())
    assert closed.wait(30)
    assert not db._connection_lock.locked()
    reopened = SqliteDatabase(str(tmp_path / "close-race.db"), fsync=False)
    try:
        assert names(reopened) == ["slow"]
    finally:
        reopened.close()


def test_a_loop_that_closes_before_hearing_of_its_commit_leaves_no_state_behind(db):
    # One event loop per test on one database: a loop gone before the committer told it the
    # connection was free must not keep the next loop's writes waiting.
    db.requests_in_hand = lambda: 2

    async def leave_early():
        asyncio.ensure_future(main_insert(db, "first"))
        await asyncio.sleep(0)
        await asyncio.sleep(0)  # its batch has run and is with the committer

    asyncio.run(leave_early())
    time.sleep(0.2)

    async def next_loop():
        await asyncio.wait_for(main_insert(db, "second"), 30)

    asyncio.run(next_loop())
    assert sorted(names(db)) == ["first", "second"]


@pytest.mark.parametrize("in_hand", [0, 1, 3], ids=["writer-thread", "alone", "among-others"])
def test_a_failed_sync_fails_its_writes_and_every_later_one(tmp_path, monkeypatch, in_hand):
    # After a failed fdatasync the kernel may have dropped the pages and report success to the
    # next caller: nothing may be acknowledged any more, even when a later sync would succeed.
    db = SqliteDatabase(str(tmp_path / "eio.db"), fsync=True, native_commit=False)  # a failure in Python's sync
    try:
        db.write_blocking(lambda tx: tx.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)"))
        real = sqlite_module._fdatasync
        calls: list[str] = []

        def fails_once(fd):
            calls.append("sync")
            if len(calls) == 1:
                raise OSError(5, "Input/output error")
            real(fd)

        monkeypatch.setattr(sqlite_module, "_fdatasync", fails_once)
        db.requests_in_hand = lambda: in_hand

        followed_up: list[str] = []
        first_names = ["a", "b"] if in_hand != 1 else ["a"]

        async def writes(names_):
            def insert(name):
                def run(tx):
                    tx.after_commit(lambda: followed_up.append(name))
                    tx.execute("INSERT INTO items (name) VALUES (?)", (name,))
                return run
            return await asyncio.wait_for(asyncio.gather(*(db.write(insert(n)) for n in names_),
                                                         return_exceptions=True), 30)

        first = asyncio.run(writes(first_names))
        assert first and all(isinstance(outcome, OSError) and outcome.errno == 5 for outcome in first)
        later = asyncio.run(writes(["c"]))
        assert isinstance(later[0], OSError) and later[0].errno == 5
        with pytest.raises(OSError):
            db.write_blocking(lambda tx: tx.execute("INSERT INTO items (name) VALUES ('d')"))
        assert calls == ["sync"]  # no sync was tried again
        # The first writes are committed (readable) but not followed up as durable; the later
        # ones never ran, so a client retrying its failed write does not apply it twice.
        assert sorted(names(db)) == first_names
        assert followed_up == []
    finally:
        db.close()


@pytest.mark.parametrize("in_hand", [0, 1, 3], ids=["writer-thread", "alone", "among-others"])
def test_commits_in_flight_stands_until_on_visible_callbacks_have_run(db, in_hand):
    # A commit is readable as soon as it returns; caches look at this count to stand aside
    # until the on_visible callbacks that drop their copies have run.
    db.requests_in_hand = lambda: in_hand
    seen: list[int] = []

    def insert(tx):
        seen.append(db.commits_in_flight)  # inside the transaction, before COMMIT
        tx.on_visible(lambda: seen.append(db.commits_in_flight))
        tx.execute("INSERT INTO items (name) VALUES ('x')")

    async def main():
        await asyncio.wait_for(db.write(insert), 30)

    asyncio.run(main())
    assert seen == [0, 1]
    assert db.commits_in_flight == 0
