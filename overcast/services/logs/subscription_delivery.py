"""Subscription filters' events on their way to Lambda: the outbox (logs_deliveries) that
PutLogEvents writes in its own transaction, and the loop that empties it.

What Lambda receives is what the User Guide's Lambda example shows: {"awslogs": {"data": ...}},
the data being base64 of gzip of {"messageType": "DATA_MESSAGE", "owner", "logGroup",
"logStream", "subscriptionFilters": [name], "logEvents": [{"id", "timestamp", "message"}],
"policyLevel": "LOG_GROUP_LEVEL"}. One message carries one PutLogEvents batch's matching events
of one stream for one filter (split when it would not fit Lambda's asynchronous payload).

A message leaves the outbox once Lambda has taken it through its asynchronous invoke (itself a
durable queue with retries), in order per log stream: delivery is at least once and survives a
restart, as S3's event notifications are (s3/event_delivery.py, whose loop this follows; that one
is bound to S3's own outbox table and its records' ordering keys).
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from overcast.protocol.errors import ServiceError
from overcast.services.outbox_delivery import OutboxDelivery

if TYPE_CHECKING:
    from overcast.services.internal import InternalClient
    from overcast.services.logs.subscription_filters import Subscription
    from overcast.storage.interface import Database, Tx

log = logging.getLogger("overcast.logs.subscriptions")

BATCH = 100
# A message's JSON before compression: gzip and base64 keep even incompressible text under
# Lambda's 1 MiB asynchronous payload (4/3 of 700 KB plus the envelope).
MAX_MESSAGE_BYTES = 700_000
MAX_INVOKE_PAYLOAD = 1024 * 1024


class Outbox:
    """The deliveries PutLogEvents has acknowledged and Lambda has not taken yet."""

    def __init__(self, db: Database):
        self.db = db
        # The delivery loop's wake-up, called from the committing thread once a delivery is durable.
        self.on_enqueued: Callable[[], None] | None = None

    def tx_enqueue(self, tx: Tx, account: str, region: str, group: str, stream: str,
                   subscriptions: Sequence[Subscription], events: Sequence[tuple[int, int, str]]) -> None:
        """Queue, inside PutLogEvents' transaction, each filter's share of the batch's stored
        events, given as (sequence, timestamp, message)."""
        rows = []
        for subscription in subscriptions:
            matched = [{"id": f"{seq:056d}", "timestamp": ts, "message": message}
                       for seq, ts, message in events if subscription.matches(message)]
            for chunk in _messages(account, group, stream, subscription.name, matched):
                rows.append((account, region, subscription.destination, f"logs:{group}/{stream}", chunk))
        if not rows:
            return
        tx.executemany("INSERT INTO logs_deliveries (account, region, destination, ordering_key, payload) "
                       "VALUES (?, ?, ?, ?, ?)", rows)
        if self.on_enqueued is not None:
            tx.after_commit(self.on_enqueued)

    def pending(self, limit: int) -> list[tuple[int, str, str, str, str, str]]:
        return self.db.fetchall("SELECT id, account, region, destination, ordering_key, payload FROM logs_deliveries "
                                "ORDER BY id LIMIT ?", (limit,))

    async def acknowledge(self, ids: list[int]) -> None:
        def write(tx: Tx) -> None:
            tx.executemany("DELETE FROM logs_deliveries WHERE id = ?", [(i,) for i in ids])

        await self.db.write(write)


def _messages(owner: str, group: str, stream: str, filter_name: str, events: list[dict[str, Any]]) -> list[str]:
    """The DATA_MESSAGE documents (JSON) carrying `events`, halved until each fits."""
    if not events:
        return []
    document = json.dumps({"messageType": "DATA_MESSAGE", "owner": owner, "logGroup": group, "logStream": stream,
                           "subscriptionFilters": [filter_name], "logEvents": events,
                           "policyLevel": "LOG_GROUP_LEVEL"}, ensure_ascii=False)
    if len(events) == 1 or len(document.encode()) <= MAX_MESSAGE_BYTES:
        return [document]
    half = len(events) // 2
    return _messages(owner, group, stream, filter_name, events[:half]) + _messages(
        owner, group, stream, filter_name, events[half:])


def lambda_event(document: str) -> bytes:
    """What the function is invoked with: the message gzipped and base64-encoded under awslogs.data."""
    data = base64.b64encode(gzip.compress(document.encode())).decode()
    return json.dumps({"awslogs": {"data": data}}).encode()


class SubscriptionDelivery(OutboxDelivery):
    log = log

    def __init__(self, outbox: Outbox, internal: InternalClient):
        super().__init__(internal)
        self.outbox = outbox

    def attach(self, wake: Callable[[], None]) -> None:
        self.outbox.on_enqueued = wake

    def detach(self, wake: Callable[[], None]) -> None:
        self.outbox.on_enqueued = None

    async def deliver_pending(self) -> bool:
        """Deliver what is queued now; True when some delivery left the outbox."""
        done: list[int] = []
        # A stream whose message Lambda could not take holds back the stream's later ones.
        held: set[tuple[str, str]] = set()
        for delivery_id, account, region, destination, ordering_key, document in self.outbox.pending(BATCH):
            if (destination, ordering_key) in held:
                continue
            if await self._deliver(account, region, destination, ordering_key, document):
                done.append(delivery_id)
            else:
                held.add((destination, ordering_key))
        if done:
            await self.outbox.acknowledge(done)
        return bool(done)

    async def _deliver(self, account: str, region: str, destination: str, ordering_key: str, document: str) -> bool:
        payload = lambda_event(document)
        if len(payload) > MAX_INVOKE_PAYLOAD:
            log.warning("a log event for %s is too large to deliver even alone; dropped", destination)
            return True
        try:
            await self.internal.call(
                "lambda", "Invoke",
                {"FunctionName": destination, "InvocationType": "Event", "Payload": payload,
                 "OrderingKey": ordering_key},
                account_id=account, region=region)
        except ServiceError as error:
            if error.code == "ResourceNotFoundException":
                log.warning("log events for %s dropped: the function no longer exists", destination)
                return True
            log.info("log events for %s not delivered yet: %s", destination, error.code)
            return False
        return True
