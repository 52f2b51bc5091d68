"""SqliteDatabase: group commit, per-job rollback, after_commit, readers, concurrency, close, the
WAL's zero-fill. Requests' writes (inline and loop batches) are in test_sqlite_request_writes.py."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import threading
import time

import pytest

from overcast.storage import DatabaseClosedError, SqliteDatabase
from overcast.storage.sqlite import WAL_CHECKPOINT_PAGES
from overcast.storage.walfill import WalPrefill
from tests.unit.storage.support import WriterGate, names


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
