"""The one clock that every time-driven feature reads (TTL, lifecycle, schedules, retries).

Real time plus an offset that tests and users move through /_overcast/clock. Moving it wakes
the scheduler so that whatever became due runs at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Clock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def time(self) -> float:
        """Seconds since the epoch, as Overcast sees them."""
        return time.time() + self._offset

    @property
    def offset(self) -> float:
        return self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += float(seconds)
        self._notify()

    def set(self, epoch_seconds: float) -> None:
        with self._lock:
            self._offset = float(epoch_seconds) - time.time()
        self._notify()

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
        self._notify()

    def on_change(self, listener: Callable[[], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[], None]) -> None:
        """Stop telling `listener` (something short-lived, such as an event source mapping's
        poller, that must not be kept alive and called after it is gone)."""
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    @property
    def listener_count(self) -> int:
        return len(self._listeners)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    def describe(self) -> dict[str, float | str]:
        now = self.time()
        return {
            "now": now,
            "iso": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
            "offset": self._offset,
        }
