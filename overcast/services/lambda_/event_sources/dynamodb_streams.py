"""DynamoDB Streams as an event source: records read through the DynamoDB Streams API (the
in-process client), turned into the records Lambda hands functions.

Lambda's form of a stream record differs from GetRecords' in two places: ApproximateCreationDateTime
is epoch seconds, not a timestamp, and the record names its stream (eventSourceARN); a TTL deletion's
userIdentity has lower-case keys ({"type", "principalId"}). Shapes from LocalStack's AWS-validated
test_lambda_integration_dynamodbstreams snapshots and AWS's "Using AWS Lambda with Amazon DynamoDB".

The DynamoDB side calls `streams.on_record_appended` once a record is durable, so pollers sleep
until there is something to read instead of polling.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import zlib
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from overcast.protocol.errors import ServiceError
from overcast.services.dynamodb import streams
from overcast.services.lambda_.event_sources.sources import SourceGone, SourceRecord

if TYPE_CHECKING:
    from overcast.services.internal import InternalClient
    from overcast.storage.interface import Database

# GetRecords answers at most 1,000 records a call; larger batches take several calls.
GET_RECORDS_LIMIT = 1000


class _Watchers:
    """Stream ARN -> the wake-ups of the pollers reading it, called from whichever thread committed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_stream: dict[str, list[tuple[asyncio.AbstractEventLoop, Callable[[], None]]]] = {}
        # Streams whose wake-ups are scheduled and not yet run: a transaction of many items (one
        # after_commit each) wakes each poller once, not once per record.
        self._pending: set[str] = set()

    def add(self, stream_arn: str, wake: Callable[[], None]) -> Callable[[], None]:
        entry = (asyncio.get_running_loop(), wake)
        with self._lock:
            self._by_stream.setdefault(stream_arn, []).append(entry)
            streams.on_record_appended = self.notify
            streams.watched_streams = frozenset(self._by_stream)

        def remove() -> None:
            with self._lock:
                entries = self._by_stream.get(stream_arn, [])
                if entry in entries:
                    entries.remove(entry)
                if not entries:
                    self._by_stream.pop(stream_arn, None)
                # A stream no poller waits on goes back to costing its writers nothing.
                streams.watched_streams = frozenset(self._by_stream)
        return remove

    def notify(self, stream_arn: str) -> None:
        with self._lock:
            if stream_arn in self._pending:
                return
            entries = list(self._by_stream.get(stream_arn, ()))
            if entries:
                self._pending.add(stream_arn)
        for loop, wake in entries:
            try:
                loop.call_soon_threadsafe(self._wake, stream_arn, wake)
            except RuntimeError:  # that loop is closed: its poller is gone
                with self._lock:
                    self._pending.discard(stream_arn)

    def _wake(self, stream_arn: str, wake: Callable[[], None]) -> None:
        # Cleared before waking: a record appended from here on schedules a wake-up of its own.
        with self._lock:
            self._pending.discard(stream_arn)
        wake()


WATCHERS = _Watchers()


def _lower_identity(identity: dict[str, Any]) -> dict[str, Any]:
    return {"type": identity.get("Type"), "principalId": identity.get("PrincipalId")}


def _epoch(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


class DynamoDBStreamSource:
    def __init__(self, arn: str, internal: InternalClient, db: Database, account: str, region: str):
        self.arn = arn
        self.internal = internal
        self.db = db
        self._shards: list[str] | None = None
        # A stream is read in its own account and Region, as its ARN names them.
        parts = arn.split(":")
        self.account = parts[4] if len(parts) > 5 and parts[4] else account
        self.region = parts[3] if len(parts) > 5 and parts[3] else region

    async def _call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        return await self.internal.call("dynamodbstreams", operation, params,
                                        account_id=self.account, region=self.region)

    async def _describe(self) -> dict[str, Any]:
        try:
            return (await self._call("DescribeStream", {"StreamArn": self.arn}))["StreamDescription"]
        except ServiceError as error:
            if error.code in ("ResourceNotFoundException", "ValidationException"):
                raise SourceGone(self.arn) from None
            raise

    async def check_exists(self) -> bool:
        try:
            await self._describe()
        except SourceGone:
            return False
        return True

    async def shards(self) -> list[str]:
        # A DynamoDB stream in Overcast keeps its one shard for life: asked once per poller.
        if self._shards is None:
            self._shards = [shard["ShardId"] for shard in (await self._describe())["Shards"]]
        return self._shards

    async def latest_positions(self) -> dict[str, str]:
        positions = {}
        for shard in await self.shards():
            # The newest sequence number, records trimmed included: one indexed lookup instead of
            # reading the whole shard through GetRecords to find its end.
            last = streams.last_sequence(self.db, self.arn)
            positions[shard] = f"{last:021d}"
        return positions

    async def read(self, shard: str, after: str | None, limit: int) -> list[SourceRecord]:
        params: dict[str, Any] = {"StreamArn": self.arn, "ShardId": shard}
        if after is None:
            params["ShardIteratorType"] = "TRIM_HORIZON"
        else:
            params.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=after)
        try:
            iterator = (await self._call("GetShardIterator", params))["ShardIterator"]
        except ServiceError as error:
            if error.code == "TrimmedDataAccessException":
                # The checkpoint's records are past retention: go on from the oldest kept, as
                # Lambda does once records expire.
                iterator = (await self._call("GetShardIterator", {
                    "StreamArn": self.arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}))["ShardIterator"]
            elif error.code == "ResourceNotFoundException":
                raise SourceGone(self.arn) from None
            else:
                raise
        records: list[SourceRecord] = []
        while iterator and len(records) < limit:
            wanted = min(GET_RECORDS_LIMIT, limit - len(records))
            page = await self._call("GetRecords", {"ShardIterator": iterator, "Limit": wanted})
            records.extend(self._lambda_record(record) for record in page["Records"])
            if len(page["Records"]) < wanted:
                break  # the shard's end for now
            iterator = page.get("NextShardIterator")
        return records

    def _lambda_record(self, record: dict[str, Any]) -> SourceRecord:
        body = dict(record["dynamodb"])
        created = _epoch(body["ApproximateCreationDateTime"])
        body["ApproximateCreationDateTime"] = int(created)
        event: dict[str, Any] = {
            "eventID": record["eventID"],
            "eventName": record["eventName"],
            "eventVersion": record["eventVersion"],
            "eventSource": record["eventSource"],
            "awsRegion": record["awsRegion"],
            "dynamodb": body,
            "eventSourceARN": self.arn,
        }
        if record.get("userIdentity"):
            event["userIdentity"] = _lower_identity(record["userIdentity"])
        return SourceRecord(position=body["SequenceNumber"], created=created, event=event)

    def ordering_key(self, record: SourceRecord) -> int:
        # An item's changes stay in order: its key (partition and sort) decides its part.
        return zlib.crc32(json.dumps(record.event["dynamodb"]["Keys"], sort_keys=True).encode())

    def watch(self, wake: Callable[[], None]) -> Callable[[], None]:
        return WATCHERS.add(self.arn, wake)

    def failure_batch_info(self, shard: str, records: list[SourceRecord]) -> dict[str, Any]:
        def iso(epoch: float) -> str:
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
        # The shape of LocalStack's AWS-validated on-failure destination snapshot (2025-10-13).
        return {"DDBStreamBatchInfo": {
            "shardId": shard,
            "startSequenceNumber": records[0].position,
            "endSequenceNumber": records[-1].position,
            "approximateArrivalOfFirstRecord": iso(records[0].created),
            "approximateArrivalOfLastRecord": iso(records[-1].created),
            "batchSize": len(records),
            "streamArn": self.arn,
        }}
