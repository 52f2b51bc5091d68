"""The WAL-buffering SQLite VFS (overcast/storage/_walbuffer.c, vfs.py): fewer system calls, the
same database.

What must hold: every commit is in the files when COMMIT returns (readers in other connections
and other processes see it at once, and a kill -9 right after keeps it); rolled-back work,
transactions that spill pages before they commit, pages written twice in one transaction and
checkpoints leave a database that reads back exactly as one written without the VFS.
The kill -9 test of the whole storage layer (test_storage_crash.py) runs over it too.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading

import pytest

from overcast.storage import SqliteDatabase
from overcast.storage.vfs import connect_writer, wal_buffering_available, wal_buffering_stats

ACCOUNTS = 300
OPENING_BALANCE = 1000


def test_the_vfs_is_built_and_registered_by_the_install():
    # pip install -e . compiles it (pyproject.toml's ext-modules); this machine has a compiler,
    # so a missing module here means the install step broke, not that the fallback is fine.
    assert wal_buffering_available()


def test_a_commit_of_many_pages_reaches_the_file_in_a_few_writes(tmp_path):
    db = SqliteDatabase(str(tmp_path / "few.db"))
    try:
        db.write_blocking(lambda tx: tx.execute("CREATE TABLE kv (k INTEGER PRIMARY KEY, v BLOB)"))
        before = wal_buffering_stats()
        rows = [(n, bytes([n % 251]) * 3000) for n in range(300)]  # about 300 pages of frames
        db.write_blocking(lambda tx: tx.executemany("INSERT INTO kv VALUES (?, ?)", rows))
        after = wal_buffering_stats()
        received = after["writes_received"] - before["writes_received"]
        made = after["writes_made"] - before["writes_made"]
        assert received >= 600  # SQLite writes a frame as its header and its page
        assert made <= received // 20
        assert db.stats()["file_writes_made"] == after["writes_made"]
        # Visible to another connection, and to another process, as soon as the write returned.
        assert db.fetchone("SELECT count(*), sum(length(v)) FROM kv") == (300, 900_000)
        outside = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(f"""
                import sqlite3
                c = sqlite3.connect({str(tmp_path / "few.db")!r})
                print(c.execute("SELECT count(*), sum(length(v)) FROM kv").fetchone())
            """)], capture_output=True, text=True, timeout=60, check=True)
        assert outside.stdout.strip() == "(300, 900000)"
    finally:
        db.close()


def test_a_path_that_starts_with_two_slashes_opens(tmp_path):
    # In a file: URI, //name would be a host name.
    path = "/" + str(tmp_path / "slashes.db")
    conn = connect_writer(path, isolation_level=None)
    try:
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
    finally:
        conn.close()
    assert os.path.exists(tmp_path / "slashes.db")


def _open_bank(path: str) -> sqlite3.Connection:
    writer = connect_writer(path, isolation_level=None, check_same_thread=False)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA synchronous = NORMAL")
    writer.execute("PRAGMA wal_autocheckpoint = 64")  # a checkpoint every few commits
    writer.execute("PRAGMA cache_size = 16")  # 16 pages: big transactions spill before they commit
    writer.execute("CREATE TABLE IF NOT EXISTS accounts (id INTEGER PRIMARY KEY, balance INTEGER, pad BLOB)")
    if writer.execute("SELECT count(*) FROM accounts").fetchone()[0] == 0:
        writer.execute("BEGIN")
        writer.executemany("INSERT INTO accounts VALUES (?, ?, ?)",
                           [(n, OPENING_BALANCE, os.urandom(1500)) for n in range(ACCOUNTS)])
        writer.execute("COMMIT")
    return writer


def _audit(conn: sqlite3.Connection) -> tuple[int, int]:
    conn.execute("BEGIN")  # one snapshot for both reads
    try:
        count, total = conn.execute("SELECT count(*), sum(balance) FROM accounts").fetchone()
        padding = conn.execute("SELECT count(*) FROM accounts WHERE length(pad) <> 1500").fetchone()[0]
    finally:
        conn.execute("COMMIT")
    assert padding == 0
    return count, total


def test_readers_see_whole_commits_through_spills_rewrites_rollbacks_and_checkpoints(tmp_path):
    path = str(tmp_path / "bank.db")
    writer = _open_bank(path)
    stop = threading.Event()
    failures: list[str] = []
    audits = [0]

    def reader() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA mmap_size = 268435456")  # as the server's readers do
        try:
            while not stop.is_set():
                seen = _audit(conn)
                audits[0] += 1
                if seen != (ACCOUNTS, ACCOUNTS * OPENING_BALANCE):
                    failures.append(f"reader saw {seen}")
                    return
        except Exception as error:  # noqa: BLE001 - reported by the test thread
            failures.append(repr(error))
        finally:
            conn.close()

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for thread in readers:
        thread.start()
    rng = random.Random(7)
    try:
        for round_number in range(400):
            writer.execute("BEGIN")
            if round_number % 25 == 0:
                # Every row twice: pages spill to the WAL, then are written again in place before
                # the commit (SQLite then rewrites the frames' checksums).
                writer.execute("UPDATE accounts SET balance = balance + 1, pad = randomblob(1500)")
                writer.execute("UPDATE accounts SET balance = balance - 1, pad = randomblob(1500)")
            else:
                for _ in range(rng.randint(1, 30)):
                    source, target = rng.sample(range(ACCOUNTS), 2)
                    amount = rng.randint(1, 50)
                    writer.execute("UPDATE accounts SET balance = balance - ?, pad = randomblob(1500) WHERE id = ?",
                                   (amount, source))
                    writer.execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (amount, target))
            if round_number % 10 == 3:
                writer.execute("UPDATE accounts SET balance = 0")  # undone: never seen by anyone
                writer.execute("ROLLBACK")
            else:
                writer.execute("COMMIT")
    finally:
        stop.set()
        for thread in readers:
            thread.join(60)
    assert not failures, failures[:3]
    assert audits[0] > 0
    writer.close()
    fresh = sqlite3.connect(path, isolation_level=None)
    try:
        assert fresh.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert _audit(fresh) == (ACCOUNTS, ACCOUNTS * OPENING_BALANCE)
    finally:
        fresh.close()


_CRASH_WRITER = """
import os, sys
sys.path.insert(0, {repo!r})
from overcast.storage import SqliteDatabase
db = SqliteDatabase({path!r})
db.write_blocking(lambda tx: tx.execute("CREATE TABLE IF NOT EXISTS log (n INTEGER PRIMARY KEY, body BLOB)"))
n = db.fetchone("SELECT coalesce(max(n), 0) FROM log")[0]
print("ready", flush=True)
while True:
    n += 1
    rows = [(n * 100 + i, os.urandom(900)) for i in range(1 + n % 40)]  # 1 to 40 rows a commit
    db.write_blocking(lambda tx, rows=rows: tx.executemany("INSERT INTO log VALUES (?, ?)", rows))
    print(n, len(rows), flush=True)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("acks_before_kill", [5, 150, 700])
def test_kill_9_keeps_every_commit_acknowledged_through_the_vfs(tmp_path, acks_before_kill):
    path = str(tmp_path / "crash.db")
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    process = subprocess.Popen([sys.executable, "-c", _CRASH_WRITER.format(repo=repo, path=path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    acknowledged: dict[int, int] = {}
    try:
        assert process.stdout.readline().strip() == "ready", process.stderr.read()
        for line in process.stdout:
            if not line.endswith("\n"):
                break
            number, rows = map(int, line.split())
            acknowledged[number] = rows
            if len(acknowledged) >= acks_before_kill:
                break
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    assert len(acknowledged) >= acks_before_kill
    reopened = sqlite3.connect(path)
    try:
        assert reopened.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored: dict[int, int] = {}
        for (key,) in reopened.execute("SELECT n FROM log"):
            stored[key // 100] = stored.get(key // 100, 0) + 1
    finally:
        reopened.close()
    for number, rows in acknowledged.items():
        assert stored.get(number) == rows, f"commit {number}: {stored.get(number)} rows of {rows}"
    # Anything past the acknowledged is a whole commit or nothing.
    assert all(rows == 1 + number % 40 for number, rows in stored.items())
