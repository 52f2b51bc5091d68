"""Function log lines into CloudWatch Logs (/aws/lambda/<name>), off the invoke path.

Environments hand their lines over without waiting; one background task batches them into
PutLogEvents calls through the internal client, creating groups and streams on first use.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from overcast.protocol.errors import ServiceError
from overcast.services.lambda_.runtime.spec import FunctionSpec

if TYPE_CHECKING:
    from overcast.clock import Clock
    from overcast.services.internal import InternalClient

log = logging.getLogger("overcast.lambda")

# Logs keeps at most this many events per PutLogEvents call.
BATCH = 10000


class LogShipper:
    def __init__(self, internal: InternalClient, clock: Clock):
        self.internal = internal
        self.clock = clock
        self._queue: dict[tuple[str, str, str, str], list[tuple[int, str]]] = defaultdict(list)
        self._known_groups: set[tuple[str, str, str]] = set()
        self._known_streams: set[tuple[str, str, str, str]] = set()
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._idle: asyncio.Event | None = None

    def time(self) -> float:
        return self.clock.time()

    def write(self, spec: FunctionSpec, stream: str, events: list[tuple[int, str]]) -> None:
        key = (spec.account_id, spec.region, spec.log_group_name, stream)
        if self._task is None or self._task.done():
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return  # shutting down outside the loop: nowhere to deliver to
            self._wake = asyncio.Event()
            self._idle = asyncio.Event()
            self._task = loop.create_task(self._run())
        self._queue[key].extend(events)
        assert self._wake is not None and self._idle is not None
        self._idle.clear()
        self._wake.set()

    async def drain(self) -> None:
        """Wait until every line handed over so far is stored (tests, shutdown)."""
        if self._idle is not None and self._task is not None and not self._task.done():
            await self._idle.wait()

    async def _run(self) -> None:
        assert self._wake is not None and self._idle is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                key, events = self._queue.popitem()
                try:
                    await self._ship(key, events)
                except Exception:
                    log.exception("could not store function logs in %s", key[2])
            self._idle.set()

    async def _ensure(self, account: str, region: str, group: str, stream: str) -> None:
        if (account, region, group) not in self._known_groups:
            await self._create("CreateLogGroup", {"logGroupName": group}, account, region)
            self._known_groups.add((account, region, group))
        if (account, region, group, stream) not in self._known_streams:
            await self._create("CreateLogStream", {"logGroupName": group, "logStreamName": stream}, account, region)
            self._known_streams.add((account, region, group, stream))

    async def _create(self, operation: str, params: dict[str, Any], account: str, region: str) -> None:
        """Create a log group or stream; one that exists already (made by anyone) will do."""
        try:
            await self.internal.call("logs", operation, params, account_id=account, region=region)
        except ServiceError as e:
            if e.code != "ResourceAlreadyExistsException":
                raise

    async def _ship(self, key: tuple[str, str, str, str], events: list[tuple[int, str]]) -> None:
        account, region, group, stream = key
        await self._ensure(account, region, group, stream)
        # In time order, as PutLogEvents wants a batch: lines are stamped on Overcast's clock,
        # which may be moved back between two of them. (Stable: equal stamps keep their order.)
        events = sorted(events, key=lambda event: event[0])
        for start in range(0, len(events), BATCH):
            batch = [{"timestamp": ts, "message": message} for ts, message in events[start:start + BATCH]]
            try:
                await self.internal.call("logs", "PutLogEvents",
                                         {"logGroupName": group, "logStreamName": stream, "logEvents": batch},
                                         account_id=account, region=region)
            except ServiceError as e:
                if e.code != "ResourceNotFoundException":
                    raise
                # The group was deleted meanwhile (DeleteLogGroup): recreate it, as Lambda does.
                self._known_groups.discard((account, region, group))
                self._known_streams.discard(key)
                await self._ensure(account, region, group, stream)
                await self.internal.call("logs", "PutLogEvents",
                                         {"logGroupName": group, "logStreamName": stream, "logEvents": batch},
                                         account_id=account, region=region)
