"""Blobs as files: root/tmp/<uuid> while being written, root/<aa>/<uuid> once complete.

A blob becomes visible under its final name only by rename after its bytes are written (and
synced when fsync is on), and the directory entry is synced before write() returns, so a row
committed after write() never points at a torn or missing file. Files left behind by a crash
are either in tmp/ or unreferenced; sweep() removes both.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import re
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import BinaryIO

from overcast.storage.interface import BlobInfo, BlobStore

_BLOB_ID = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{32}$")
_SHARD = re.compile(r"^[0-9a-f]{2}$")
IO_THREADS = 16
TMP_DIR = "tmp"
# Where non-blocking cached reads are unavailable: up to this many bytes are read on the event
# loop; beyond it each chunk is read in a worker thread so a cold file cannot stall other requests.
INLINE_READ_LIMIT = 1024 * 1024


_NOWAIT = getattr(os, "RWF_NOWAIT", 0)


def _read_cached(fd: int, size: int, offset: int) -> bytes | None:
    """Read what the page cache already holds without blocking (Linux preadv2 RWF_NOWAIT), or
    None when the disk would have to be touched; a hot read then never leaves the event loop
    (measured ~5x faster than a thread hop per chunk) and a cold one never stalls it."""
    global _NOWAIT
    if not _NOWAIT:
        return None
    buffer = bytearray(size)
    try:
        got = os.preadv(fd, [buffer], offset, _NOWAIT)
    except BlockingIOError:
        return None
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
            _NOWAIT = 0  # this kernel or filesystem cannot; stop asking
            return None
        raise
    if got == size:
        return bytes(buffer)
    if got == 0:
        return None  # end of file or nothing cached: let the plain read decide
    return bytes(memoryview(buffer)[:got])


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileBlobStore(BlobStore):
    def __init__(self, root: str, fsync: bool = True) -> None:
        self.root = os.path.abspath(root)
        self.fsync = fsync
        self._tmp = os.path.join(self.root, TMP_DIR)
        if not os.path.isdir(self._tmp):
            os.makedirs(self._tmp, exist_ok=True)
            if fsync:
                _fsync_dir(self.root)
                _fsync_dir(os.path.dirname(self.root))
        self._known_dirs: set[str] = set()
        self._writing: set[str] = set()  # tmp names in flight, which sweep() must leave alone
        self._executor: ThreadPoolExecutor | None = None
        self._parent: FileBlobStore | None = None
        self._scopes: dict[str, FileBlobStore] = {}

    def _io_pool(self) -> ThreadPoolExecutor:
        if self._parent is not None:
            return self._parent._io_pool()
        # Its own threads, so that many concurrent syncs neither starve nor wait behind the
        # loop's default executor (measured: ~25% more blob writes/s than the 6-thread default).
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=IO_THREADS, thread_name_prefix="blob-io")
        return self._executor

    def scoped(self, name: str) -> FileBlobStore:
        """A store under root/<name> sharing this one's threads, so that a service can sweep its
        own blobs when it loads, knowing only its own references."""
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", name) or _SHARD.match(name) or name == TMP_DIR:
            raise ValueError(f"bad blob scope {name!r}: lowercase, and neither 'tmp' nor two hex digits")
        child = self._scopes.get(name)
        if child is None:
            # One instance per scope, so that its sweep knows every write it has in flight.
            child = FileBlobStore(os.path.join(self.root, name), fsync=self.fsync)
            child._parent = self
            self._scopes[name] = child
        return child

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def path(self, blob_id: str) -> str:
        if not _BLOB_ID.match(blob_id):
            raise ValueError(f"not a blob id: {blob_id!r}")
        return os.path.join(self.root, blob_id)

    # ---- write -------------------------------------------------------------------------------

    async def write(self, chunks: AsyncIterator[bytes],
                    observers: Sequence[Callable[[bytes], None]] = ()) -> BlobInfo:
        name = uuid.uuid4().hex
        blob_id = f"{name[:2]}/{name}"
        tmp_path = os.path.join(self._tmp, name)
        md5 = hashlib.md5()
        size = 0
        self._writing.add(name)
        try:
            # Writes land in the page cache, which is fast enough for the event loop; the sync
            # and the rename (milliseconds with fsync on) go to a thread in one hop.
            out = open(tmp_path, "wb", buffering=1024 * 1024)
            try:
                async for chunk in chunks:
                    if not chunk:
                        continue
                    out.write(chunk)
                    md5.update(chunk)
                    for observe in observers:
                        observe(chunk)
                    size += len(chunk)
                out.flush()
            except BaseException:
                out.close()
                _unlink_quietly(tmp_path)
                raise
            if self.fsync:
                await asyncio.get_running_loop().run_in_executor(self._io_pool(), self._complete, out, tmp_path, blob_id)
            else:
                self._complete(out, tmp_path, blob_id)
        finally:
            self._writing.discard(name)
        return BlobInfo(blob_id=blob_id, size=size, md5=md5.hexdigest())

    def write_bytes(self, data: bytes) -> BlobInfo:
        """Synchronous write of a whole body (background jobs, code bundles, tests)."""
        name = uuid.uuid4().hex
        blob_id = f"{name[:2]}/{name}"
        tmp_path = os.path.join(self._tmp, name)
        self._writing.add(name)
        try:
            out = open(tmp_path, "wb")
            try:
                out.write(data)
                out.flush()
            except BaseException:
                out.close()
                _unlink_quietly(tmp_path)
                raise
            self._complete(out, tmp_path, blob_id)
        finally:
            self._writing.discard(name)
        return BlobInfo(blob_id=blob_id, size=len(data), md5=hashlib.md5(data).hexdigest())

    def _complete(self, out: BinaryIO, tmp_path: str, blob_id: str) -> None:
        try:
            if self.fsync:
                os.fsync(out.fileno())
        finally:
            out.close()
        self._publish(tmp_path, blob_id)

    def _publish(self, tmp_path: str, blob_id: str) -> None:
        directory = os.path.join(self.root, blob_id[:2])
        self._ensure_dir(directory)
        os.replace(tmp_path, os.path.join(self.root, blob_id))
        if self.fsync:
            _fsync_dir(directory)  # the rename itself must survive a power loss

    def _ensure_dir(self, directory: str) -> None:
        if directory in self._known_dirs:
            return
        if not os.path.isdir(directory):
            os.makedirs(directory, exist_ok=True)
            if self.fsync:
                _fsync_dir(self.root)
        self._known_dirs.add(directory)

    # ---- read --------------------------------------------------------------------------------

    async def read(self, blob_id: str, start: int = 0, end: int | None = None,
                   chunk_size: int = 256 * 1024) -> AsyncIterator[bytes]:
        fd = os.open(self.path(blob_id), os.O_RDONLY)
        try:
            size = os.fstat(fd).st_size
            stop = size if end is None else min(end, size)
            offset = max(start, 0)
            if stop - offset > chunk_size and hasattr(os, "posix_fadvise"):
                os.posix_fadvise(fd, offset, stop - offset, os.POSIX_FADV_SEQUENTIAL)
            loop = asyncio.get_running_loop()
            while offset < stop:
                want = min(chunk_size, stop - offset)
                data = _read_cached(fd, want, offset)
                if data is None:
                    if stop - offset <= INLINE_READ_LIMIT and not _NOWAIT:
                        data = os.pread(fd, want, offset)
                    else:
                        data = await loop.run_in_executor(self._io_pool(), os.pread, fd, want, offset)
                if not data:
                    return  # the file shrank under us; never loop forever
                offset += len(data)
                yield data
        finally:
            os.close(fd)

    def read_bytes(self, blob_id: str) -> bytes:
        with open(self.path(blob_id), "rb") as f:
            return f.read()

    # ---- removal -----------------------------------------------------------------------------

    def delete(self, blob_id: str) -> None:
        _unlink_quietly(self.path(blob_id))

    def sweep(self, referenced: Callable[[str], bool]) -> int:
        """Remove leftovers of interrupted writes and unreferenced blobs; returns how many.

        Meant for start-up, before writes begin: a blob written but not yet referenced by a
        committed row (a write in flight) is indistinguishable from an orphan. Temporary files
        of writes in flight in this process are left alone.
        """
        removed = 0
        for entry in _scandir(self._tmp):
            if entry.name in self._writing:
                continue
            _unlink_quietly(entry.path)
            removed += 1
        for directory in _scandir(self.root):
            # Only the two-hex-digit shards are ours; anything else under root is left alone.
            if not _SHARD.match(directory.name) or not directory.is_dir(follow_symlinks=False):
                continue
            for entry in _scandir(directory.path):
                blob_id = f"{directory.name}/{entry.name}"
                if entry.is_dir(follow_symlinks=False) or (_BLOB_ID.match(blob_id) and referenced(blob_id)):
                    continue
                _unlink_quietly(entry.path)
                removed += 1
        return removed


def _scandir(path: str) -> list[os.DirEntry]:
    try:
        with os.scandir(path) as entries:
            return list(entries)
    except FileNotFoundError:
        return []


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
