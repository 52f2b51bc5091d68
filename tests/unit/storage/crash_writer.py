"""Load generator for the storage crash test: writes rows and blobs as fast as it can and prints
each acknowledged change, flushed, so that the test can kill it with SIGKILL and check that
everything acknowledged survived.

Lines on stdout:  "ready" | "put <id> <version>" | "deleting <id>" (intent) | "del <id>" (done)
Usage: python crash_writer.py DATA_DIR RUN_NUMBER
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from overcast.storage import Migration, open_storage  # noqa: E402

SCHEMA = [Migration(1, [
    "CREATE TABLE items (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, content_key TEXT NOT NULL, "
    "blob_id TEXT NOT NULL, size INTEGER NOT NULL, md5 TEXT NOT NULL, inline_body BLOB NOT NULL)",
])]
ASYNC_WRITERS = 12
THREAD_WRITERS = 3


def blob_content(content_key: str) -> bytes:
    """Deterministic from the key, which leads the body, so any blob file can be verified alone."""
    rng = random.Random(content_key)
    size = rng.choice((0, 1, 1000, 5000, 40_000, 70_000, 200_000))
    return content_key.encode() + b"\n" + rng.randbytes(size)


def inline_body(content_key: str) -> bytes:
    return hashlib.sha256(content_key.encode()).digest() * 32  # 1 KiB in the row itself


def key_of_blob(data: bytes) -> str:
    return data.split(b"\n", 1)[0].decode()


class Load:
    def __init__(self, data_dir: str, run: int) -> None:
        self.db, self.blobs = open_storage(data_dir, fsync=True)
        self.db.migrate("crashtest", SCHEMA)
        self.run = run
        self.next_id = run * 10_000_000
        self.acked: list[int] = []
        self.lock = threading.Lock()

    def say(self, line: str) -> None:
        with self.lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def new_id(self) -> int:
        with self.lock:
            self.next_id += 1
            return self.next_id

    def content_key(self, item_id: int) -> str:
        return f"{item_id}-{random.getrandbits(64):016x}"

    @staticmethod
    def insert(item_id: int, key: str, info, body: bytes):
        def fn(tx):
            tx.execute("INSERT INTO items VALUES (?, 1, ?, ?, ?, ?, ?)",
                       (item_id, key, info.blob_id, info.size, info.md5, inline_body(key)))
            return 1
        return fn

    def replace(self, item_id: int, key: str, info):
        def fn(tx):
            row = tx.fetchone("SELECT version, blob_id FROM items WHERE id = ?", (item_id,))
            if row is None:
                raise LookupError(item_id)
            tx.execute("UPDATE items SET version = ?, content_key = ?, blob_id = ?, size = ?, md5 = ?, "
                       "inline_body = ? WHERE id = ?",
                       (row[0] + 1, key, info.blob_id, info.size, info.md5, inline_body(key), item_id))
            old_blob = row[1]
            tx.after_commit(lambda: self.blobs.delete(old_blob))
            return row[0] + 1
        return fn

    def remove(self, item_id: int):
        def fn(tx):
            row = tx.fetchone("SELECT blob_id FROM items WHERE id = ?", (item_id,))
            if row is None:
                raise LookupError(item_id)
            tx.execute("DELETE FROM items WHERE id = ?", (item_id,))
            tx.after_commit(lambda: self.blobs.delete(row[0]))
        return fn

    async def async_writer(self, seed: int) -> None:
        rng = random.Random(seed)
        while True:
            choice = rng.random()
            with self.lock:
                target = rng.choice(self.acked) if self.acked else None
            if target is not None and choice < 0.2:
                key = self.content_key(target)
                info = await self.blobs.write(chunks(blob_content(key)))
                try:
                    version = await self.db.write(self.replace(target, key, info))
                except LookupError:
                    self.blobs.delete(info.blob_id)
                    continue
                self.say(f"put {target} {version}")
            elif target is not None and choice < 0.25:
                # Announced first: if the kill lands after the commit but before "del", the row
                # is legitimately gone although its "put" was acknowledged.
                self.say(f"deleting {target}")
                try:
                    await self.db.write(self.remove(target))
                except LookupError:
                    continue
                self.say(f"del {target}")
            else:
                item_id = self.new_id()
                key = self.content_key(item_id)
                info = await self.blobs.write(chunks(blob_content(key)))
                await self.db.write(self.insert(item_id, key, info, b""))
                with self.lock:
                    self.acked.append(item_id)
                self.say(f"put {item_id} 1")

    def thread_writer(self) -> None:
        while True:
            item_id = self.new_id()
            key = self.content_key(item_id)
            info = self.blobs.write_bytes(blob_content(key))
            self.db.write_blocking(self.insert(item_id, key, info, b""))
            with self.lock:
                self.acked.append(item_id)
            self.say(f"put {item_id} 1")

    async def main(self) -> None:
        for _ in range(THREAD_WRITERS):
            threading.Thread(target=self.thread_writer, daemon=True).start()
        self.say("ready")
        await asyncio.gather(*(self.async_writer(self.run * 1000 + i) for i in range(ASYNC_WRITERS)))


async def chunks(data: bytes, size: int = 16384):
    for offset in range(0, len(data), size):
        yield data[offset:offset + size]
        if offset % (4 * size) == 0:
            await asyncio.sleep(0)  # interleave writers as a network stream would


if __name__ == "__main__":
    asyncio.run(Load(sys.argv[1], int(sys.argv[2])).main())
