"""What the poller needs from an event source. DynamoDB Streams is the first adapter
(dynamodb_streams.py); Kinesis and SQS become others with the same few methods."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass
class SourceRecord:
    position: str  # the record's sequence number: a checkpoint at it resumes after it
    created: float  # epoch seconds the record entered the source (its age for MaximumRecordAgeInSeconds)
    event: dict[str, Any]  # the record as Lambda hands it to the function


class SourceGone(Exception):
    """The source (its stream) no longer exists."""


class EventSource(Protocol):
    arn: str

    async def check_exists(self) -> bool:
        """Whether the source exists (CreateEventSourceMapping refuses a missing one)."""

    async def shards(self) -> list[str]:
        """The shards to read, each in order on its own."""

    async def latest_positions(self) -> dict[str, str]:
        """Per shard, the position of its newest record: StartingPosition LATEST resumes after it."""

    async def read(self, shard: str, after: str | None, limit: int) -> list[SourceRecord]:
        """Up to `limit` records of the shard after `after` (None: from the oldest kept)."""

    def ordering_key(self, record: SourceRecord) -> int:
        """A stable number for what must stay in order within a shard (an item's key, a
        partition key): ParallelizationFactor spreads records over parts by it."""

    def watch(self, wake: Callable[[], None]) -> Callable[[], None]:
        """Call `wake` (on the event loop) when the source gains records; returns the unwatch."""

    def failure_batch_info(self, shard: str, records: list[SourceRecord]) -> dict[str, Any]:
        """What an OnFailure destination is told about a discarded batch, under its source's key."""
