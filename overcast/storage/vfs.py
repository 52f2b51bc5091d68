"""Registers the WAL-buffering SQLite VFS (_walbuffer.c) with the SQLite library Python's sqlite3
module uses, when both are available.

It is an optimisation only: where the extension was not built (no C compiler at install time)
or this Python's sqlite3 hides SQLite's C functions (a statically linked build), the writer
opens the database with SQLite's default VFS and everything works as before, one system call per
WAL frame write instead of one per commit.
"""

from __future__ import annotations

import _sqlite3  # the sqlite3 module's C part, whose library is the SQLite that connections use
import ctypes
import importlib
import logging
import os
import sqlite3
import threading
import urllib.parse
from typing import Any

log = logging.getLogger(__name__)

VFS_NAME = "overcast-walbuffer"
_registered: bool | None = None  # None: not tried yet
_walbuffer: Any = None  # the extension module, once registered
_registering = threading.Lock()  # writers of several databases may open at once, on their own threads


def _register() -> bool:
    global _walbuffer
    try:
        walbuffer = importlib.import_module("overcast.storage._walbuffer")
    except ImportError:
        log.debug("WAL-buffering VFS not built; using SQLite's default VFS")
        return False
    try:
        # The module's own handle: dlsym on it also searches the libraries it links, so this
        # finds the very SQLite the sqlite3 module calls (not a second copy of the library).
        library = ctypes.PyDLL(_sqlite3.__file__)
        find = library.sqlite3_vfs_find
        register = library.sqlite3_vfs_register
    except (OSError, AttributeError):
        log.debug("this Python's sqlite3 does not export SQLite's VFS functions; using the default VFS")
        return False
    find.restype = ctypes.c_void_p
    find.argtypes = [ctypes.c_char_p]
    register.restype = ctypes.c_int
    register.argtypes = [ctypes.c_void_p, ctypes.c_int]
    if not find(VFS_NAME.encode()):  # else registered by an earlier import of this module (a reload)
        default = find(None)
        # 0: SQLITE_OK; not made the default for other connections.
        if not default or register(walbuffer.wrap(default, VFS_NAME), 0) != 0:
            return False
    _walbuffer = walbuffer
    return True


def wal_buffering_available() -> bool:
    global _registered
    if _registered is None:
        with _registering:
            if _registered is None:
                _registered = _register()
    return _registered


def connect_writer(path: str, **kwargs: Any) -> sqlite3.Connection:
    """A connection that writes through the WAL-buffering VFS when it is available. Keep it in
    locking_mode=NORMAL: the VFS learns that a failed transaction is over from the wal-index lock
    calls, which SQLite does not make in EXCLUSIVE mode (_walbuffer.c, clear_lost_locked)."""
    if not wal_buffering_available():
        return sqlite3.connect(path, **kwargs)
    # "file://" and an absolute path: a path that starts with // is not read as a host name.
    uri = f"file://{urllib.parse.quote(os.path.abspath(path))}?vfs={VFS_NAME}"
    return sqlite3.connect(uri, uri=True, **kwargs)


def wal_buffering_stats() -> dict[str, int]:
    """Writes SQLite made to buffered files and writes made to the real files for them (both 0
    when the VFS is not in use)."""
    received, made = _walbuffer.stats() if wal_buffering_available() else (0, 0)
    return {"writes_received": received, "writes_made": made}
