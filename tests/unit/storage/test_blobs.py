"""FileBlobStore: streaming write with observers, ranged reads, delete, sweep."""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import time
import zlib

import pytest

import overcast.storage.blobs as blobs_module
from overcast.storage import FileBlobStore


async def chunked(data: bytes, size: int = 7000):
    for offset in range(0, len(data), size):
        yield data[offset:offset + size]


async def read_all(store: FileBlobStore, blob_id: str, **kwargs) -> bytes:
    return b"".join([chunk async for chunk in store.read(blob_id, **kwargs)])


@pytest.fixture(params=[True, False], ids=["fsync", "nofsync"])
def store(tmp_path, request):
    blob_store = FileBlobStore(str(tmp_path / "blobs"), fsync=request.param)
    yield blob_store
    blob_store.close()


DATA = os.urandom(3 * 256 * 1024 + 12345)


def test_write_streams_to_a_final_file_with_md5_size_and_observers(store):
    crc = 0
    seen = []

    def crc_observer(chunk: bytes) -> None:
        nonlocal crc
        crc = zlib.crc32(chunk, crc)

    info = asyncio.run(store.write(chunked(DATA), observers=[crc_observer, seen.append]))
    assert info.size == len(DATA)
    assert info.md5 == hashlib.md5(DATA).hexdigest()
    assert crc == zlib.crc32(DATA)
    assert b"".join(seen) == DATA
    with open(store.path(info.blob_id), "rb") as f:
        assert f.read() == DATA
    assert os.listdir(os.path.join(store.root, "tmp")) == []
    assert store.read_bytes(info.blob_id) == DATA


def test_empty_blob(store):
    info = asyncio.run(store.write(chunked(b"")))
    assert (info.size, info.md5) == (0, hashlib.md5(b"").hexdigest())
    assert asyncio.run(read_all(store, info.blob_id)) == b""


@pytest.mark.parametrize("start,end", [
    (0, None), (0, 1), (5, 6), (1000, 300000), (256 * 1024, 512 * 1024), (len(DATA) - 3, None),
    (len(DATA) - 3, len(DATA) + 100), (len(DATA), None), (len(DATA) + 5, None), (10, 10),
])
def test_ranged_reads(store, start, end):
    info = asyncio.run(store.write(chunked(DATA)))
    assert asyncio.run(read_all(store, info.blob_id, start=start, end=end)) == DATA[start:end]


def test_read_respects_chunk_size(store):
    info = asyncio.run(store.write(chunked(DATA)))

    async def sizes():
        return [len(c) async for c in store.read(info.blob_id, start=1, chunk_size=100_000)]

    got = asyncio.run(sizes())
    assert sum(got) == len(DATA) - 1
    assert max(got) <= 100_000


@pytest.mark.parametrize("nowait", [True, False], ids=["cached-read", "plain-read"])
def test_large_read_through_both_paths(store, monkeypatch, nowait):
    # Covers both the non-blocking page-cache read and the fallback that reads in a thread.
    if not nowait:
        monkeypatch.setattr(blobs_module, "_NOWAIT", 0)
        monkeypatch.setattr(blobs_module, "INLINE_READ_LIMIT", 0)
    data = os.urandom(2 * 1024 * 1024 + 1)
    info = store.write_bytes(data)
    assert asyncio.run(read_all(store, info.blob_id, start=3)) == data[3:]


def test_write_bytes_matches_streaming_write(store):
    info = store.write_bytes(b"hello")
    assert (info.size, info.md5) == (5, hashlib.md5(b"hello").hexdigest())
    assert asyncio.run(read_all(store, info.blob_id)) == b"hello"


def test_failed_stream_leaves_no_file(store):
    async def broken():
        yield b"partial"
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        asyncio.run(store.write(broken()))
    assert os.listdir(os.path.join(store.root, "tmp")) == []
    assert [d for d in os.listdir(store.root) if d != "tmp"] == []


def test_reading_a_missing_blob_raises(store):
    with pytest.raises(FileNotFoundError):
        asyncio.run(read_all(store, "ab/" + "0" * 32))


def test_delete_removes_and_ignores_missing(store):
    info = store.write_bytes(b"x")
    store.delete(info.blob_id)
    assert not os.path.exists(store.path(info.blob_id))
    store.delete(info.blob_id)


@pytest.mark.parametrize("bad", ["../etc/passwd", "ab/../../x", "/abs", "AB/" + "0" * 32, "ab/" + "0" * 31])
def test_blob_ids_cannot_escape_the_root(store, bad):
    with pytest.raises(ValueError):
        store.path(bad)


def test_sweep_removes_temporaries_and_unreferenced_blobs_only(tmp_path):
    root = str(tmp_path / "blobs")
    writer = FileBlobStore(root, fsync=False)
    keep = [writer.write_bytes(b"keep %d" % i).blob_id for i in range(5)]
    drop = [writer.write_bytes(b"drop %d" % i).blob_id for i in range(3)]
    with open(os.path.join(root, "tmp", "abandoned-upload"), "wb") as f:
        f.write(b"half")
    os.makedirs(os.path.join(root, "s3"))  # a scope's directory is not a shard: left alone
    with open(os.path.join(root, "s3", "marker"), "wb") as f:
        f.write(b"m")

    store = FileBlobStore(root, fsync=False)  # as at start-up
    removed = store.sweep(lambda blob_id: blob_id in keep)
    assert removed == len(drop) + 1
    for blob_id in keep:
        assert store.read_bytes(blob_id).startswith(b"keep")
    for blob_id in drop:
        assert not os.path.exists(store.path(blob_id))
    assert os.listdir(os.path.join(root, "tmp")) == []
    assert os.path.exists(os.path.join(root, "s3", "marker"))
    assert store.sweep(lambda blob_id: blob_id in keep) == 0


def test_sweep_leaves_a_write_in_flight_alone(store):
    async def main():
        release = asyncio.Event()
        midway = asyncio.Event()

        async def slow():
            yield b"first"
            midway.set()
            await release.wait()
            yield b"second"

        writing = asyncio.ensure_future(store.write(slow()))
        await midway.wait()
        assert len(os.listdir(os.path.join(store.root, "tmp"))) == 1
        assert store.sweep(lambda blob_id: False) == 0
        release.set()
        return await writing

    info = asyncio.run(main())
    assert store.read_bytes(info.blob_id) == b"firstsecond"


def test_scopes_are_separate_stores_ignored_by_the_parent_sweep(store):
    s3 = store.scoped("s3")
    assert store.scoped("s3") is s3
    info = s3.write_bytes(b"object")
    assert store.sweep(lambda blob_id: False) == 0
    assert s3.read_bytes(info.blob_id) == b"object"
    assert s3.sweep(lambda blob_id: False) == 1
    for bad in ("tmp", "ab", "0f", "../x", "S3", ""):
        with pytest.raises(ValueError):
            store.scoped(bad)


def test_concurrent_writes_are_all_distinct_and_intact(store):
    bodies = [os.urandom(n) for n in (0, 1, 100, 70000, 300000) * 8]

    async def main():
        return await asyncio.gather(*(store.write(chunked(body, 4096)) for body in bodies))

    infos = asyncio.run(main())
    assert len({info.blob_id for info in infos}) == len(bodies)
    for info, body in zip(infos, bodies, strict=True):
        assert info.md5 == hashlib.md5(body).hexdigest()
        assert store.read_bytes(info.blob_id) == body


# ---- streamed writes through the worker threads ------------------------------------------------

BIG = os.urandom(9 * 1024 * 1024 + 4321)  # many batches, and more than the bytes allowed to wait
HUGE = BIG * 3


def leftovers(store: FileBlobStore, timeout: float = 5.0) -> list[str]:
    """Every file under the store's root, once the threads that may hold one are done."""
    deadline = time.monotonic() + timeout
    while True:
        found = [os.path.join(d, f) for d, _, files in os.walk(store.root) for f in files]
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def test_big_write_keeps_the_order_of_every_chunk(store):
    seen = []
    info = asyncio.run(store.write(chunked(BIG, 65536 + 3), observers=[seen.append]))
    assert info.size == len(BIG)
    assert info.md5 == hashlib.md5(BIG).hexdigest()
    assert b"".join(seen) == BIG
    assert store.read_bytes(info.blob_id) == BIG
    assert os.listdir(os.path.join(store.root, "tmp")) == []


def test_observers_run_off_the_event_loop_thread(store):
    threads = set()
    info = asyncio.run(store.write(chunked(BIG, 256 * 1024),
                                   observers=[lambda _chunk: threads.add(threading.get_ident())]))
    assert info.size == len(BIG)
    assert threading.get_ident() not in threads


def test_failed_stream_after_many_batches_leaves_no_file(store):
    async def broken():
        async for chunk in chunked(BIG[:6 * 1024 * 1024], 128 * 1024):
            yield chunk
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        asyncio.run(store.write(broken()))
    assert leftovers(store) == []


def test_an_observer_error_fails_the_write_and_leaves_no_file(store):
    seen = [0]

    def failing(chunk: bytes) -> None:
        seen[0] += len(chunk)
        if seen[0] > 3 * 1024 * 1024:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        asyncio.run(store.write(chunked(BIG, 128 * 1024), observers=[failing]))
    assert leftovers(store) == []


def test_a_cancelled_write_leaves_no_file(store):
    async def main():
        received = [0]

        async def endless():
            while True:
                received[0] += 65536
                yield b"x" * 65536
                await asyncio.sleep(0)

        writing = asyncio.ensure_future(store.write(endless()))
        while received[0] < 5 * 1024 * 1024:
            await asyncio.sleep(0.001)
        writing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await writing

    asyncio.run(main())
    assert leftovers(store) == []


def test_a_slow_consumer_pauses_the_stream(store):
    """The bytes taken from the stream but not yet written stay bounded: back-pressure, not memory."""
    produced = [0]
    consumed = [0]
    ahead = []

    async def source():
        for offset in range(0, len(HUGE), 64 * 1024):
            chunk = HUGE[offset:offset + 64 * 1024]
            produced[0] += len(chunk)
            ahead.append(produced[0] - consumed[0])
            yield chunk

    def slow(chunk: bytes) -> None:
        time.sleep(0.001)
        consumed[0] += len(chunk)

    info = asyncio.run(store.write(source(), observers=[slow]))
    assert info.md5 == hashlib.md5(HUGE).hexdigest()
    limit = blobs_module.WRITE_QUEUE_LIMIT + blobs_module.WRITE_BATCH_MIN + 64 * 1024
    assert max(ahead) <= limit


def test_concurrent_big_writes_share_the_bytes_allowed_to_wait(store):
    """With many streamed writes at once, each may hold back less: together they stay within
    the budget (plus a batch each), whatever their number."""
    consumed = [0]
    produced = [0]
    ahead = []

    async def source(data: bytes):
        for offset in range(0, len(data), 64 * 1024):
            chunk = data[offset:offset + 64 * 1024]
            produced[0] += len(chunk)
            ahead.append(produced[0] - consumed[0])
            yield chunk
            await asyncio.sleep(0)

    def slow(chunk: bytes) -> None:
        time.sleep(0.004)
        consumed[0] += len(chunk)  # under the GIL: a read-modify-write of an int is good enough here

    writers = 8

    async def main():
        return await asyncio.gather(*(store.write(source(BIG), observers=[slow]) for _ in range(writers)))

    infos = asyncio.run(main())
    assert all(info.md5 == hashlib.md5(BIG).hexdigest() for info in infos)
    per_writer = max(blobs_module.WRITE_QUEUE_MIN, blobs_module.WRITE_QUEUE_BUDGET // writers)
    assert per_writer < blobs_module.WRITE_QUEUE_LIMIT  # the budget, not the single-write limit, binds
    slack = writers * (blobs_module.WRITE_BATCH_MIN + 64 * 1024)
    assert max(ahead) <= writers * per_writer + slack


def test_deleting_a_big_blob_frees_its_name_at_once_and_its_file_soon(store, monkeypatch):
    monkeypatch.setattr(blobs_module, "UNLINK_IN_BACKGROUND", 1024 * 1024)
    big = store.write_bytes(BIG)
    small = store.write_bytes(b"small")
    store.delete(big.blob_id)
    assert not os.path.exists(store.path(big.blob_id))
    store.delete(small.blob_id)
    assert not os.path.exists(store.path(small.blob_id))
    assert leftovers(store) == []
    store.delete(big.blob_id)  # already gone: nothing to do
