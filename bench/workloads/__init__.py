"""Workloads that plug into the harness.

A Workload names one AWS operation as a boto3 call. The harness uses that one definition
twice: called on a live client for the boto3 mode, and called on a capturing client to sign
requests beforehand for the server-bound mode. Adding a workload (DynamoDB Query, Lambda
Invoke, ...) means writing a setup and a call, nothing in the harness.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Workload:
    name: str  # stable id used in JSON and --only
    title: str  # what the table shows
    group: str  # selectable with --only (s3, dynamodb, ...)
    service: str  # boto3 service name
    setup: Callable[[Any], None]  # makes what the calls need, on a live client; may raise
    call: Callable[[Any, int], Any]  # the i-th operation
    distinct_requests: int = 500  # signed requests the load generator cycles through
    # For requests that are not SDK calls (an API Gateway stage URL, say): (endpoint, i) -> raw HTTP/1.1 bytes.
    # When set, the server-bound mode replays these instead of signing `call` through boto3.
    wire: Callable[[str, int], bytes] | None = None
    # False when replaying the same signed bytes would measure something else (an idempotency token
    # answered from cache, say): the workload then runs in the boto3 mode only.
    server_bound: bool = True
    min_response_body: int = 0  # the server-bound mode counts a 2xx with a shorter body as an error
    client_label: str = "boto3"  # the one-client mode's name in the table, for calls made without boto3
    in_quick: bool = True  # False for slow workloads that would push --quick past its 2 minutes


def all_workloads() -> list[Workload]:
    from bench.workloads import apigateway, dynamodb, lambda_, s3

    return [*s3.WORKLOADS, *dynamodb.WORKLOADS, *lambda_.WORKLOADS, *apigateway.WORKLOADS]
