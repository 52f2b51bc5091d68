"""The boto3 mode: one client in this process, calls one after another, as a test suite makes them."""

from __future__ import annotations

import time
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


def run_client(client: Any, workload: Workload, *, duration: float, max_calls: int, warmup_calls: int = 20,
               warmup_seconds: float = 1.0, max_errors: int = 20) -> ClientResult:
    """Calls until `duration` seconds or `max_calls`; gives up after `max_errors` failures (an n/a, not a crash)."""
    result = ClientResult()
    warmup_deadline = time.perf_counter() + warmup_seconds
    for i in range(warmup_calls):
        if i and time.perf_counter() > warmup_deadline:
            break
        try:
            workload.call(client, i)
        except Exception as error:  # noqa: BLE001 - any failure makes this target n/a for the workload
            result.errors += 1
            result.first_error = f"{type(error).__name__}: {error}"
            return result
    cpu_before = own_cpu_seconds()
    started = time.perf_counter()
    deadline = started + duration
    i = warmup_calls
    while i < max_calls + warmup_calls and time.perf_counter() < deadline:
        t0 = time.perf_counter_ns()
        try:
            workload.call(client, i)
        except Exception as error:  # noqa: BLE001
            result.errors += 1
            result.first_error = result.first_error or f"{type(error).__name__}: {error}"
            if result.errors >= max_errors:
                break
        else:
            result.latencies_ns.append(time.perf_counter_ns() - t0)
            result.completed += 1
        i += 1
    result.elapsed = time.perf_counter() - started
    result.client_cpu_seconds = own_cpu_seconds() - cpu_before
    return result
