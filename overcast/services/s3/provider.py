"""Amazon S3: buckets and objects.

The operations live with their concern (buckets.py, objects.py, listing.py); this class puts
them together with the runtime and prepares the storage on start.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections.abc import Callable
from typing import Any

from overcast.protocol.errors import AccessDenied
from overcast.server.context import RequestContext
from overcast.services.base import Provider as BaseProvider
from overcast.services.base import ServiceRuntime
from overcast.services.s3.bucket_config import BucketConfigOperations
from overcast.services.s3.bucket_reporting import BucketReportingOperations
from overcast.services.s3.buckets import BucketOperations
from overcast.services.s3.event_delivery import EventDelivery
from overcast.services.s3.inventory_reports import INTERVAL as INVENTORY_INTERVAL
from overcast.services.s3.inventory_reports import InventoryReporter
from overcast.services.s3.lifecycle import INTERVAL as LIFECYCLE_INTERVAL
from overcast.services.s3.lifecycle import LifecycleSweeper
from overcast.services.s3.listing import ListingOperations, VersionListingOperations
from overcast.services.s3.multipart import MultipartOperations
from overcast.services.s3.object_attributes import ObjectAttributeOperations
from overcast.services.s3.object_lock_operations import ObjectLockOperations
from overcast.services.s3.objects import ObjectOperations
from overcast.services.s3.restore import RestoreOperations
from overcast.services.s3.store import S3Store
from overcast.services.s3.upload_store import EventStore, UploadStore
from overcast.storage.interface import BlobStore

log = logging.getLogger("overcast.s3")

BLOB_SUBDIR = "s3"


class Provider(BucketOperations, BucketConfigOperations, BucketReportingOperations, ObjectOperations, ObjectAttributeOperations,
               RestoreOperations, ListingOperations, VersionListingOperations, MultipartOperations, ObjectLockOperations,
               BaseProvider):
    service = "s3"

    def __init__(self, runtime: ServiceRuntime):
        super().__init__(runtime)
        self.store = S3Store(self.db)
        self.uploads = UploadStore(self.db)
        # Event notifications awaiting delivery: pending() / acknowledge() for the delivery loop.
        self.events = EventStore(self.db)
        self.blobs, self._owns_blobs = _own_blob_store(runtime.blobs, runtime.config.fsync)
        self.delivery: EventDelivery | None = None

    def start(self) -> None:
        self.store.migrate()
        if self._owns_blobs:
            # Bodies written before a crash but never committed (or whose row was replaced
            # without the unlink happening) are not data: remove them before serving.
            removed = self.blobs.sweep(self.store.blob_is_referenced)
            if removed:
                log.info("s3: removed %d unreferenced blob files", removed)
        self._buckets_changed()
        sweeper = LifecycleSweeper(self.store, self.uploads, self.db, self.blobs)
        self.runtime.scheduler.every(LIFECYCLE_INTERVAL, sweeper, first_in=5.0)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # started outside the event loop (engine tests): nothing to deliver
            return
        reporter = InventoryReporter(self.store, self.runtime.internal, loop)
        self.runtime.scheduler.every(INVENTORY_INTERVAL, reporter, first_in=5.0)
        self.delivery = EventDelivery(self.events, self.runtime.internal)
        self.delivery.start()

    def stop(self) -> None:
        if self.delivery is not None:
            self.delivery.stop()

    def _buckets_changed(self) -> None:
        self.runtime.health["s3"] = {"buckets": self.store.count_buckets()}


def _own_blob_store(shared: BlobStore, fsync: bool) -> tuple[BlobStore, bool]:
    """A blob store that holds S3's files only, so that S3's start-up sweep can never remove
    another service's blobs. (True, when S3 owns it and may sweep it.)"""
    scoped = getattr(shared, "scoped", None)
    if callable(scoped):
        return scoped(BLOB_SUBDIR), True
    root = getattr(shared, "root", None)
    if isinstance(root, str):
        # The file store only sweeps its own two-hex-digit shard directories, so a
        # subdirectory of its root is private to us. (The ignore: this is the concrete store's
        # constructor, which the BlobStore interface does not describe.)
        return type(shared)(os.path.join(root, BLOB_SUBDIR), fsync=fsync), True  # type: ignore[call-arg]
    return shared, False


# Operations that decide anonymous access themselves (bucket policy, public ACLs); every other
# operation refuses a caller without credentials, as S3 does for a bucket owner's APIs.
_ANONYMOUS_EVALUATED = frozenset({"get_object", "head_object", "put_object", "delete_object", "list_objects",
                                  "list_objects_v2"})


def _guarded(method: Callable[..., Any], deny_anonymous: bool) -> Callable[..., Any]:
    @functools.wraps(method)
    def guarded(self: Provider, ctx: RequestContext, params: dict[str, Any]) -> Any:
        if deny_anonymous and ctx.anonymous and not ctx.extra.get("internal"):
            raise AccessDenied("Access Denied")
        expected = params.get("ExpectedBucketOwner")
        if expected is not None and params.get("Bucket"):
            bucket = self.store.get_bucket(params["Bucket"])
            if bucket is not None and bucket.account_id != expected:
                raise AccessDenied("Access Denied")
        return method(self, ctx, params)

    return guarded


for _name in dir(Provider):
    if _name.startswith("_") or hasattr(BaseProvider, _name):
        continue
    _attribute = getattr(Provider, _name)
    if callable(_attribute) and not isinstance(_attribute, type):
        setattr(Provider, _name, _guarded(_attribute, _name not in _ANONYMOUS_EVALUATED))
