"""Tumbling windows (TumblingWindowInSeconds): a function aggregating a shard's records window by
window, its state handed from one invocation to the next.

As AWS documents them ("Using tumbling windows with Lambda functions" for DynamoDB and Kinesis):
each record belongs to the window its arrival time falls in (windows of the given length, aligned
here on multiples of it since the epoch); a batch never spans two windows; each invocation carries
"window" {start, end}, the "state" the last invocation in that window returned (starting empty),
"shardId", "eventSourceARN", "isFinalInvokeForWindow" and "isWindowTerminatedEarly"; once the
window has ended, a last invocation with isFinalInvokeForWindow true (and no records) hands over
the final state, which is then dropped. The open window's state is kept with the checkpoints, so a
restart goes on with it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from overcast.storage.interface import Database, Migration, Tx

# The state a function returns is a map of strings; AWS ends a window early past 1 MB of it.
MAX_STATE_BYTES = 1024 * 1024

MIGRATION = Migration(2, [
    "CREATE TABLE lambda_esm_windows (uuid TEXT NOT NULL, shard TEXT NOT NULL, doc TEXT NOT NULL, "
    "PRIMARY KEY (uuid, shard))",
])


def iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


@dataclass
class Window:
    start: float
    length: float
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def end(self) -> float:
        return self.start + self.length

    @classmethod
    def of(cls, created: float, length: float) -> Window:
        return cls(start=(created // length) * length, length=length)

    def event(self, records: list[dict[str, Any]], shard: str, source_arn: str, final: bool,
              terminated_early: bool = False) -> dict[str, Any]:
        return {"Records": records, "window": {"start": iso(self.start), "end": iso(self.end)},
                "state": self.state, "shardId": shard, "eventSourceARN": source_arn,
                "isFinalInvokeForWindow": final, "isWindowTerminatedEarly": terminated_early}


def returned_state(body: bytes) -> dict[str, Any] | None:
    """The "state" a function's answer carries (None when it carries none)."""
    try:
        answer = json.loads(body) if body else None
    except ValueError:
        return None
    state = answer.get("state") if isinstance(answer, dict) else None
    return state if isinstance(state, dict) else None


class WindowStore:
    def __init__(self, db: Database):
        self.db = db

    def load(self, uuid: str) -> dict[str, Window]:
        return {shard: Window(**json.loads(doc)) for shard, doc in
                self.db.fetchall("SELECT shard, doc FROM lambda_esm_windows WHERE uuid = ?", (uuid,))}

    async def save(self, uuid: str, shard: str, window: Window | None) -> None:
        await self.db.write(lambda tx: write_window(tx, uuid, shard, window))


def write_window(tx: Tx, uuid: str, shard: str, window: Window | None) -> None:
    """Store (or, with None, drop) a shard's open window, in the caller's transaction."""
    if window is None:
        tx.execute("DELETE FROM lambda_esm_windows WHERE uuid = ? AND shard = ?", (uuid, shard))
        return
    doc = json.dumps({"start": window.start, "length": window.length, "state": window.state})
    tx.execute("INSERT INTO lambda_esm_windows (uuid, shard, doc) VALUES (?, ?, ?) "
               "ON CONFLICT (uuid, shard) DO UPDATE SET doc = excluded.doc", (uuid, shard, doc))
