"""kill -9 in the middle of a PutObject load: every acknowledged object survives intact, and
nothing half-written is ever visible after the restart."""

from __future__ import annotations

import hashlib
import threading
import time

import pytest

from tests.conftest import make_client
from tests.services.s3.conftest import unique_bucket_name

THREADS = 12
KEYS_PER_THREAD = 15  # keys are rewritten, so an overwrite can be interrupted too
INLINE_LIMIT = 64 * 1024


def body_for(key: str, version: int) -> bytes:
    seed = hashlib.sha256(f"{key}@{version}".encode()).digest()
    # Alternate between inline-sized and blob-sized bodies.
    size = 1500 + (version * 7919) % 3000 if version % 2 == 0 else 70_000 + (version * 104729) % 200_000
    return (seed * (size // len(seed) + 1))[:size]


class Writer(threading.Thread):
    def __init__(self, endpoint: str, bucket: str, index: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.client = make_client("s3", endpoint, connect_timeout=2, read_timeout=10)
        self.bucket = bucket
        self.index = index
        self.stop_event = stop
        self.acked: dict[str, int] = {}  # key -> last acknowledged version
        self.attempted: dict[str, int] = {}  # key -> last version sent

    def run(self) -> None:
        version = 0
        while not self.stop_event.is_set():
            key = f"w{self.index}/k{version % KEYS_PER_THREAD}"
            self.attempted[key] = version
            try:
                self.client.put_object(Bucket=self.bucket, Key=key, Body=body_for(key, version))
            except Exception:
                return  # the server is gone
            self.acked[key] = version
            version += 1


# One client alone has its rows committed on the server's event loop thread; many at once share
# the writer thread's group commits: both must keep what they acknowledged.
@pytest.mark.parametrize("threads", [THREADS, 1], ids=["concurrent", "one-client"])
def test_kill9_during_put_load(fresh_server, threads):
    s3 = make_client("s3", fresh_server.endpoint_url)
    bucket = unique_bucket_name("durable")
    s3.create_bucket(Bucket=bucket)
    stop = threading.Event()
    writers = [Writer(fresh_server.endpoint_url, bucket, i, stop) for i in range(threads)]
    for writer in writers:
        writer.start()
    deadline = time.monotonic() + 60
    # Let the load run until a fair number of writes (and overwrites) have been acknowledged.
    while sum(len(w.acked) for w in writers) < threads * KEYS_PER_THREAD and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    fresh_server.kill9()
    stop.set()
    for writer in writers:
        writer.join(timeout=30)

    fresh_server.start()
    s3 = make_client("s3", fresh_server.endpoint_url)
    acked = {k: v for w in writers for k, v in w.acked.items()}
    attempted = {k: v for w in writers for k, v in w.attempted.items()}
    assert len(acked) >= threads * KEYS_PER_THREAD // 2

    listed = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            listed[item["Key"]] = item
    # Every acknowledged key is there.
    assert set(acked) <= set(listed)
    for key, item in listed.items():
        assert key in attempted, f"{key} was never written"
        got = s3.get_object(Bucket=bucket, Key=key)
        data = got["Body"].read()
        # The object is one whole version: the last acknowledged one or a later one in flight.
        low = acked.get(key, 0)
        slot = int(key.rsplit("k", 1)[1])
        candidates = {v: body_for(key, v) for v in range(low, attempted[key] + 1) if v % KEYS_PER_THREAD == slot}
        matches = [v for v, body in candidates.items() if body == data]
        assert matches, f"{key}: {len(data)} bytes that match no version written at or after the acknowledged one"
        assert got["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
        assert item["Size"] == len(data)

    # Orphaned blob files from writes in flight were swept: one file per blob-sized object.
    blob_root = fresh_server.data_dir / "blobs"
    files = [p for p in blob_root.rglob("*") if p.is_file() and "tmp" not in p.relative_to(blob_root).parts]
    assert len(files) == sum(1 for item in listed.values() if item["Size"] > INLINE_LIMIT)
