"""The boto3 mode: one client in this process, calls one after another, as a test suite makes them.

On a shared machine the speed of everything drifts from one second to the next, so the ratio to
the do-nothing floor is measured paired: slices against the server and against the floor
alternate, and each side sees the same drift.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.procstats import own_cpu_seconds
from bench.workloads import Workload


@dataclass
class ClientResult:
    completed: int = 0
    errors: int = 0
    elapsed: float = 0.0
    latencies_ns: list[int] = field(default_factory=list)
    first_error: str = ""
    client_cpu_seconds: float = 0.0
    server_cpu_seconds: float = 0.0
    next_index: int = 0
    max_errors: int = 20

    @property
    def failed(self) -> bool:
        return self.errors >= self.max_errors or (self.errors > 0 and self.completed == 0)


def warm_up(client: Any, workload: Workload, result: ClientResult, *, calls: int = 20, seconds: float = 1.0) -> None:
    """A few calls before measuring (connection, caches); the first failure marks the target n/a."""
    deadline = time.perf_counter() + seconds
    for _ in range(calls):
        if result.next_index and time.perf_counter() > deadline:
            break
        try:
            workload.call(client, result.next_index)
        except Exception as error:  # noqa: BLE001 - any failure makes this target n/a for the workload
            result.errors += 1
            result.first_error = f"{type(error).__name__}: {error}"
            return
        result.next_index += 1


def measure(client: Any, workload: Workload, result: ClientResult, *, duration: float, max_calls: int,
            server_cpu: Callable[[], float] | None = None) -> None:
    """Calls for `duration` seconds or `max_calls`, adding to `result`; stops early after too many failures."""
    cpu_before = own_cpu_seconds()
    server_before = server_cpu() if server_cpu else 0.0
    started = time.perf_counter()
    deadline = started + duration
    for _ in range(max_calls):
        if time.perf_counter() >= deadline or result.failed:
            break
        t0 = time.perf_counter_ns()
        try:
            workload.call(client, result.next_index)
        except Exception as error:  # noqa: BLE001
            result.errors += 1
            result.first_error = result.first_error or f"{type(error).__name__}: {error}"
        else:
            result.latencies_ns.append(time.perf_counter_ns() - t0)
            result.completed += 1
        result.next_index += 1
    result.elapsed += time.perf_counter() - started
    result.client_cpu_seconds += own_cpu_seconds() - cpu_before
    if server_cpu:
        result.server_cpu_seconds += server_cpu() - server_before


def run_client(client: Any, workload: Workload, *, duration: float, max_calls: int, warmup_seconds: float = 1.0,
               server_cpu: Callable[[], float] | None = None) -> ClientResult:
    """Warm up, then call for `duration` seconds or `max_calls` (an n/a result, not a crash, on failures)."""
    result = ClientResult()
    warm_up(client, workload, result, seconds=warmup_seconds)
    if not result.failed:
        measure(client, workload, result, duration=duration, max_calls=max_calls, server_cpu=server_cpu)
    return result


def run_paired(client: Any, floor_client: Any, workload: Workload, *, duration: float, max_calls: int,
               warmup_seconds: float = 1.0, slices: int = 10,
               server_cpu: Callable[[], float] | None = None) -> tuple[ClientResult, ClientResult]:
    """`duration` seconds against each of the server and the floor, in alternating slices."""
    result, floor = ClientResult(), ClientResult()
    warm_up(client, workload, result, seconds=warmup_seconds)
    warm_up(floor_client, workload, floor, seconds=warmup_seconds)
    for _ in range(slices):
        if result.failed or floor.failed:
            break
        measure(client, workload, result, duration=duration / slices, max_calls=max_calls, server_cpu=server_cpu)
        measure(floor_client, workload, floor, duration=duration / slices, max_calls=max_calls)
    return result, floor
