"""Blobs as files: root/tmp/<uuid> while being written, root/<aa>/<uuid> once complete.

A blob becomes visible under its final name only by rename after its bytes are written (and
synced when fsync is on), and the directory entry is synced before write() returns, so a row
committed after write() never points at a torn or missing file. Files left behind by a crash
are either in tmp/ or unreferenced; sweep() removes both.

A streamed write is only received on the event loop: worker threads hash and write it (see
FileBlobStore.write), and the final fsync is short because writeback starts as bytes arrive.
"""

from __future__ import annotations

import asyncio
import ctypes
import errno
import functools
import hashlib
import os
import re
import threading
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import BinaryIO

from overcast.storage.interface import BlobInfo, BlobStore

_BLOB_ID = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{32}$")
_SHARD = re.compile(r"^[0-9a-f]{2}$")
# Two per streamed write at most (its lanes) plus syncs: enough that ten concurrent multipart
# parts do not queue the small writes' syncs behind them. Idle threads cost no CPU.
IO_THREADS = 32
TMP_DIR = "tmp"
# Where non-blocking cached reads are unavailable: up to this many bytes are read on the event
# loop; beyond it each chunk is read in a worker thread so a cold file cannot stall other requests.
INLINE_READ_LIMIT = 1024 * 1024


_NOWAIT = getattr(os, "RWF_NOWAIT", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)

MIB = 1024 * 1024
# A streamed write hands chunks to its worker threads in batches of at least this many bytes
# (fewer hand-offs); a body smaller than this is hashed, written and synced in one hop...
WRITE_BATCH_MIN = 512 * 1024
# ...and receiving pauses while a thread is more than this many bytes behind, until it is half
# as far behind. Deep enough that the MD5 thread never runs dry while the event loop waits for
# its turn on a busy machine (2 MiB left it idle ~130 times per 256 MiB: 30% slower)...
WRITE_QUEUE_LIMIT = 8 * MIB
# ...but all the writes of a process share this much, so that many concurrent uploads (ten
# multipart parts, say) hold tens of MB, not hundreds; no write gets less than the minimum.
WRITE_QUEUE_BUDGET = 32 * MIB
WRITE_QUEUE_MIN = 1 * MIB
# Every this many bytes written, the kernel is asked to start writing them to disk, so that the
# final fsync waits for the last few MiB rather than the whole blob (RocksDB's bytes_per_sync).
WRITEBACK_STEP = 8 * MIB
# Deleted blobs at least this big are unlinked by a worker thread (see delete()).
UNLINK_IN_BACKGROUND = 16 * MIB


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


def _writeback_starter() -> Callable[[int, int, int], None] | None:
    """sync_file_range(SYNC_FILE_RANGE_WRITE) where libc has it (Linux): starts writeback of a
    range without waiting for it. Durability never depends on it: fsync still follows."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
    function.restype = ctypes.c_int
    write_flag = 2  # SYNC_FILE_RANGE_WRITE

    def start(fd: int, offset: int, length: int) -> None:
        function(fd, offset, length, write_flag)  # a failure only means a longer fsync later

    return start


_writeback = _writeback_starter()


def _start_writeback(fd: int, offset: int, length: int) -> None:
    if _writeback is not None:
        _writeback(fd, offset, length)


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


async def _finished(loop: asyncio.AbstractEventLoop, job: Future[None]) -> None:
    """Wait for a worker job and raise its error. Waits on a future of its own, so a cancelled
    caller cancels nothing that a thread is running."""
    if not job.done():
        waiter: asyncio.Future[None] = loop.create_future()
        job.add_done_callback(functools.partial(_wake_from_thread, loop, waiter))
        await waiter
    error = job.exception()
    if error is not None:
        raise error


def _wake_from_thread(loop: asyncio.AbstractEventLoop, waiter: asyncio.Future[None], _job: object = None) -> None:
    try:
        loop.call_soon_threadsafe(_wake, waiter)
    except RuntimeError:
        pass  # the loop has closed (the server stopped): nobody waits any more


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class _Lanes:
    """Every batch of a streamed write goes to each lane (the MD5 on one, the file and the
    observers on the other). A lane runs its batches in order on a pool thread, which it gives
    back as soon as nothing is queued: a slow client holds no thread, and a steady one costs no
    hand-off per batch. The event loop waits only when a lane falls too far behind."""

    def __init__(self, loop: asyncio.AbstractEventLoop, pool: ThreadPoolExecutor,
                 works: Sequence[Callable[[list[bytes]], None]]) -> None:
        self._loop = loop
        self._pool = pool
        self._works = tuple(works)
        self._lock = threading.Lock()
        self._queues: list[deque[tuple[list[bytes], int]]] = [deque() for _ in self._works]
        self._backlog = [0] * len(self._works)  # bytes queued or being worked on, per lane
        self._running = [False] * len(self._works)
        self._error: BaseException | None = None
        self._closed = False
        self._waiter: asyncio.Future[None] | None = None
        self._resume_below = 0
        self._when_idle: Callable[[], None] | None = None

    def behind(self) -> int:
        return max(self._backlog)

    def put(self, batch: list[bytes], size: int) -> None:
        start = []
        with self._lock:
            if self._error is not None:
                raise self._error
            for lane, queue in enumerate(self._queues):
                queue.append((batch, size))
                self._backlog[lane] += size
                if not self._running[lane]:
                    self._running[lane] = True
                    start.append(lane)
        for lane in start:
            self._pool.submit(self._drain, lane)

    async def wait_until(self, limit: int) -> None:
        """Until every lane is at most `limit` bytes behind; raises a lane's error."""
        while True:
            with self._lock:
                if self._error is not None:
                    raise self._error
                if max(self._backlog) <= limit:
                    return
                waiter = self._waiter = self._loop.create_future()
                self._resume_below = limit
            await waiter

    def close_then(self, callback: Callable[[], None]) -> None:
        """Drop what is queued and call `callback` once no lane is working: now, or from the
        thread of the last lane to stop."""
        with self._lock:
            self._closed = True
            for queue in self._queues:
                queue.clear()
            if any(self._running):
                self._when_idle = callback
                return
        callback()

    def _drain(self, lane: int) -> None:
        work, queue = self._works[lane], self._queues[lane]
        when_idle = None
        while True:
            with self._lock:
                if not queue or self._error is not None or self._closed:
                    queue.clear()
                    self._running[lane] = False
                    self._wake_waiter()
                    if not any(self._running):
                        when_idle, self._when_idle = self._when_idle, None
                    break
                batch, size = queue.popleft()
            try:
                work(batch)
            except BaseException as error:  # the write fails; the event loop raises it
                with self._lock:
                    if self._error is None:
                        self._error = error
                continue
            with self._lock:
                self._backlog[lane] -= size
                self._wake_waiter()
        if when_idle is not None:
            when_idle()

    def _wake_waiter(self) -> None:
        waiter = self._waiter
        if waiter is not None and (self._error is not None or max(self._backlog) <= self._resume_below):
            self._waiter = None
            _wake_from_thread(self._loop, waiter)


class _BlobSink:
    """A blob being written: its temporary file, MD5 and observers. hash() and store() are two
    lanes' work; each sees the batches in order, and the two never touch the same state."""

    __slots__ = ("path", "md5", "size", "published", "_observers", "_fd", "_sync", "_synced_to")

    def __init__(self, path: str, observers: Sequence[Callable[[bytes], None]], sync: bool) -> None:
        self.path = path
        self.md5 = hashlib.md5()
        self.size = 0
        self.published: str | None = None
        self._observers = tuple(observers)
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_CLOEXEC, 0o644)
        self._sync = sync
        self._synced_to = 0

    def hash(self, batch: list[bytes]) -> None:
        md5 = self.md5
        for chunk in batch:
            md5.update(chunk)

    def store(self, batch: list[bytes]) -> None:
        fd = self._fd
        if fd is None:
            raise ValueError("blob write already closed")
        observers = self._observers
        for chunk in batch:
            for observe in observers:
                observe(chunk)  # while the chunk is still in the CPU's cache
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view):]
            self.size += len(chunk)
        if self._sync and self.size - self._synced_to >= WRITEBACK_STEP:
            _start_writeback(fd, self._synced_to, self.size - self._synced_to)
            self._synced_to = self.size

    def close(self) -> None:
        """Sync (when the store syncs) and close; the caller publishes."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if self._sync:
                os.fsync(fd)
        finally:
            os.close(fd)

    def discard(self) -> None:
        """Forget the blob: close and remove whatever was written (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
        _unlink_quietly(self.path)
        if self.published is not None:
            _unlink_quietly(self.published)


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
        self._streaming = 0  # streamed writes in progress (counted on the root store)
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
        """The event loop only receives. The chunks go in batches to two worker threads, one
        computing the MD5, the other writing the file and feeding the observers (hashlib, zlib,
        the CRT's checksums and os.write release the GIL on big buffers), so that receiving,
        the MD5 and the rest run side by side. Observers are therefore called from a worker
        thread, one batch after the other. At most about WRITE_QUEUE_LIMIT bytes (less when many
        writes run) wait for the threads, so a slow disk slows the client down instead of
        filling memory."""
        name = uuid.uuid4().hex
        blob_id = f"{name[:2]}/{name}"
        sink = _BlobSink(os.path.join(self._tmp, name), observers, self.fsync)
        loop = asyncio.get_running_loop()
        pool = self._io_pool()
        lanes = _Lanes(loop, pool, (sink.hash, sink.store))
        pending: list[bytes] = []
        queued = 0
        finishing: Future[None] | None = None
        owner = self._parent or self
        owner._streaming += 1
        self._writing.add(name)
        try:
            async for chunk in chunks:
                if not chunk:
                    continue
                pending.append(chunk)
                queued += len(chunk)
                if queued < WRITE_BATCH_MIN:
                    continue
                lanes.put(pending, queued)  # raises what a thread raised (a full disk, say)
                pending, queued = [], 0
                limit = max(WRITE_QUEUE_MIN, min(WRITE_QUEUE_LIMIT, WRITE_QUEUE_BUDGET // owner._streaming))
                if lanes.behind() > limit:
                    await lanes.wait_until(limit // 2)
            await lanes.wait_until(0)
            if self.fsync or sink.size:
                # The last batch, the sync and the rename in one hop.
                finishing = pool.submit(self._finish, sink, pending, blob_id)
                await _finished(loop, finishing)
            else:
                self._finish(sink, pending, blob_id)  # small and unsynced: cheaper than a hop
        except BaseException:
            # A client gone, a checksum or disk error, a cancelled task: nothing is left behind,
            # once no thread holds the file any more.
            if finishing is not None and not finishing.done():
                finishing.add_done_callback(lambda _job: sink.discard())
            else:
                lanes.close_then(sink.discard)
            raise
        finally:
            owner._streaming -= 1
            self._writing.discard(name)
        return BlobInfo(blob_id=blob_id, size=sink.size, md5=sink.md5.hexdigest())

    def _finish(self, sink: _BlobSink, last: list[bytes], blob_id: str) -> None:
        """In a worker (or inline): write the last batch, sync, close, publish."""
        sink.hash(last)
        sink.store(last)
        sink.close()
        self._publish(sink.path, blob_id)
        sink.published = self.path(blob_id)

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
        """Gone from its name at once; a big file's space is freed by a worker thread, since
        freeing it takes tens of milliseconds (~75 ms for 256 MiB) that neither the database
        writer (deletes run after commits) nor the event loop should wait for."""
        path = self.path(blob_id)
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            return
        if size < UNLINK_IN_BACKGROUND:
            _unlink_quietly(path)
            return
        doomed = os.path.join(self._tmp, f"{uuid.uuid4().hex}.deleted")  # swept if a crash leaves it
        try:
            os.replace(path, doomed)
        except FileNotFoundError:
            return
        try:
            self._io_pool().submit(_unlink_quietly, doomed)
        except RuntimeError:  # the store is closing: its threads are gone
            _unlink_quietly(doomed)

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
