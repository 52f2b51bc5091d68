"""The one clock and the scheduler that reads it."""

from __future__ import annotations

import threading
import time

from overcast.clock import Clock
from overcast.scheduler import Scheduler


def test_clock_moves_by_offset_and_resets():
    clock = Clock()
    start = clock.time()
    clock.advance(100)
    assert clock.time() >= start + 100
    clock.set(1_000_000_000)
    assert abs(clock.time() - 1_000_000_000) < 1
    clock.reset()
    assert abs(clock.time() - time.time()) < 1 and clock.offset == 0


def test_one_shot_job_runs_when_the_clock_is_moved_past_it():
    clock = Clock()
    scheduler = Scheduler(clock)
    seen: list[float] = []
    done = threading.Event()

    def job(now: float) -> None:
        seen.append(now)
        done.set()

    due = clock.time() + 3600
    scheduler.at(due, job)
    assert not done.wait(0.2)  # an hour away: nothing yet
    clock.advance(3601)
    assert done.wait(5)
    assert seen and seen[0] >= due
    scheduler.stop()


def test_periodic_job_is_pulled_forward_when_the_clock_jumps():
    clock = Clock()
    scheduler = Scheduler(clock)
    runs = []
    ran = threading.Event()

    def job(now: float) -> None:
        runs.append(now)
        ran.set()

    scheduler.every(600, job)
    assert not ran.wait(0.2)
    clock.advance(10)  # not yet 600 s, but a moved clock re-checks periodic jobs at once
    assert ran.wait(5)
    scheduler.stop()


def test_failing_job_does_not_stop_others():
    clock = Clock()
    scheduler = Scheduler(clock)
    ok = threading.Event()

    def bad(now: float) -> None:
        raise RuntimeError("boom")

    scheduler.at(clock.time() - 1, bad)
    scheduler.at(clock.time() - 1, lambda now: ok.set())
    assert ok.wait(5)
    scheduler.stop()
