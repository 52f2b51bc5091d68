"""The WAL-buffering VFS when a write fails: the failure reaches SQLite as SQLite's own VFS would
report it, nothing unwritten is ever shown to readers or committed, and the writer and other
connections go on once the cause is gone.

Writes are made to fail in a child process, so that nothing else is touched: with the process's
file size limit (RLIMIT_FSIZE, SIGXFSZ ignored: EFBIG, an I/O error to SQLite), or with a full
disk (ENOSPC from the unix VFS's pwrite, replaced through SQLite's own xSetSystemCall hook).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

# RLIMIT_FSIZE, SIGXFSZ and /proc/self/fd as Linux has them.
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PRELUDE = """
import os, resource, signal, sqlite3, subprocess, sys
sys.path.insert(0, {repo!r})
from overcast.storage.vfs import connect_writer, wal_buffering_available
assert wal_buffering_available()
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
path = {path!r}

def limit(size):
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

def unlimit():
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))

def writer():
    conn = connect_writer(path, isolation_level=None)
    assert conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("PRAGMA busy_timeout = 300")
    return conn

def plain():
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 300")
    return conn

def other_process(sql):
    code = "import sqlite3, sys\\nc = sqlite3.connect(sys.argv[1], timeout=0.3, isolation_level=None)\\n" \\
           "print(c.execute(sys.argv[2]).fetchall())"
    done = subprocess.run([sys.executable, "-c", code, path, sql], capture_output=True, text=True)
    return done.stdout.strip() or done.stderr.strip().splitlines()[-1]
"""


def run_script(tmp_path, body: str, helpers: str = "") -> list[str]:
    script = PRELUDE.format(repo=REPO, path=str(tmp_path / "e.db")) + helpers + textwrap.dedent(body)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.splitlines()


def test_a_commit_whose_page_cannot_be_written_fails_and_shows_nothing(tmp_path):
    # The first commit after opening a WAL that has frames: its commit header does not follow a
    # write of this connection's, so it goes straight through and the page after it is what
    # completes the commit. With room for the header only, COMMIT must fail (as it does with
    # SQLite's own VFS), and no reader may see the change.
    lines = run_script(tmp_path, """
        setup = plain()
        setup.execute("PRAGMA journal_mode = WAL")
        setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        setup.executemany("INSERT INTO t VALUES (?, ?)", [(n, "old") for n in range(20)])
        w = writer()
        limit(os.stat(path + "-wal").st_size + 24 + 100)
        try:
            w.execute("UPDATE t SET v = 'new' WHERE id = 1")
            print("commit succeeded")
        except sqlite3.Error as error:
            print("commit failed:", error)
        unlimit()
        print("reader:", plain().execute("SELECT v FROM t WHERE id = 1").fetchone()[0])
        print("other process:", other_process("SELECT v FROM t WHERE id = 1"))
        w.execute("UPDATE t SET v = 'again' WHERE id = 1")  # the writer is not stuck
        print("after:", plain().execute("SELECT v FROM t WHERE id = 1").fetchone()[0])
        print("integrity:", plain().execute("PRAGMA integrity_check").fetchone()[0])
    """)
    assert lines[0].startswith("commit failed:"), lines
    assert lines[1:] == ["reader: old", "other process: [('old',)]", "after: again", "integrity: ok"]


def test_a_rollback_whose_spilled_frames_cannot_be_written_releases_the_write_lock(tmp_path):
    # Frames a big transaction spilled wait in the buffer; at ROLLBACK SQLite releases the WAL
    # write lock, and the flush before it fails. The lock must be released all the same, and the
    # writer must go on writing once the cause is gone.
    lines = run_script(tmp_path, """
        w = writer()
        w.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
        w.execute("INSERT INTO t VALUES (0, x'00')")
        w.execute("PRAGMA cache_size = 20")
        w.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        w.execute("BEGIN")
        w.executemany("INSERT INTO t VALUES (?, ?)", [(n, os.urandom(1000)) for n in range(1, 300)])
        limit(os.stat(path + "-wal").st_size)
        try:
            w.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        unlimit()
        print("in transaction:", w.in_transaction)
        print("other process:", other_process("INSERT INTO t VALUES (3000, x'03') RETURNING id"))
        o = plain()
        o.execute("INSERT INTO t VALUES (2000, x'02')")
        w.execute("INSERT INTO t VALUES (1000, x'01')")
        print("rows:", [row[0] for row in plain().execute("SELECT id FROM t ORDER BY id")])
        print("integrity:", plain().execute("PRAGMA integrity_check").fetchone()[0])
    """)
    assert lines == ["in transaction: False", "other process: [(3000,)]", "rows: [0, 1000, 2000, 3000]",
                     "integrity: ok"]


def test_a_failed_frame_write_in_a_group_commit_is_reported_and_the_writer_recovers(tmp_path):
    # A many-page commit with room for only part of its frames: the flush fails inside a write
    # call, COMMIT reports it, readers see the state before, and the next commit works.
    lines = run_script(tmp_path, """
        w = writer()
        w.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
        w.execute("INSERT INTO t VALUES (0, x'00')")
        limit(os.stat(path + "-wal").st_size + 50_000)
        try:
            w.execute("BEGIN")
            w.executemany("INSERT INTO t VALUES (?, ?)", [(n, os.urandom(1000)) for n in range(1, 200)])
            w.execute("COMMIT")
            print("commit succeeded")
        except sqlite3.Error as error:
            print("commit failed:", error)
            if w.in_transaction:
                w.execute("ROLLBACK")
        unlimit()
        print("reader:", plain().execute("SELECT count(*) FROM t").fetchone()[0])
        w.execute("INSERT INTO t VALUES (500, x'05')")
        print("after:", plain().execute("SELECT count(*) FROM t").fetchone()[0])
        print("integrity:", plain().execute("PRAGMA integrity_check").fetchone()[0])
    """)
    assert lines[0].startswith("commit failed:"), lines
    assert lines[1:] == ["reader: 1", "after: 2", "integrity: ok"]


DISK_FULL = """
import ctypes, _sqlite3
_library = ctypes.PyDLL(_sqlite3.__file__)
_library.sqlite3_vfs_find.restype = ctypes.c_void_p
_library.sqlite3_vfs_find.argtypes = [ctypes.c_char_p]
PWRITE = ctypes.CFUNCTYPE(ctypes.c_ssize_t, ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int64,
                          use_errno=True)

class Vfs(ctypes.Structure):  # sqlite3_vfs, up to xGetSystemCall
    _fields_ = ([("iVersion", ctypes.c_int), ("szOsFile", ctypes.c_int), ("mxPathname", ctypes.c_int),
                 ("pNext", ctypes.c_void_p), ("zName", ctypes.c_char_p), ("pAppData", ctypes.c_void_p)]
                + [(name, ctypes.c_void_p) for name in (
                    "xOpen", "xDelete", "xAccess", "xFullPathname", "xDlOpen", "xDlError", "xDlSym", "xDlClose",
                    "xRandomness", "xSleep", "xCurrentTime", "xGetLastError", "xCurrentTimeInt64")]
                + [("xSetSystemCall", ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p,
                                                        ctypes.c_void_p)),
                   ("xGetSystemCall", ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p))])

_unix = _library.sqlite3_vfs_find(b"unix")
_vfs = Vfs.from_address(_unix)
_real_pwrite = PWRITE(_vfs.xGetSystemCall(_unix, b"pwrite64"))
wal_room = [None]  # while set: writes to the WAL past this offset find the disk full

def _pwrite(fd, data, size, offset):
    if wal_room[0] is not None and os.readlink(f"/proc/self/fd/{fd}").endswith("-wal") \\
            and offset + size > wal_room[0]:
        if offset >= wal_room[0]:
            ctypes.set_errno(28)  # ENOSPC
            return -1
        return _real_pwrite(fd, data, wal_room[0] - offset, offset)
    return _real_pwrite(fd, data, size, offset)

_hook = PWRITE(_pwrite)
assert _vfs.xSetSystemCall(_unix, b"pwrite64", ctypes.cast(_hook, ctypes.c_void_p)) == 0

def finish():
    _vfs.xSetSystemCall(_unix, b"pwrite64", None)  # SQLite's own pwrite back
    sys.stdout.flush()
    os._exit(0)  # no interpreter teardown with the hook's callback around
"""


def test_frames_lost_to_a_full_disk_are_never_committed(tmp_path):
    # Overcast's group commit: job A's inserts spill frames (waiting in the buffer), job B reads
    # them back and the flush finds the disk full. SQLite rolls back only job B's statement; the
    # batch then rolls back job B and commits job A, whose spilled frames never reached the WAL.
    # That COMMIT must fail, leaving the database as it was, and the next one must work.
    lines = run_script(tmp_path, helpers=DISK_FULL, body="""
        w = writer()
        w.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
        w.execute("CREATE TABLE u (id INTEGER PRIMARY KEY, k TEXT UNIQUE NOT NULL)")
        w.execute("INSERT INTO t VALUES (0, x'00')")
        w.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        w.execute("PRAGMA cache_size = 20")
        w.execute("BEGIN IMMEDIATE")
        w.execute("SAVEPOINT job")
        w.executemany("INSERT INTO t VALUES (?, ?)", [(n, os.urandom(1000)) for n in range(1, 300)])
        w.execute("RELEASE job")
        w.execute("SAVEPOINT job")
        wal_room[0] = os.stat(path + "-wal").st_size + 100
        try:
            w.execute("INSERT INTO u (k) SELECT 'k' || id FROM t")
            print("job B succeeded")
        except sqlite3.Error as error:
            print("job B failed")
        wal_room[0] = None
        if w.in_transaction:
            w.execute("ROLLBACK TO job")
            w.execute("RELEASE job")
            try:
                w.execute("COMMIT")
                print("commit succeeded")
            except sqlite3.Error:
                print("commit failed")
                if w.in_transaction:
                    w.execute("ROLLBACK")
        print("reader:", plain().execute("SELECT count(*) FROM t").fetchone()[0])
        w.execute("INSERT INTO t VALUES (5000, x'05')")
        print("after:", plain().execute("SELECT count(*) FROM t").fetchone()[0])
        print("integrity:", plain().execute("PRAGMA integrity_check").fetchone()[0])
        finish()
    """)
    assert lines[0] == "job B failed", lines
    # Whether SQLite keeps the transaction open (then the COMMIT must fail) or gives it up itself,
    # job A's rows are not there, and the writer goes on.
    assert lines[1:] in (["commit failed", "reader: 1", "after: 2", "integrity: ok"],
                         ["reader: 1", "after: 2", "integrity: ok"]), lines
