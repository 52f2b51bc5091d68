"""The SqliteDatabase every storage test here starts from."""

from __future__ import annotations

import pytest

from overcast.storage import SqliteDatabase


# Batches run on the event loop are committed by the native committer where it is built
# (nativecommit.py), else by the committer thread: both are run.
@pytest.fixture(params=[(True, True), (True, False), (False, True)], ids=["fsync", "fsync-python-commit", "nofsync"])
def db(tmp_path, request):
    fsync, native = request.param
    database = SqliteDatabase(str(tmp_path / "test.db"), fsync=fsync, native_commit=native)
    database.write_blocking(lambda tx: tx.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    yield database
    database.close()
