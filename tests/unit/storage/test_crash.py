"""kill -9 in the middle of heavy writing loses nothing that was acknowledged.

crash_writer.py runs concurrent writers (async tasks and threads) that put, replace and delete
rows with blobs and print every acknowledgement. We SIGKILL it at varying moments, reopen the
storage here and check every acknowledged change, every blob's bytes, and that sweep() clears
exactly the leftovers. The runs share one data directory, so later runs also start from a
recovered database.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from overcast.storage import open_storage

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
_spec = importlib.util.spec_from_file_location("crash_writer", os.path.join(HERE, "crash_writer.py"))
crash_writer = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(crash_writer)

# (acknowledgements to wait for, longest wait in seconds) before the kill: from "almost at once"
# to "well into steady load".
KILL_POINTS = [(1, 5.0), (40, 5.0), (400, 5.0), (10**9, 1.5), (10**9, 0.6)]
pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


class Acks:
    def __init__(self) -> None:
        self.versions: dict[int, int] = {}  # id -> highest acknowledged version
        self.deleted: set[int] = set()
        self.deleting: set[int] = set()  # deletes begun: these may be gone without an ack
        self.count = 0
        self.ready = threading.Event()
        self.lock = threading.Lock()

    def consume(self, stream) -> None:
        for raw in stream:
            if not raw.endswith(b"\n"):
                break  # a line cut short by the kill was never acknowledged
            parts = raw.decode().split()
            with self.lock:
                if parts[0] == "ready":
                    self.ready.set()
                elif parts[0] == "put":
                    item_id, version = int(parts[1]), int(parts[2])
                    self.versions[item_id] = max(version, self.versions.get(item_id, 0))
                    self.count += 1
                elif parts[0] == "deleting":
                    self.deleting.add(int(parts[1]))
                elif parts[0] == "del":
                    self.deleted.add(int(parts[1]))
                    self.count += 1


def run_and_kill(data_dir: str, run: int, wait_for_acks: int, max_seconds: float) -> Acks:
    process = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "crash_writer.py"), data_dir, str(run)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO,
    )
    acks = Acks()
    reader = threading.Thread(target=acks.consume, args=(process.stdout,), daemon=True)
    reader.start()
    try:
        if not acks.ready.wait(30):
            raise AssertionError(f"writer did not start: {process.stderr.read1(10000)!r}")
        deadline = time.monotonic() + max_seconds
        while acks.count < wait_for_acks and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.005)
        assert process.poll() is None, f"writer died on its own: {process.stderr.read().decode()[-3000:]}"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        reader.join(30)
        process.stdout.close()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    return acks


def check_recovered(data_dir: str, acks: Acks) -> tuple[int, int]:
    db, blobs = open_storage(data_dir, fsync=True)
    try:
        rows = {row[0]: row[1:] for row in db.fetchall(
            "SELECT id, version, content_key, blob_id, size, md5, inline_body FROM items")}
        for item_id, version in acks.versions.items():
            if item_id in acks.deleted or (item_id in acks.deleting and item_id not in rows):
                continue
            assert item_id in rows, f"acknowledged item {item_id} is missing"
            assert rows[item_id][0] >= version, f"item {item_id} lost acknowledged version {version}"
        for item_id in acks.deleted:
            assert item_id not in rows, f"acknowledged delete of {item_id} did not stick"

        for item_id, (_, key, blob_id, size, md5, body) in rows.items():
            assert body == crash_writer.inline_body(key), f"row {item_id} is damaged"
            expected = crash_writer.blob_content(key)
            data = blobs.read_bytes(blob_id)  # FileNotFoundError here is a lost blob
            assert (len(data), hashlib.md5(data).hexdigest()) == (size, md5), f"blob of {item_id} is torn"
            assert data == expected

        # A file that reached its final name is always whole, referenced or not.
        blob_root = blobs.root
        for shard in os.listdir(blob_root):
            if shard == "tmp":
                continue
            for name in os.listdir(os.path.join(blob_root, shard)):
                with open(os.path.join(blob_root, shard, name), "rb") as f:
                    data = f.read()
                assert data == crash_writer.blob_content(crash_writer.key_of_blob(data)), f"torn {shard}/{name}"

        referenced = {row[2] for row in rows.values()}
        removed = blobs.sweep(referenced.__contains__)
        assert os.listdir(os.path.join(blob_root, "tmp")) == []
        on_disk = {f"{shard}/{name}" for shard in os.listdir(blob_root) if shard != "tmp"
                   for name in os.listdir(os.path.join(blob_root, shard))}
        assert on_disk == referenced
        return len(rows), removed
    finally:
        db.close()
        blobs.close()


def test_acknowledged_writes_survive_sigkill(tmp_path):
    data_dir = str(tmp_path / "data")
    total_acks = 0
    for run, (wait_for_acks, max_seconds) in enumerate(KILL_POINTS, start=1):
        acks = run_and_kill(data_dir, run, wait_for_acks, max_seconds)
        total_acks += acks.count
        rows, swept = check_recovered(data_dir, acks)
        print(f"run {run}: {acks.count} acks, {rows} rows after recovery, {swept} leftovers swept")
    assert total_acks > 0
