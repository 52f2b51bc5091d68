"""Delivers S3 event notifications from the durable outbox (s3_events) to their destinations.

A record leaves the outbox only once its destination has taken it: a Lambda function through
Lambda's asynchronous invoke (itself a durable queue with retries), in order per object key.
Delivery is therefore at-least-once and survives a restart. Destinations whose service Overcast
does not have yet (SQS, SNS, EventBridge) stay queued and are retried now and then, so they are
delivered once the service exists.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from overcast.protocol.errors import ServiceError
from overcast.services.arns import arn_home
from overcast.services.outbox_delivery import OutboxDelivery
from overcast.services.s3.upload_store import EventStore

if TYPE_CHECKING:
    from overcast.services.internal import InternalClient

log = logging.getLogger("overcast.s3.events")

BATCH = 100


class EventDelivery(OutboxDelivery):
    log = log

    def __init__(self, events: EventStore, internal: InternalClient):
        super().__init__(internal)
        self.events = events

    def attach(self, wake: Callable[[], None]) -> None:
        EventStore.on_enqueued = wake

    def detach(self, wake: Callable[[], None]) -> None:
        if EventStore.on_enqueued == wake:
            EventStore.on_enqueued = None

    async def deliver_pending(self) -> bool:
        """Deliver what is queued now; True when some record left the outbox."""
        # Only Lambda can take events today; other destinations wait without blocking these.
        pending = self.events.pending(BATCH, destination_prefix="arn:aws:lambda:")
        delivered: list[str] = []
        for event_id, destination, payload in pending:
            if await self._deliver(destination, payload):
                delivered.append(event_id)
        if delivered:
            await self.events.acknowledge(delivered)
        return bool(delivered)

    async def _deliver(self, destination: str, payload: str) -> bool:
        if not destination.startswith("arn:aws:lambda:"):
            return False  # SQS, SNS and EventBridge destinations wait for their services
        account, region = arn_home(destination, None, None)
        try:
            await self.internal.call(
                "lambda", "Invoke",
                {"FunctionName": destination, "InvocationType": "Event", "Payload": payload.encode(),
                 "OrderingKey": _ordering_key(payload)},
                account_id=account, region=region,
            )
        except ServiceError as error:
            if error.code == "ResourceNotFoundException":
                log.warning("S3 event for %s dropped: the function no longer exists", destination)
                return True  # as AWS: nothing left to deliver to
            log.info("S3 event for %s not delivered yet: %s", destination, error.code)
            return False
        return True


def _ordering_key(payload: str) -> str:
    """Events for one object run in order: bucket/key of the record."""
    try:
        record = json.loads(payload)["Records"][0]["s3"]
        return f"{record['bucket']['name']}/{record['object']['key']}"
    except (ValueError, KeyError, IndexError, TypeError):
        return ""
