"""One poller per enabled mapping: reads each shard in order from its checkpoint, hands batches
to the function synchronously, and checkpoints durably after each batch it is done with.

- Batches hold up to BatchSize records; with MaximumBatchingWindowInSeconds the poller waits
  that long (from the first record it saw) for a batch to fill.
- It sleeps until its source says records arrived (no polling while idle).
- A function error blocks the shard: the batch is retried in order, with growing pauses, until
  MaximumRetryAttempts retries or MaximumRecordAgeInSeconds; then it is reported to the OnFailure
  destination and skipped. BisectBatchOnFunctionError halves a failing batch before its retry;
  with ReportBatchItemFailures the function names the records that failed and the retry starts
  at the lowest sequence number named (AWS, "Configuring partial batch response with DynamoDB
  and Lambda").
- Records FilterCriteria turns away are not delivered and count as processed.
- ParallelizationFactor runs several batches of a shard at once, split by item key
  (_poll_shard_concurrently); TumblingWindowInSeconds hands state from batch to batch of a window
  (windows.py).
- Delivery is at least once: a batch is acknowledged only after the function returned, so a
  crash in between delivers it again after the restart.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from overcast.protocol.errors import ServiceError
from overcast.services.lambda_.event_sources import filters
from overcast.services.lambda_.event_sources.mapping import OK, Mapping
from overcast.services.lambda_.event_sources.sources import EventSource, SourceGone, SourceRecord
from overcast.services.lambda_.event_sources.windows import Window, WindowStore, returned_state

if TYPE_CHECKING:
    from overcast.clock import Clock
    from overcast.services.internal import InternalClient
    from overcast.services.lambda_.event_sources.store import MappingStore

log = logging.getLogger("overcast.lambda.event_sources")

RETRY_PAUSE_S = 0.5  # the first pause before a failed batch is retried; doubled each time
RETRY_PAUSE_MAX_S = 10.0
MISSING_FUNCTION_PAUSE_S = 5.0  # a mapping whose function was deleted keeps trying, as Lambda does
SOURCE_ERROR_PAUSE_S = 5.0
IDLE_RECHECK_S = 300.0  # a safety net only: records wake the poller
MAX_PAYLOAD = 6 * 1024 * 1024  # a synchronous invocation's payload limit


@dataclass
class Outcome:
    """How the function took a batch."""
    failed: bool
    retry_from: int = 0  # with ReportBatchItemFailures: the index of the first record to retry
    function_error: str | None = None
    executed_version: str | None = None
    body: bytes = b""


class MappingPoller:
    def __init__(self, mapping: Mapping, source: EventSource, store: MappingStore, internal: InternalClient,
                 clock: Clock, report: Callable[[Mapping, str], Awaitable[None]], endpoint_url: str):
        self.mapping = mapping
        self.endpoint_url = endpoint_url  # where an SQS destination's queue URL points
        self.source = source
        self.store = store
        self.internal = internal
        self.clock = clock
        self.report = report  # records LastProcessingResult
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task | None = None
        self._unwatch: Callable[[], None] | None = None
        self.window_store = WindowStore(store.db)
        self._windows: dict[str, Window] = {}  # each shard's open tumbling window
        self._window_close_attempts: dict[str, int] = {}

    # -- life -----------------------------------------------------------------------------------

    def start(self) -> None:
        self._unwatch = self.source.watch(self._wake.set)
        self.clock.on_change(self._clock_moved)
        self._task = asyncio.get_running_loop().create_task(self._run())

    def _clock_moved(self) -> None:
        # A moved clock may age records past MaximumRecordAgeInSeconds: look again.
        task = self._task
        if task is not None and not task.done():
            task.get_loop().call_soon_threadsafe(self._wake.set)

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        """Stop after the batch in hand (a function already running is let finish, so the
        checkpoint says exactly what it was given)."""
        self._stopping = True
        self._wake.set()
        self._let_go()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=30)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()

    def cancel(self) -> None:
        self._stopping = True
        self._let_go()
        if self._task is not None:
            self._task.cancel()

    def _let_go(self) -> None:
        """Stop hearing of new records and of clock moves: a stopped poller must not be kept
        alive (nor woken) by the stream's watchers or the clock's listeners."""
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        self.clock.remove_listener(self._clock_moved)

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake at once for new records, a moved clock or stop()."""
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass

    # -- the loop -------------------------------------------------------------------------------

    async def _run(self) -> None:
        checkpoints = self.store.checkpoints(self.mapping.uuid)
        self._windows = self.window_store.load(self.mapping.uuid)
        while not self._stopping:
            self._wake.clear()
            try:
                shards = await self.source.shards()
                progressed = False
                for shard in shards:
                    if self._stopping:
                        break
                    # Records first: those of an ended window still go into it before it closes.
                    progressed = await self._poll_shard(shard, checkpoints) or progressed
                    progressed = await self._close_ended_window(shard) or progressed
            except SourceGone:
                await self._pause(IDLE_RECHECK_S)
                continue
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event source mapping %s could not read %s", self.mapping.uuid, self.source.arn)
                await self._pause(SOURCE_ERROR_PAUSE_S)
                continue
            if not progressed and not self._stopping:
                # An open tumbling window is closed when it ends (a moved clock wakes us too).
                until_window_end = min((w.end for w in self._windows.values()), default=float("inf")) \
                    - self.clock.time()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=max(0.05, min(IDLE_RECHECK_S, until_window_end)))
                except TimeoutError:
                    pass

    async def _poll_shard(self, shard: str, checkpoints: dict[str, str]) -> bool:
        batch_size = self.mapping.settings["BatchSize"]
        factor = self.mapping.settings["ParallelizationFactor"]
        if factor > 1 and not self.mapping.settings["TumblingWindowInSeconds"]:
            return await self._poll_shard_concurrently(shard, checkpoints, batch_size, factor)
        records = await self.source.read(shard, checkpoints.get(shard), batch_size)
        if not records:
            return False
        window = self.mapping.settings["MaximumBatchingWindowInSeconds"]
        if window and len(records) < batch_size:
            deadline = asyncio.get_running_loop().time() + window
            while len(records) < batch_size and not self._stopping:
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    break
                await self._pause(left)
                records = await self.source.read(shard, checkpoints.get(shard), batch_size)
        await self._process(shard, records, checkpoints)
        return True

    async def _poll_shard_concurrently(self, shard: str, checkpoints: dict[str, str], batch_size: int,
                                       factor: int) -> bool:
        """ParallelizationFactor: up to `factor` batches of one shard at once, each record going to
        the part its item key hashes to, so one item's changes stay in order (AWS, "Concurrent
        batches per shard"). The shard's checkpoint moves past a read once every part is done."""
        records = await self.source.read(shard, checkpoints.get(shard), batch_size * factor)
        if not records:
            return False
        parts: dict[int, list[SourceRecord]] = {}
        for record in records:
            parts.setdefault(self.source.ordering_key(record) % factor, []).append(record)
        await asyncio.gather(*(self._process(shard, part, checkpoints, checkpointing=False)
                               for part in parts.values()))
        if not self._stopping:
            await self._acknowledge(shard, records[-1], checkpoints)
        return True

    async def _acknowledge(self, shard: str, record: SourceRecord, checkpoints: dict[str, str],
                           window: Window | None = None) -> None:
        await self.store.save_checkpoint(self.mapping.uuid, shard, record.position, window)
        checkpoints[shard] = record.position

    async def _process(self, shard: str, records: list[SourceRecord], checkpoints: dict[str, str],
                       checkpointing: bool = True) -> None:
        """Deliver `records` (in order, in batches) until each is acknowledged or discarded; without
        `checkpointing` (one of several concurrent parts of a read) the caller checkpoints."""

        async def acknowledge(record: SourceRecord, window: Window | None = None) -> None:
            if checkpointing:
                await self._acknowledge(shard, record, checkpoints, window)

        pending = records
        attempts = 0  # failed invocations of the batch starting at pending[0]
        full = self.mapping.settings["BatchSize"]
        limit = full  # shrinks as BisectBatchOnFunctionError halves a failing batch
        while pending and not self._stopping:
            # Read afresh each round: an update (fewer retries, other filters) applies to a batch
            # already being retried.
            settings = self.mapping.settings
            patterns = [filters.parse_pattern(f["Pattern"])
                        for f in (settings.get("FilterCriteria") or {}).get("Filters") or []]
            max_age = settings["MaximumRecordAgeInSeconds"]
            if max_age != -1:
                expired = 0
                while expired < len(pending) and self.clock.time() - pending[expired].created > max_age:
                    expired += 1
                if expired:
                    await self._discard(shard, pending[:expired], "RecordAgeExceeded", attempts, None)
                    await acknowledge(pending[expired - 1])
                    pending, attempts, limit = pending[expired:], 0, full
                    continue
            window = None
            if settings["TumblingWindowInSeconds"]:
                window = Window.of(pending[0].created, settings["TumblingWindowInSeconds"])
                open_window = self._windows.get(shard)
                if open_window is not None and open_window.start != window.start:
                    if not await self._close_window(shard):
                        return  # read again once the last window is closed
                    open_window = None
                # A batch never spans two windows.
                same_window = 0
                while same_window < len(pending) and Window.of(pending[same_window].created,
                                                                window.length).start == window.start:
                    same_window += 1
                limit = min(limit, same_window)
                window = open_window or window
            batch = pending[:limit]
            delivered = [r for r in batch if filters.matches_any(patterns, r.event)]
            if not delivered:
                await acknowledge(batch[-1])
                pending, limit = pending[len(batch):], full
                continue
            events = [r.event for r in delivered]
            event = window.event(events, shard, self.source.arn, final=False) if window else {"Records": events}
            payload = json.dumps(event).encode()
            if len(payload) > MAX_PAYLOAD and len(batch) > 1:
                # Lambda hands over at most 6 MB at once: a smaller batch, not a failure.
                limit = max(1, len(batch) // 2)
                continue
            outcome = await self._invoke(payload, delivered)
            if outcome is None:  # throttled, or the function is missing: not the batch's fault
                continue
            if not outcome.failed:
                if window is not None:
                    window.state = returned_state(outcome.body) or {}
                    self._windows[shard] = window
                    if not checkpointing:  # not so today: windows are read one batch at a time
                        await self.window_store.save(self.mapping.uuid, shard, window)
                # The window's new state and the checkpoint past the batch are one write.
                await acknowledge(batch[-1], window)
                await self.report(self.mapping, OK)
                pending, attempts, limit = pending[len(batch):], 0, full
                continue
            attempts += 1
            if outcome.retry_from:
                # The records before the first one the function reported are done.
                done_through = delivered[outcome.retry_from - 1]
                cut = batch.index(done_through) + 1
                await acknowledge(batch[cut - 1])
                pending, limit = pending[cut:], max(1, len(batch) - cut)
            await self.report(self.mapping, "PROBLEM: Function call failed")
            retries = settings["MaximumRetryAttempts"]
            if retries != -1 and attempts > retries:
                failed = pending[:min(limit, len(batch))]
                await self._discard(shard, failed, "RetryAttemptsExhausted", attempts, outcome)
                await acknowledge(failed[-1])
                pending, attempts, limit = pending[len(failed):], 0, full
                continue
            if settings["BisectBatchOnFunctionError"] and len(batch) > 1 and not outcome.retry_from:
                limit = (len(batch) + 1) // 2
            await self._pause(min(RETRY_PAUSE_S * 2 ** (attempts - 1), RETRY_PAUSE_MAX_S))

    async def _invoke(self, payload: bytes, records: list[SourceRecord]) -> Outcome | None:
        mapping = self.mapping
        try:
            answer = await self.internal.call("lambda", "Invoke", {"FunctionName": mapping.function_arn,
                                                                   "Payload": payload},
                                              account_id=mapping.account, region=mapping.region)
        except ServiceError as error:
            if error.code == "TooManyRequestsException":
                await self._pause(1.0)
                return None
            if error.code == "ResourceNotFoundException":
                # Lambda's own words in LastProcessingResult (quoted by users: "PROBLEM: Function not
                # found: arn:...").
                await self.report(mapping, f"PROBLEM: Function not found: {mapping.function_arn}")
                await self._pause(MISSING_FUNCTION_PAUSE_S)
                return None
            log.warning("event source mapping %s: invoking %s failed: %s", mapping.uuid, mapping.function_arn, error)
            return Outcome(failed=True, function_error="Unhandled")
        body = answer.get("Payload") or b""
        function_error = answer.get("FunctionError")
        executed = answer.get("ExecutedVersion")
        if function_error:
            return Outcome(failed=True, function_error=function_error, executed_version=executed, body=body)
        if records and "ReportBatchItemFailures" in mapping.settings["FunctionResponseTypes"]:
            retry_from = _first_reported_failure(body, records)
            if retry_from is not None:
                return Outcome(failed=True, retry_from=retry_from, executed_version=executed, body=body)
        return Outcome(failed=False, executed_version=executed, body=body)

    async def _close_ended_window(self, shard: str) -> bool:
        window = self._windows.get(shard)
        if window is None or self.clock.time() < window.end:
            return False
        return await self._close_window(shard)

    async def _close_window(self, shard: str) -> bool:
        """The window's last invocation (isFinalInvokeForWindow, its final state); True once done
        or given up on after MaximumRetryAttempts."""
        window = self._windows[shard]
        payload = json.dumps(window.event([], shard, self.source.arn, final=True)).encode()
        outcome = await self._invoke(payload, [])
        if outcome is None:
            return False
        if outcome.failed:
            attempts = self._window_close_attempts.get(shard, 0) + 1
            self._window_close_attempts[shard] = attempts
            await self.report(self.mapping, "PROBLEM: Function call failed")
            retries = self.mapping.settings["MaximumRetryAttempts"]
            if retries == -1 or attempts <= retries:
                await self._pause(min(RETRY_PAUSE_S * 2 ** (attempts - 1), RETRY_PAUSE_MAX_S))
                return False
        self._window_close_attempts.pop(shard, None)
        del self._windows[shard]
        await self.window_store.save(self.mapping.uuid, shard, None)
        return True

    async def _discard(self, shard: str, records: list[SourceRecord], condition: str, attempts: int,
                       outcome: Outcome | None) -> None:
        """Skip records Lambda gives up on, telling the OnFailure destination what AWS tells it."""
        destination = (self.mapping.settings["DestinationConfig"].get("OnFailure") or {}).get("Destination")
        log.info("event source mapping %s skips %d record(s) of %s (%s)", self.mapping.uuid, len(records), shard,
                 condition)
        if not destination:
            return
        message: dict[str, Any] = {
            "requestContext": {"requestId": str(uuid.uuid4()), "functionArn": self.mapping.function_arn,
                               "condition": condition, "approximateInvokeCount": attempts},
        }
        if outcome is not None:
            response: dict[str, Any] = {"statusCode": 200, "executedVersion": outcome.executed_version or "$LATEST"}
            if outcome.function_error:
                response["functionError"] = outcome.function_error
            message["responseContext"] = response
        now = self.clock.time()
        message["version"] = "1.0"
        message["timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"
        message.update(self.source.failure_batch_info(shard, records))
        await self._send_failure(destination, json.dumps(message))

    async def _send_failure(self, destination: str, body: str) -> None:
        parts = destination.split(":")
        service = parts[2] if len(parts) > 5 else ""
        account = parts[4] or self.mapping.account
        region = parts[3] or self.mapping.region
        try:
            if service == "sqs":
                url = f"{self.endpoint_url}/{parts[4]}/{parts[5]}"
                await self.internal.call("sqs", "SendMessage", {"QueueUrl": url, "MessageBody": body},
                                         account_id=account, region=region)
                return
            if service == "sns":
                await self.internal.call("sns", "Publish", {"TopicArn": destination, "Message": body},
                                         account_id=account, region=region)
                return
        except ServiceError as error:
            log.warning("event source mapping %s: the on-failure record for %s was not delivered (%s): %s",
                        self.mapping.uuid, destination, error.code, body)
            return
        except Exception:  # a destination's trouble must never hold the shard
            log.exception("event source mapping %s: the on-failure record for %s was not delivered: %s",
                          self.mapping.uuid, destination, body)
            return
        log.warning("event source mapping %s: no destination service for %s; the on-failure record was: %s",
                    self.mapping.uuid, destination, body)


def _first_reported_failure(body: bytes, records: list[SourceRecord]) -> int | None:
    """The index of the first record to retry from a partial batch response, None when the batch
    succeeded, 0 when the whole batch counts as failed. As AWS documents it: no response, a null or
    empty batchItemFailures is success; an unreadable response, an itemIdentifier that is null,
    empty, missing or not in the batch fails the whole batch; otherwise the lowest sequence number
    reported is where the retry starts."""
    try:
        response = json.loads(body) if body else None
    except ValueError:
        return 0
    if not isinstance(response, dict):
        return None
    failures = response.get("batchItemFailures")
    if not failures:
        return None
    if not isinstance(failures, list):
        return 0
    positions = {r.position: i for i, r in enumerate(records)}
    indexes = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in positions:
            return 0
        indexes.append(positions[identifier])
    return min(indexes)
