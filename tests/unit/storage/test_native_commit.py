"""The native committer (overcast/storage/_committer.c, nativecommit.py): batches run on the event
loop are committed and synced off the GIL, and their callers still hear only once their writes
are durable; a failed sync still fails every later write; a loop gone before hearing of its
commit leaves nothing stuck. The same behaviour with the committer thread is tested in
test_sqlite_database.py (its `db` fixture runs both)."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from overcast.storage import SqliteDatabase
from overcast.storage.nativecommit import DISABLE_VARIABLE

pytestmark = pytest.mark.skipif(not hasattr(os, "eventfd"), reason="no eventfd on this platform")


@pytest.fixture
def db(tmp_path):
    database = SqliteDatabase(str(tmp_path / "native.db"), fsync=True)
    if database._native is None:
        database.close()
        pytest.skip("the native committer was not built here (no C compiler at install time)")
    database.write_blocking(lambda tx: tx.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)"))
    database.requests_in_hand = lambda: 3  # requests' writes run as batches on the loop
    yield database
    database.close()


def names(db: SqliteDatabase) -> list[str]:
    return sorted(row[0] for row in db.fetchall("SELECT name FROM items"))


def insert(name: str, events: list[str] | None = None):
    def run(tx):
        if events is not None:
            tx.on_visible(lambda: events.append(f"visible {name}"))
            tx.after_commit(lambda: events.append(f"durable {name}"))
        tx.execute("INSERT INTO items (name) VALUES (?)", (name,))
    return run


def test_loop_batches_are_committed_by_the_native_committer_visible_durable_then_answered(db):
    events: list[str] = []
    commits = db.commits

    async def one(name):
        await db.write(insert(name, events))
        events.append(f"answered {name}")

    async def main():
        await asyncio.wait_for(asyncio.gather(*(one(f"w{n}") for n in range(6))), 30)

    asyncio.run(main())
    assert names(db) == [f"w{n}" for n in range(6)]
    assert db.commits > commits and db._native_taken >= 1  # the native committer's batches
    for n in range(6):
        assert events.index(f"visible w{n}") < events.index(f"durable w{n}") < events.index(f"answered w{n}")
    assert not db._connection_lock.locked()


def test_a_failed_native_sync_fails_its_writes_and_every_later_one(db):
    # A pipe where the WAL's descriptor was: fdatasync fails there (EINVAL) as it would on EIO.
    reading, writing = os.pipe()
    saved = os.dup(db._wal_fd)
    os.dup2(reading, db._wal_fd)
    try:
        async def main():
            return await asyncio.wait_for(asyncio.gather(
                *(db.write(insert(f"lost{n}")) for n in range(3)), return_exceptions=True), 30)

        outcomes = asyncio.run(main())
        assert outcomes and all(isinstance(outcome, OSError) for outcome in outcomes)
        os.dup2(saved, db._wal_fd)  # the real WAL again: still nothing is acknowledged
        with pytest.raises(OSError):
            db.write_blocking(insert("after"))

        async def later():
            await asyncio.wait_for(db.write(insert("later")), 30)

        with pytest.raises(OSError):
            asyncio.run(later())
    finally:
        os.dup2(saved, db._wal_fd)
        for fd in (reading, writing, saved):
            os.close(fd)


def test_a_loop_gone_before_hearing_of_its_commit_does_not_hold_the_connection(db):
    async def leave_early():
        asyncio.ensure_future(db.write(insert("first")))
        asyncio.ensure_future(db.write(insert("second")))
        await asyncio.sleep(0)
        await asyncio.sleep(0)  # the batch ran and was handed to the native committer

    asyncio.run(leave_early())
    # No loop will take that commit's report: the writer thread finishes it and goes on.
    done = threading.Event()
    threading.Thread(target=lambda: (db.write_blocking(insert("from-a-thread")), done.set()), daemon=True).start()
    assert done.wait(30)
    assert names(db) == ["first", "from-a-thread", "second"]


def test_the_native_committer_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv(DISABLE_VARIABLE, "0")
    db = SqliteDatabase(str(tmp_path / "off.db"), fsync=True)
    try:
        assert db._native is None
    finally:
        db.close()


def test_write_blocking_on_the_loop_while_a_native_batch_is_in_hand(db):
    # A service's first request migrates its schema with write_blocking on the loop's thread:
    # the loop that would give the connection back is the one waiting (this deadlocked).
    async def main():
        writes = [asyncio.ensure_future(db.write(insert(f"w{n}"))) for n in range(2)]
        await asyncio.sleep(0)
        await asyncio.sleep(0)  # their batch ran and went to the native committer
        db.write_blocking(insert("on-the-loop"))
        await asyncio.wait_for(asyncio.gather(*writes), 30)

    finished = threading.Event()
    threading.Thread(target=lambda: (asyncio.run(main()), finished.set()), daemon=True).start()
    assert finished.wait(30), "the loop and the writer thread waited for each other"
    assert names(db) == ["on-the-loop", "w0", "w1"]


def test_closing_on_the_loop_with_a_native_batch_in_hand_and_writes_queued_behind_it(tmp_path):
    db = SqliteDatabase(str(tmp_path / "closing.db"), fsync=True)
    db.write_blocking(lambda tx: tx.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)"))
    db.requests_in_hand = lambda: 4

    async def main():
        first = [asyncio.ensure_future(db.write(insert(f"w{n}"))) for n in range(2)]
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        queued = [asyncio.ensure_future(db.write(insert(f"q{n}"))) for n in range(2)]
        await asyncio.sleep(0)  # waiting for the connection the native committer has
        db.close()  # as the server's stop() does, on the loop's own thread
        return await asyncio.wait_for(asyncio.gather(*first, *queued, return_exceptions=True), 30)

    outcomes = asyncio.run(main())
    assert outcomes[:2] == [None, None]  # committed and answered
    assert [type(outcome).__name__ for outcome in outcomes[2:]] == ["DatabaseClosedError"] * 2  # not left hanging
    reopened = SqliteDatabase(str(tmp_path / "closing.db"), fsync=False)
    try:
        assert names(reopened) == ["w0", "w1"]
    finally:
        reopened.close()


def test_a_failed_native_commit_raises_what_sqlite3_would(db):
    # A deferred foreign key fails at COMMIT: IntegrityError, as Python's own COMMIT raises it.
    db.write_blocking(lambda tx: tx.execute("CREATE TABLE parents (id INTEGER PRIMARY KEY)"))
    db.write_blocking(lambda tx: tx.execute(
        "CREATE TABLE children (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parents (id) "
        "DEFERRABLE INITIALLY DEFERRED)"))

    async def main():
        return await asyncio.wait_for(asyncio.gather(
            db.write(insert("kept")),
            db.write(lambda tx: tx.execute("INSERT INTO children (parent) VALUES (999)")),
            return_exceptions=True), 30)

    outcomes = asyncio.run(main())
    assert all(type(outcome).__name__ == "IntegrityError" for outcome in outcomes)  # one batch, one COMMIT
    assert names(db) == [] and not db._connection_lock.locked() and db.commits_in_flight == 0

    async def again():
        await asyncio.wait_for(asyncio.gather(*(db.write(insert(f"after{n}")) for n in range(3))), 30)

    asyncio.run(again())
    assert names(db) == ["after0", "after1", "after2"]
