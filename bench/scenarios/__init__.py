"""Scenarios: measurements that are not one operation repeated (cold starts, big buckets, added latency).

A Workload (bench/workloads) times one call again and again. The goals of issues 3-6 also need
sequences: create a function and time until it is Active, fill a bucket with 1,000,000 keys and
time one page, hold environments busy and read the server's RSS. A Scenario is such a sequence:
it gets the running server and returns rows of kind "metric" (one number each, with its unit
and whether lower or higher is better), or ordinary "ops" rows. Every loop in a scenario is
bounded both in count and in time.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]


@dataclass(frozen=True)
class ScenarioContext:
    target: str
    endpoint: str
    port: int
    pid: int  # the server's root process: RSS and CPU of its tree come from /proc
    quick: bool
    connections: int
    duration: float  # seconds per throughput measurement
    populate_seconds: float  # the time allowed to fill a big bucket or table
    populate_max: int  # and the most keys or items to put in it
    multipart_mib: int  # size of the AWS CLI multipart upload (0: skipped)


@dataclass(frozen=True)
class Scenario:
    name: str
    group: str  # selectable with --only
    service: str  # servers that do not emulate it get no rows
    title: str
    run: Callable[[ScenarioContext], list[Row]]
    # target -> why it cannot run this (shown as n/a without trying, e.g. moto needs Docker for Lambda)
    unsupported: dict[str, str] = field(default_factory=dict)
    # the metrics run() reports, so that a failure can show each as n/a: (metric, unit, better)
    metrics: tuple[tuple[str, str, str], ...] = ()


def metric(scenario: Scenario, ctx: ScenarioContext, name: str, value: float | None, unit: str, better: str,
           note: str = "") -> Row:
    row: Row = {"kind": "metric", "workload": scenario.name, "title": scenario.title, "metric": name,
                "target": ctx.target, "value": value, "unit": unit, "better": better}
    if note:
        row["note"] = note
    return row


def failed_rows(scenario: Scenario, target: str, reason: str) -> list[Row]:
    return [{"kind": "metric", "workload": scenario.name, "title": scenario.title, "metric": name, "target": target,
             "value": None, "unit": unit, "better": better, "error": reason}
            for name, unit, better in scenario.metrics or (("(all)", "", "lower"),)]


def p50_ms(samples_s: list[float]) -> float | None:
    return statistics.median(samples_s) * 1000 if samples_s else None


def percentile_ms(samples_s: list[float], fraction: float) -> float | None:
    if not samples_s:
        return None
    ordered = sorted(samples_s)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000


def all_scenarios() -> list[Scenario]:
    from bench.scenarios import apigw_proxy, ddb_scale, lambda_envs, s3_scale

    return [*lambda_envs.SCENARIOS, *apigw_proxy.SCENARIOS, *s3_scale.SCENARIOS, *ddb_scale.SCENARIOS]
