"""How event source mappings persist: one JSON document per mapping, and one checkpoint row per
(mapping, shard) holding the sequence number of the last record acknowledged.

The tables live in their own schema namespace ("lambda_event_sources"), versioned apart from
Lambda's function tables, so either can migrate without the other.
"""

from __future__ import annotations

import json
from typing import Any

from overcast.services.lambda_.event_sources import windows
from overcast.storage.interface import Database, Migration, Tx

NAMESPACE = "lambda_event_sources"

MIGRATIONS = [
    Migration(1, [
        "CREATE TABLE lambda_esm_mappings (uuid TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, "
        "created REAL NOT NULL, doc TEXT NOT NULL)",
        "CREATE TABLE lambda_esm_checkpoints (uuid TEXT NOT NULL, shard TEXT NOT NULL, position TEXT NOT NULL, "
        "PRIMARY KEY (uuid, shard))",
    ]),
    windows.MIGRATION,  # the open tumbling window of each shard, with its state
]


class MappingStore:
    def __init__(self, db: Database):
        self.db = db

    def load(self) -> list[tuple[float, dict[str, Any]]]:
        self.db.migrate(NAMESPACE, MIGRATIONS)
        return [(created, json.loads(doc)) for created, doc in
                self.db.fetchall("SELECT created, doc FROM lambda_esm_mappings ORDER BY created, uuid")]

    async def put(self, uuid: str, account: str, region: str, created: float, doc: dict[str, Any]) -> None:
        text = json.dumps(doc)
        await self.db.write(lambda tx: tx.execute(
            "INSERT INTO lambda_esm_mappings (uuid, account, region, created, doc) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (uuid) DO UPDATE SET doc = excluded.doc", (uuid, account, region, created, text)))

    async def delete(self, uuid: str) -> None:
        def write(tx: Tx) -> None:
            tx.execute("DELETE FROM lambda_esm_mappings WHERE uuid = ?", (uuid,))
            tx.execute("DELETE FROM lambda_esm_checkpoints WHERE uuid = ?", (uuid,))
            tx.execute("DELETE FROM lambda_esm_windows WHERE uuid = ?", (uuid,))
        await self.db.write(write)

    def checkpoints(self, uuid: str) -> dict[str, str]:
        return dict(self.db.fetchall("SELECT shard, position FROM lambda_esm_checkpoints WHERE uuid = ?", (uuid,)))

    async def save_checkpoint(self, uuid: str, shard: str, position: str,
                              window: windows.Window | None = None) -> None:
        """Acknowledged once durable: a restart resumes after `position`. With a tumbling
        `window`, its state moves in the same transaction, so a crash never leaves a state that
        already counts records the checkpoint would deliver again."""

        def write(tx: Tx) -> None:
            tx.execute("INSERT INTO lambda_esm_checkpoints (uuid, shard, position) VALUES (?, ?, ?) "
                       "ON CONFLICT (uuid, shard) DO UPDATE SET position = excluded.position", (uuid, shard, position))
            if window is not None:
                windows.write_window(tx, uuid, shard, window)

        await self.db.write(write)
