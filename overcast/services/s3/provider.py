"""Amazon S3: buckets and objects.

The operations live with their concern (buckets.py, objects.py, listing.py); this class puts
them together with the runtime and prepares the storage on start.
"""

from __future__ import annotations

import logging
import os

from overcast.services.base import Provider as BaseProvider
from overcast.services.base import ServiceRuntime
from overcast.services.s3.bucket_config import BucketConfigOperations
from overcast.services.s3.buckets import BucketOperations
from overcast.services.s3.lifecycle import INTERVAL as LIFECYCLE_INTERVAL
from overcast.services.s3.lifecycle import LifecycleSweeper
from overcast.services.s3.listing import ListingOperations
from overcast.services.s3.multipart import MultipartOperations
from overcast.services.s3.object_attributes import ObjectAttributeOperations
from overcast.services.s3.objects import ObjectOperations
from overcast.services.s3.store import EventStore, S3Store, UploadStore
from overcast.storage.interface import BlobStore

log = logging.getLogger("overcast.s3")

BLOB_SUBDIR = "s3"


class Provider(BucketOperations, BucketConfigOperations, ObjectOperations, ObjectAttributeOperations,
               ListingOperations, MultipartOperations, BaseProvider):
    service = "s3"

    def __init__(self, runtime: ServiceRuntime):
        super().__init__(runtime)
        self.store = S3Store(self.db)
        self.uploads = UploadStore(self.db)
        # Event notifications awaiting delivery: pending() / acknowledge() for the delivery loop.
        self.events = EventStore(self.db)
        self.blobs, self._owns_blobs = _own_blob_store(runtime.blobs, runtime.config.fsync)

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
        # subdirectory of its root is private to us.
        return type(shared)(os.path.join(root, BLOB_SUBDIR), fsync=fsync), True  # type: ignore[call-arg]
    return shared, False
