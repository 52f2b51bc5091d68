"""Helpers shared by the SqliteDatabase tests."""

from __future__ import annotations

import threading

from overcast.storage import SqliteDatabase


def names(db: SqliteDatabase) -> list[str]:
    return [row[0] for row in db.fetchall("SELECT name FROM items ORDER BY id")]


class WriterGate:
    """Holds the writer inside one job so that the jobs submitted meanwhile form one batch."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

        def hold(tx):
            self.entered.set()
            assert self.release.wait(30)

        self.thread = threading.Thread(target=db.write_blocking, args=(hold,))
        self.thread.start()
        assert self.entered.wait(30)

    def open(self) -> None:
        self.release.set()
        self.thread.join(30)


async def main_insert(db: SqliteDatabase, name: str) -> None:
    await db.write(lambda tx: tx.execute("INSERT INTO items (name) VALUES (?)", (name,)))
