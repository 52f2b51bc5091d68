"""Stream records, written in the same transaction as the change they describe."""

from __future__ import annotations

import functools
import sqlite3
import uuid
from collections.abc import Callable
from typing import Any

from overcast.services.dynamodb import codec
from overcast.services.dynamodb.models import Table
from overcast.services.dynamodb.types import item_size
from overcast.storage.interface import Database, Tx

RETENTION_SECONDS = 24 * 3600
# The GetRecords wire form; Lambda events carry the same fields as {"type", "principalId"}.
TTL_IDENTITY = {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}

# Called with a stream's ARN (from the thread that committed) once a record appended to it is
# durable: Lambda's event source mappings wake on it instead of polling their streams. Only the
# streams in `watched_streams` (those a poller waits on) ask for it: an after_commit callback
# makes its batch finish on the committer thread, a cost every other stream's writes must not
# pay. Both are set by the watchers (lambda_/event_sources/dynamodb_streams.py) and replaced
# whole, never edited, so a writer reads them without a lock.
on_record_appended: Callable[[str], None] | None = None
watched_streams: frozenset[str] = frozenset()


def stream_label(now: float) -> str:
    import time

    millis = int(now * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{millis:03d}"


def open_stream(tx: Tx, table: Table, now: float) -> None:
    """Record a new stream for the table (its ARN is already in the table's description)."""
    spec = table.description["StreamSpecification"]
    meta = {"StreamViewType": spec["StreamViewType"], "KeySchema": table.key_schema,
            "StreamLabel": table.description["LatestStreamLabel"], "TableArn": table.arn}
    tx.execute(
        "INSERT INTO dynamodb_streams (stream_arn, table_id, account, region, table_name, created, disabled, meta) "
        "VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
        (table.description["LatestStreamArn"], table.meta_id, table.account, table.region, table.name, now, codec.meta_dumps(meta)))


def close_stream(tx: Tx, stream_arn: str, now: float) -> None:
    tx.execute("UPDATE dynamodb_streams SET disabled = ? WHERE stream_arn = ? AND disabled IS NULL", (now, stream_arn))


def append_record(tx: Tx, table: Table, keys: dict, old: dict | None, new: dict | None, now: float,
                  identity: dict | None = None) -> None:
    spec = table.stream_spec
    if spec is None or (old is None and new is None):
        return
    _append(tx, table.description["LatestStreamArn"], spec["StreamViewType"], table.region, keys, old, new, now, identity)
    # A global table's change goes to every replica's stream too, as AWS replicates it there. A
    # replicated change carries no userIdentity: a TTL deletion is marked as the service's only in
    # the Region that expired the item (consumers tell replicated TTL removes by their absence,
    # jgilbert01/aws-lambda-stream #426).
    for stream_arn, view, region in table.peer_streams:
        _append(tx, stream_arn, view, region, keys, old, new, now, None)


def _append(tx: Tx, stream_arn: str, view: str, region: str, keys: dict, old: dict | None, new: dict | None,
            now: float, identity: dict | None) -> None:
    seq = last_sequence(tx, stream_arn) + 1
    body: dict[str, Any] = {"ApproximateCreationDateTime": int(now), "Keys": keys}
    if view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES") and new is not None:
        body["NewImage"] = new
    if view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES") and old is not None:
        body["OldImage"] = old
    body["SequenceNumber"] = f"{seq:021d}"
    body["SizeBytes"] = item_size(keys) + sum(item_size(body[k]) for k in ("NewImage", "OldImage") if k in body)
    body["StreamViewType"] = view
    record: dict[str, Any] = {
        "eventID": uuid.uuid4().hex,
        "eventName": "INSERT" if old is None else ("REMOVE" if new is None else "MODIFY"),
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": body,
    }
    if identity is not None:
        record["userIdentity"] = identity
    tx.execute("INSERT INTO dynamodb_stream_records (stream_arn, seq, created, record) VALUES (?, ?, ?, ?)",
               (stream_arn, seq, now, codec.dumps(record)))
    if stream_arn in watched_streams and on_record_appended is not None:
        tx.after_commit(functools.partial(on_record_appended, stream_arn))


def last_sequence(reader: Tx | Database, stream_arn: str) -> int:
    """The stream's highest sequence number so far, trimmed records included (0: none yet)."""
    row = reader.fetchone("SELECT MAX(seq) FROM dynamodb_stream_records WHERE stream_arn = ?", (stream_arn,))
    if row is not None and row[0] is not None:
        return row[0]
    row = reader.fetchone("SELECT seq FROM dynamodb_stream_trims WHERE stream_arn = ?", (stream_arn,))
    return row[0] if row else 0


def trim(tx: Tx, now: float) -> None:
    cutoff = now - RETENTION_SECONDS
    # Each stream's highest number trimmed is kept. Where SQLite has DELETE ... RETURNING (3.35),
    # one pass over the records (there is no index on their time) both deletes and reports them.
    if sqlite3.sqlite_version_info >= (3, 35, 0):
        trimmed = tx.fetchall("DELETE FROM dynamodb_stream_records WHERE created < ? RETURNING stream_arn, seq",
                              (cutoff,))
    else:
        trimmed = tx.fetchall("SELECT stream_arn, MAX(seq) FROM dynamodb_stream_records WHERE created < ? "
                              "GROUP BY stream_arn", (cutoff,))
        tx.execute("DELETE FROM dynamodb_stream_records WHERE created < ?", (cutoff,))
    highest: dict[str, int] = {}
    for stream_arn, seq in trimmed:
        if seq > highest.get(stream_arn, 0):
            highest[stream_arn] = seq
    if highest:
        tx.executemany(
            "INSERT INTO dynamodb_stream_trims (stream_arn, seq) VALUES (?, ?) "
            "ON CONFLICT (stream_arn) DO UPDATE SET seq = MAX(seq, excluded.seq)", list(highest.items()))
    tx.execute("DELETE FROM dynamodb_streams WHERE disabled IS NOT NULL AND disabled < ?", (cutoff,))
    tx.execute("DELETE FROM dynamodb_stream_trims WHERE stream_arn NOT IN (SELECT stream_arn FROM dynamodb_streams)")


def is_stream_of(reader: Tx | Database, table: Table, stream_arn: str) -> bool:
    """Whether `stream_arn` is one of the table's streams, the current one or an earlier one
    (a disabled stream keeps its resource-based policy)."""
    row = reader.fetchone("SELECT 1 FROM dynamodb_streams WHERE stream_arn = ? AND table_id = ?", (stream_arn, table.meta_id))
    return row is not None
