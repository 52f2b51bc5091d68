"""What every service provider is given, and how operations are found on it.

A provider is a class named `Provider` in overcast/services/<package>/provider.py, built once
on the service's first request with the shared ServiceRuntime. Each AWS operation is a method
named after it in snake_case (PutObject -> put_object, ListObjectsV2 -> list_objects_v2) taking
(ctx, params) and returning the output dict; it may be async. Raising a ServiceError returns
that error to the client; a missing method answers NotImplemented naming the operation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from overcast.clock import Clock
from overcast.config import Config
from overcast.scheduler import Scheduler

if TYPE_CHECKING:
    from overcast.services.internal import InternalClient
    from overcast.storage.interface import BlobStore, Database


@dataclass
class ServiceRuntime:
    config: Config
    db: Database
    blobs: BlobStore
    clock: Clock
    scheduler: Scheduler
    internal: InternalClient
    # Providers may leave state here for /_overcast/health (e.g. {"buckets": 3}).
    health: dict[str, Any] = field(default_factory=dict)


class Provider:
    """Base class for providers: keeps the runtime at hand."""

    service = ""
    # Optional: called with (ctx, params) before any operation's method, to refuse a call as a
    # whole (API Gateway's control-plane quotas). None for providers that refuse nothing.
    admit: Callable[[Any, dict[str, Any]], None] | None = None

    def __init__(self, runtime: ServiceRuntime):
        self.runtime = runtime
        self.db = runtime.db
        self.blobs = runtime.blobs
        self.clock = runtime.clock
        self.config = runtime.config

    def start(self) -> None:
        """Called once after construction: schemas, background jobs."""

    def stop(self) -> None:
        """Called at shutdown."""


_FIRST = re.compile(r"(.)([A-Z][a-z]+)")
_REST = re.compile(r"([a-z0-9])([A-Z])")


@cache
def method_name(operation: str) -> str:
    """AWS operation name to provider method name: PutObject -> put_object,
    ListObjectsV2 -> list_objects_v2, GetBucketCors -> get_bucket_cors."""
    s = _FIRST.sub(r"\1_\2", operation)
    s = _REST.sub(r"\1_\2", s).lower()
    return s
