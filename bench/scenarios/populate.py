"""Filling a big bucket or table as fast as the server allows, bounded in count and in time.

Requests are made chunk by chunk (never all held at once) and replayed once each by the load
generator's 16 connections; only 2xx answers count toward the size reached.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.loadgen import run_load
from bench.servers import HOST


@dataclass
class Filled:
    units: int  # keys or items acknowledged
    requests_failed: int
    seconds: float
    first_error: str = ""

    @property
    def per_second(self) -> float:
        return self.units / self.seconds if self.seconds else 0.0


def populate(port: int, make_chunk: Callable[[int, int], list[bytes]], *, units_per_request: int, max_units: int,
             seconds: float, connections: int, chunk_requests: int = 5000) -> Filled:
    """make_chunk(first request index, count) -> signed requests; request i writes units i*k .. i*k+k-1."""
    started = time.monotonic()
    deadline = started + seconds
    total_requests = max_units // units_per_request
    filled = Filled(0, 0, 0.0)
    index = 0
    while index < total_requests and time.monotonic() < deadline:
        count = min(chunk_requests, total_requests - index)
        requests = make_chunk(index, count)
        result = run_load(HOST, port, requests, connections=connections, duration=max(0.1, deadline - time.monotonic()),
                          max_requests=len(requests))
        filled.units += result.completed * units_per_request
        filled.requests_failed += result.errors
        filled.first_error = filled.first_error or result.first_error
        index += count
        if result.completed + result.errors < len(requests):
            break  # out of time inside this chunk
    filled.seconds = time.monotonic() - started
    return filled
