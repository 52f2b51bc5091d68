"""Asynchronous invocation (InvocationType=Event): a durable queue, retries and destinations.

Each event is a row before Invoke answers 202, so queued events survive a restart. A worker
runs due events, retries function errors after 1 and then 2 minutes of Overcast's clock (as
Lambda does; tests move the clock), retries throttles without counting them, and ends each
event in the on-success / on-failure destination or the dead-letter queue.

In-process callers (S3 notifications) may pass "OrderingKey" with an Event invoke: events that
share a key and a function run one at a time in arrival order, retries included, so a key's
events are delivered in order (at least once).
"""

from __future__ import annotations

import asyncio
import base64
import heapq
import json
import logging
import time
import uuid
from typing import Any

from overcast.protocol.errors import ServiceError
from overcast.services.arns import arn_home
from overcast.services.lambda_.common import LATEST, LambdaBase
from overcast.services.lambda_.models import FunctionRecord
from overcast.services.lambda_.runtime.pool import Throttled

log = logging.getLogger("overcast.lambda")

RETRY_DELAYS_S = (60.0, 120.0)
THROTTLE_DELAY_S = 1.0
DEFAULT_RETRIES = 2
DEFAULT_MAX_AGE_S = 21600


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch * 1000) % 1000:03d}Z"


class AsyncInvokeOps(LambdaBase):
    run_invocation: Any  # InvokeOps.run_invocation

    def start_async_worker(self) -> None:
        self._due: list[tuple[float, str]] = []
        self._events: dict[str, dict[str, Any]] = {}
        # Ordered keys: (account, region, function, key) -> event ids, oldest first.
        self._ordered: dict[tuple, list[str]] = {}
        self._running: set[asyncio.Task] = set()
        self._wake_event: asyncio.Event | None = None
        self._worker: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        for event_id, due, doc in sorted(self.store.queued(), key=lambda q: q[2].get("created", 0)):
            self._events[event_id] = doc
            self._track_order(event_id, doc)
            heapq.heappush(self._due, (due, event_id))
        self.clock.on_change(self._clock_moved)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._events:
            self._ensure_worker()

    def stop_async_worker(self) -> None:
        worker: asyncio.Task | None = getattr(self, "_worker", None)  # absent if start never ran
        if worker is not None:
            worker.cancel()
        for task in list(getattr(self, "_running", ())):
            task.cancel()

    def _clock_moved(self) -> None:
        loop, wake = self._loop, self._wake_event
        if loop is not None and wake is not None:
            loop.call_soon_threadsafe(wake.set)

    def _ensure_worker(self) -> None:
        if self._worker is None or self._worker.done():
            self._loop = asyncio.get_running_loop()
            self._wake_event = asyncio.Event()
            self._worker = self._loop.create_task(self._work())

    @staticmethod
    def _order_key(doc: dict[str, Any]) -> tuple | None:
        key = doc.get("ordering_key")
        return (doc["account"], doc["region"], doc["name"], key) if key else None

    def _track_order(self, event_id: str, doc: dict[str, Any]) -> None:
        key = self._order_key(doc)
        if key is not None:
            self._ordered.setdefault(key, []).append(event_id)

    def _blocked(self, event_id: str) -> bool:
        """An ordered event waits while an older event with its key is still unfinished."""
        key = self._order_key(self._events[event_id])
        return key is not None and self._ordered.get(key, [event_id])[0] != event_id

    async def enqueue_async(self, record: FunctionRecord, qualifier: str | None, payload: bytes,
                            request_id: str | None = None, ordering_key: str | None = None) -> None:
        event_id = str(uuid.uuid4())
        now = self.clock.time()
        doc = {"account": record.account, "region": record.region, "name": record.name,
               "qualifier": qualifier, "payload": base64.b64encode(payload).decode(),
               "request_id": request_id or str(uuid.uuid4()), "attempts": 0, "created": now}
        if ordering_key:
            doc["ordering_key"] = ordering_key
        await self.store.enqueue(event_id, now, doc)
        self._events[event_id] = doc
        self._track_order(event_id, doc)
        heapq.heappush(self._due, (now, event_id))
        self._ensure_worker()
        assert self._wake_event is not None
        self._wake_event.set()

    async def _work(self) -> None:
        assert self._wake_event is not None
        while True:
            now = self.clock.time()
            blocked = []
            while self._due and self._due[0][0] <= now:
                entry = heapq.heappop(self._due)
                event_id = entry[1]
                if event_id in self._events and self._blocked(event_id):
                    blocked.append(entry)  # runs when the older event of its key is done
                    continue
                if event_id in self._events:
                    task = asyncio.create_task(self._run_event(event_id))
                    self._running.add(task)
                    task.add_done_callback(self._running.discard)
            for entry in blocked:
                heapq.heappush(self._due, entry)
            self._wake_event.clear()
            ready = [when for when, event_id in self._due if when > now or event_id not in self._events
                     or not self._blocked(event_id)]
            delay = (min(ready) - now) if ready else 3600.0
            try:
                await asyncio.wait_for(self._wake_event.wait(), timeout=max(0.01, min(delay, 3600.0)))
            except TimeoutError:
                pass

    async def _reschedule(self, event_id: str, doc: dict[str, Any], delay: float) -> None:
        due = self.clock.time() + delay
        await self.store.enqueue(event_id, due, doc)
        heapq.heappush(self._due, (due, event_id))
        if self._wake_event is not None:
            self._wake_event.set()

    async def _finish(self, event_id: str) -> None:
        doc = self._events.pop(event_id, None)
        await self.store.dequeue(event_id)
        key = self._order_key(doc) if doc else None
        if key is not None and event_id in self._ordered.get(key, []):
            self._ordered[key].remove(event_id)
            if not self._ordered[key]:
                del self._ordered[key]
            if self._wake_event is not None:
                self._wake_event.set()

    async def _run_event(self, event_id: str) -> None:
        doc = self._events[event_id]
        record = self.store.get(doc["account"], doc["region"], doc["name"])
        if record is None:
            await self._finish(event_id)
            return
        qualifier = doc.get("qualifier")
        eic = record.event_invoke_configs.get(qualifier or LATEST, {})
        max_retries = eic.get("MaximumRetryAttempts", DEFAULT_RETRIES)
        max_age = eic.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE_S)
        payload = base64.b64decode(doc["payload"])
        if self.clock.time() - doc["created"] > max_age:
            await self._deliver_failure(record, qualifier, doc, payload, None, "EventAgeExceeded")
            await self._finish(event_id)
            return
        try:
            version = self.resolve_version(record, qualifier, for_invoke=True)
            qualified = f"{record.arn}:{qualifier}" if qualifier else record.arn
            result = await self.run_invocation(record, version, payload, request_id=doc["request_id"],
                                               qualified_arn=qualified)
        except Throttled:
            await self._reschedule(event_id, doc, THROTTLE_DELAY_S)
            return
        except ServiceError as e:
            log.warning("async invoke of %s failed: %s", record.name, e)
            await self._finish(event_id)
            return
        except Exception:
            # Never leave an event half-run: an ordered key would wait on it forever.
            log.exception("async invoke of %s failed", record.name)
            await self._finish(event_id)
            return
        doc["attempts"] += 1
        if result.function_error is None:
            await self._deliver(record, qualifier, eic, "OnSuccess", doc, payload, result, version, "Success")
            await self._finish(event_id)
            return
        if doc["attempts"] <= max_retries:
            await self._reschedule(event_id, doc, RETRY_DELAYS_S[min(doc["attempts"] - 1, len(RETRY_DELAYS_S) - 1)])
            return
        await self._deliver_failure(record, qualifier, doc, payload, (result, version), "RetriesExhausted")
        await self._finish(event_id)

    async def _deliver_failure(self, record: FunctionRecord, qualifier: str | None, doc: dict[str, Any],
                               payload: bytes, outcome: tuple | None, condition: str) -> None:
        eic = record.event_invoke_configs.get(qualifier or LATEST, {})
        result, version = outcome if outcome else (None, None)
        if ((eic.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination"):
            await self._deliver(record, qualifier, eic, "OnFailure", doc, payload, result, version, condition)
            return
        dlq = (record.config.get("DeadLetterConfig") or {}).get("TargetArn")
        if dlq:
            await self._send(record, dlq, payload.decode("utf-8", "replace"), dead_letter=True)

    async def _deliver(self, record: FunctionRecord, qualifier: str | None, eic: dict[str, Any], kind: str,
                       doc: dict[str, Any], payload: bytes, result: Any, version: str | None,
                       condition: str) -> None:
        target = (((eic.get("DestinationConfig") or {}).get(kind)) or {}).get("Destination")
        if not target:
            return
        try:
            request_payload = json.loads(payload) if payload else {}
        except ValueError:
            request_payload = payload.decode("utf-8", "replace")
        message: dict[str, Any] = {
            "version": "1.0", "timestamp": _iso(self.clock.time()),
            "requestContext": {"requestId": doc["request_id"],
                               "functionArn": f"{record.arn}:{qualifier or LATEST}",
                               "condition": condition, "approximateInvokeCount": doc["attempts"]},
            "requestPayload": request_payload,
        }
        if result is not None:
            response: dict[str, Any] = {"statusCode": 200, "executedVersion": version}
            if result.function_error:
                response["functionError"] = result.function_error
            message["responseContext"] = response
            try:
                message["responsePayload"] = json.loads(result.payload) if result.payload else None
            except ValueError:
                message["responsePayload"] = result.payload.decode("utf-8", "replace")
        await self._send(record, target, json.dumps(message), kind=kind)

    async def _send(self, record: FunctionRecord, arn: str, body: str, kind: str = "OnFailure",
                    dead_letter: bool = False) -> None:
        parts = arn.split(":")
        service = parts[2] if len(parts) > 5 else ""
        account, region = arn_home(arn, record.account, record.region)
        try:
            if service == "lambda":
                await self.runtime.internal.call("lambda", "Invoke", {
                    "FunctionName": arn, "InvocationType": "Event", "Payload": body.encode()},
                    account_id=account, region=region)
            elif service == "sqs":
                url = f"{self.config.endpoint_url}/{parts[4]}/{parts[5]}"
                await self.runtime.internal.call("sqs", "SendMessage", {"QueueUrl": url, "MessageBody": body},
                                                 account_id=account, region=region)
            elif service == "sns":
                await self.runtime.internal.call("sns", "Publish", {"TopicArn": arn, "Message": body},
                                                 account_id=account, region=region)
            elif service == "events":
                detail = ("Lambda Function Invocation Result - Success" if kind == "OnSuccess"
                          else "Lambda Function Invocation Result - Failure")
                await self.runtime.internal.call("events", "PutEvents", {"Entries": [{
                    "Source": "lambda", "DetailType": detail, "Detail": body, "EventBusName": arn,
                    "Resources": [record.arn]}]}, account_id=account, region=region)
            else:
                log.warning("unsupported destination %s for %s", arn, record.name)
        except ServiceError as e:
            log.warning("could not deliver %s of %s to %s: %s", "dead letter" if dead_letter else kind,
                        record.name, arn, e)
