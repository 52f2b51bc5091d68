"""What exports to S3 (exports.py) and imports from S3 (imports.py) share: their durable records,
the jobs that carry them out, paging tokens and the in-process S3 client.

An export or import is written IN_PROGRESS before its call answers. Its work is a job on the
shared scheduler, due at its StartTime plus `dynamodb_transfer_seconds` of the server's clock
(0 by default: at once; more lets a client watch one IN_PROGRESS, as AWS's take minutes, and
moving the clock releases it). The job hands the work to the event loop, where the internal
client runs S3's operations. A record still IN_PROGRESS when the server starts again (killed
mid-way) is carried out again from the beginning: an export reads the table as of its
ExportTime from the point-in-time history and rewrites the same object keys; an import writes
its table whole in one transaction, and a rerun that finds its own table (by TableId) there
only records the end.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from overcast.protocol.errors import ServiceError
from overcast.services.dynamodb import codec
from overcast.services.dynamodb.errors import ValidationException
from overcast.services.dynamodb.tables import timestamp
from overcast.storage.interface import Migration, Tx

log = logging.getLogger("overcast.dynamodb.transfers")

# A schema of its own (not store.py's): exports and imports are their own records, versioned
# apart from the items' tables.
NAMESPACE = "dynamodb_transfers"
MIGRATIONS = [
    Migration(1, [
        """CREATE TABLE dynamodb_transfers (
            arn TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            table_arn TEXT NOT NULL,
            client_token TEXT,
            started REAL NOT NULL,
            status TEXT NOT NULL,
            record TEXT NOT NULL)""",
        "CREATE INDEX dynamodb_transfers_listing ON dynamodb_transfers (kind, account, region, started)",
        "CREATE INDEX dynamodb_transfers_tokens ON dynamodb_transfers (kind, account, client_token)",
    ]),
]

EXPORT, IMPORT = "export", "import"
# "A client token is valid for 8 hours after the first request that uses it is completed"
# (ExportTableToPointInTime and ImportTable, ClientToken).
TOKEN_WINDOW = 8 * 3600
# ListExports' MaxResults and ListImports' PageSize: 1 to 25 in the model; 25 when absent.
PAGE_LIMIT = 25


def save(tx: Tx, record: dict[str, Any]) -> None:
    """Write a record (its description and what the job needs) whole."""
    tx.execute(
        "INSERT INTO dynamodb_transfers (arn, kind, account, region, table_arn, client_token, started, status, record) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (arn) DO UPDATE SET status = excluded.status, "
        "record = excluded.record",
        (record["arn"], record["kind"], record["account"], record["region"], record["description"]["TableArn"],
         record["description"].get("ClientToken"), record["started"], status_of(record), codec.meta_dumps(record)))


def wire(description: dict[str, Any]) -> dict[str, Any]:
    """A stored description (times as epoch seconds) as the API answers it."""
    body = copy.deepcopy(description)
    for member in ("StartTime", "EndTime", "ExportTime"):
        if member in body:
            body[member] = timestamp(body[member])
    return body


def status_of(record: dict[str, Any]) -> str:
    description = record["description"]
    return description.get("ExportStatus") or description["ImportStatus"]


def load(db: Any, kind: str, arn: str) -> dict[str, Any] | None:
    row = db.fetchone("SELECT record FROM dynamodb_transfers WHERE arn = ? AND kind = ?", (arn, kind))
    return codec.meta_loads(row[0]) if row else None


def by_token(db: Any, kind: str, account: str, region: str, token: str, now: float) -> dict[str, Any] | None:
    """The record a ClientToken still names in one Region (DynamoDB's endpoints are regional):
    one in progress, or ended less than 8 hours ago."""
    rows = db.fetchall("SELECT record FROM dynamodb_transfers WHERE kind = ? AND account = ? AND region = ? "
                       "AND client_token = ? ORDER BY started DESC", (kind, account, region, token))
    for (text,) in rows:
        record = codec.meta_loads(text)
        ended = record["description"].get("EndTime")
        if ended is None or now - ended < TOKEN_WINDOW:
            return record
    return None


def listing(db: Any, kind: str, account: str, region: str, table_arn: str | None) -> list[dict[str, Any]]:
    """The records of an account's Region, newest first (as ListExports orders them)."""
    sql = "SELECT record FROM dynamodb_transfers WHERE kind = ? AND account = ? AND region = ?"
    args: tuple = (kind, account, region)
    if table_arn:
        sql += " AND table_arn = ?"
        args += (table_arn,)
    rows = db.fetchall(sql + " ORDER BY started DESC, arn DESC", args)
    return [codec.meta_loads(text) for (text,) in rows]


def unfinished(db: Any) -> list[dict[str, Any]]:
    rows = db.fetchall("SELECT record FROM dynamodb_transfers WHERE status = 'IN_PROGRESS' ORDER BY started")
    return [codec.meta_loads(text) for (text,) in rows]


def page(records: list[dict[str, Any]], token: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """One page of `records` after the one a NextToken names, and the token of the next page.
    The token is the hex of the last ARN handed out, padded to whole 8-byte groups: ListImports'
    model wants ([0-9a-f]{16})+ of at least 112 characters."""
    start = 0
    if token is not None:
        arn = _token_arn(token)
        arns = [r["arn"] for r in records]
        if arn not in arns:
            raise ValidationException(f"Invalid Request: Provided nextToken is invalid: {token}")
        start = arns.index(arn) + 1
    chosen = records[start:start + limit]
    if start + limit >= len(records):
        return chosen, None
    raw = chosen[-1]["arn"].encode()
    return chosen, raw.ljust(max(56, -(-len(raw) // 8) * 8), b"\0").hex()


def _token_arn(token: str) -> str:
    try:
        return bytes.fromhex(token).rstrip(b"\0").decode()
    except (ValueError, UnicodeDecodeError):
        return ""


def transfer_id(now: float, seed: str) -> str:
    """An export's or import's id as DynamoDB writes it: the start in milliseconds, 14 digits,
    then 8 hex digits (developer guide, "DynamoDB table export output format")."""
    return f"{int(now * 1000):014d}-{hashlib.sha1(f'{seed}{now}{time.perf_counter_ns()}'.encode()).hexdigest()[:8]}"


def s3_failure(error: ServiceError) -> tuple[str, str]:
    """FailureCode and FailureMessage for an S3 error, as DynamoDB reports a missing bucket:
    S3NoSuchBucket, and S3's message with the Java SDK's details after it (developer guide,
    "Import format quotas and validation"; ScyllaDB's test_export.py and test_import.py)."""
    request_id = uuid.uuid4().hex[:16].upper()
    return f"S3{error.code}", (f"{error.message} (Service: Amazon S3; Status Code: {error.status}; "
                               f"Error Code: {error.code}; Request ID: {request_id}; Proxy: null)")


class TransfersMixin:
    """Schedules and runs the jobs; ExportsMixin and ImportsMixin supply _run_export and _run_import."""

    def _start_transfers(self) -> None:
        self.db.migrate(NAMESPACE, MIGRATIONS)
        self._transfer_futures: set[concurrent.futures.Future] = set()
        # (account, Region, table name) of every import IN_PROGRESS: on DynamoDB its table
        # exists, CREATING, from the moment ImportTable answers, so the name is taken.
        waiting = unfinished(self.db)
        self._import_targets: set[tuple[str, str, str]] = {
            (r["account"], r["region"], r["table_name"]) for r in waiting if r["kind"] == IMPORT}
        try:
            self._transfer_loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # built outside the server (unit tests): nothing runs jobs
            self._transfer_loop = None
        if self._transfer_loop is not None:
            for record in waiting:  # cut short by a stop or a kill: carried out again
                self._schedule_transfer(record)

    def _importing(self, account: str, region: str, name: str) -> bool:
        """Whether an import in progress is creating this table."""
        return (account, region, name) in self._import_targets

    def _schedule_transfer(self, record: dict[str, Any]) -> None:
        if self._transfer_loop is None:
            self._transfer_loop = asyncio.get_running_loop()
        arn, kind = record["arn"], record["kind"]
        delay = float(getattr(self.config, "dynamodb_transfer_seconds", 0.0) or 0.0)
        self.runtime.scheduler.at(record["started"] + delay, lambda now: self._hand_to_loop(arn, kind))

    def _hand_to_loop(self, arn: str, kind: str) -> None:
        """On the scheduler's thread: run the job on the event loop, without waiting for it."""
        loop = self._transfer_loop
        if loop is None or loop.is_closed():
            return
        run: Callable[[str], Coroutine[Any, Any, None]] = self._run_export if kind == EXPORT else self._run_import
        future = asyncio.run_coroutine_threadsafe(self._run_guarded(run, arn, kind), loop)
        self._transfer_futures.add(future)  # held until done: an unreferenced task may be collected
        future.add_done_callback(self._transfer_futures.discard)

    async def _run_guarded(self, run: Callable[[str], Coroutine[Any, Any, None]], arn: str, kind: str) -> None:
        try:
            await run(arn)
        except Exception as exc:  # a fault of ours: the record says so rather than staying IN_PROGRESS
            log.exception("DynamoDB %s %s failed", kind, arn)
            record = load(self.db, kind, arn)
            if record is not None and status_of(record) == "IN_PROGRESS":
                await self._finish_transfer(record, "FAILED", {"FailureCode": "InternalServerError",
                                                               "FailureMessage": str(exc) or type(exc).__name__})

    async def _finish_transfer(self, record: dict[str, Any], status: str, changes: dict[str, Any]) -> None:
        """Record the end of an export or import."""
        description = record["description"]
        description.update(changes)
        description["ExportStatus" if record["kind"] == EXPORT else "ImportStatus"] = status
        description.setdefault("EndTime", self._now())  # an export's is the one its manifest gives
        await self.db.write(lambda tx: save(tx, record))
        if record["kind"] == IMPORT:
            self._import_targets.discard((record["account"], record["region"], record["table_name"]))
