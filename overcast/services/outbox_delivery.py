"""The loop that empties a durable outbox into other services: S3's event notifications and
CloudWatch Logs' subscription deliveries both write what they owe to a table in the same
transaction as the change, and a loop like this one hands it on and only then removes it.

It runs on the server's event loop, wakes when a commit enqueues something (from whichever
thread committed it) and otherwise rechecks now and then, so that destinations that could not
take a delivery are retried without a busy loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from overcast.services.internal import InternalClient

IDLE_RECHECK = 30.0  # seconds between retries of deliveries a destination could not take


class OutboxDelivery:
    """Subclasses say what to deliver (deliver_pending) and how the outbox calls them when
    something is enqueued (attach/detach)."""

    log: logging.Logger

    def __init__(self, internal: InternalClient):
        self.internal = internal
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()  # RuntimeError outside a loop: nothing to deliver
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self.attach(self.wake_threadsafe)
        self._task = self._loop.create_task(self._run())

    def stop(self) -> None:
        self.detach(self.wake_threadsafe)
        if self._task is not None:
            self._task.cancel()

    def attach(self, wake: Callable[[], None]) -> None:
        raise NotImplementedError

    def detach(self, wake: Callable[[], None]) -> None:
        raise NotImplementedError

    async def deliver_pending(self) -> bool:
        """Deliver what is queued now; True when something left the outbox."""
        raise NotImplementedError

    def wake_threadsafe(self) -> None:
        self._loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        while True:
            try:
                progressed = await self.deliver_pending()
            except Exception:
                self.log.exception("delivering from the outbox failed")
                progressed = False
            if progressed:
                continue
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=IDLE_RECHECK)
            except TimeoutError:
                pass
