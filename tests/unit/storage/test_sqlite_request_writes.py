"""SqliteDatabase: requests' writes (requests_in_hand), committed on the event loop's thread when
alone, in shared batches among others, and answered only after their sync."""

from __future__ import annotations

import asyncio
import queue
import threading
import time

import pytest

from overcast.storage import DatabaseClosedError, SqliteDatabase
from overcast.storage import sqlite as sqlite_module
from tests.unit.storage.support import WriterGate, main_insert, names

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
