"""One scheduler for all background work, reading time from the one clock.

Jobs run on a single background thread, so a job may block (database writes through
`Database.write_blocking`, file work). A periodic job runs every `interval` seconds of the
clock's time; moving the clock wakes the thread so due jobs run at once, and each job receives
the clock's current time so it can decide what has become due (expired TTLs, lifecycle rules).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable

from overcast.clock import Clock

log = logging.getLogger("overcast.scheduler")

Job = Callable[[float], None]


class Scheduler:
    def __init__(self, clock: Clock):
        self.clock = clock
        self._heap: list[tuple[float, int, Job, float | None]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        # Held while a job runs, so run_due (after a clock move) waits for a job already in
        # flight on the background thread instead of answering before it is done.
        self._job_lock = threading.Lock()
        # Bumped by every clock move: a periodic job that was running while the clock moved
        # saw the old time, so it is due again at once.
        self._generation = 0
        clock.on_change(self.wake)

    def every(self, interval: float, job: Job, *, first_in: float | None = None) -> None:
        """Run job(now) every `interval` clock-seconds (first after `first_in`, default interval)."""
        self._push(self.clock.time() + (interval if first_in is None else first_in), job, interval)

    def at(self, when: float, job: Job) -> None:
        """Run job(now) once when the clock reaches `when` (epoch seconds)."""
        self._push(when, job, None)

    def _push(self, when: float, job: Job, interval: float | None) -> None:
        with self._cond:
            heapq.heappush(self._heap, (when, next(self._seq), job, interval))
            self._cond.notify()
        self._ensure_thread()

    def wake(self) -> None:
        """Re-check what is due now (called when the clock moves)."""
        with self._cond:
            self._generation += 1
            # A moved clock may make periodic jobs due at once: pull them forward.
            now = self.clock.time()
            self._heap = [(min(when, now) if interval else when, seq, job, interval)
                          for when, seq, job, interval in self._heap]
            heapq.heapify(self._heap)
            self._cond.notify()

    def run_due(self) -> None:
        """Run every job due now, on the calling thread (after a clock move, so the caller sees
        the effect). A job in flight on the background thread is waited for first."""
        while not self._run_next_due():
            pass

    def _run_next_due(self) -> bool:
        """Pop and run one due job; True when none was due. Popping happens under the job lock,
        so whoever holds it is the only one running jobs."""
        with self._job_lock:
            with self._cond:
                if self._stopping or not self._heap or self._heap[0][0] > self.clock.time():
                    return True
                _, _, job, interval = heapq.heappop(self._heap)
                generation = self._generation
            now = self.clock.time()
            try:
                job(now)
            except Exception:  # a failing job must not stop the others
                log.exception("background job %r failed", job)
        if interval is not None:
            with self._cond:
                # A periodic job that ran while the clock moved saw the old time: due again now.
                moved = self._generation != generation
                when = self.clock.time() if moved else self.clock.time() + interval
                heapq.heappush(self._heap, (when, next(self._seq), job, interval))
                self._cond.notify()
        return False

    def _ensure_thread(self) -> None:
        if self._thread is None and not self._stopping:
            self._thread = threading.Thread(target=self._loop, name="overcast-scheduler", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopping:
                    if self._heap:
                        delay = self._heap[0][0] - self.clock.time()
                        if delay <= 0:
                            break
                        self._cond.wait(timeout=min(delay, 1.0))
                    else:
                        self._cond.wait(timeout=1.0)
                if self._stopping:
                    return
            self._run_next_due()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=5)
