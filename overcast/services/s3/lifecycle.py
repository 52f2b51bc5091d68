"""Lifecycle rules that act: Expiration (Days, Date) deletes objects (in a versioned bucket: adds
a delete marker) and, with ExpiredObjectDeleteMarker too, removes delete markers that have nothing
left under them; NoncurrentVersionExpiration deletes noncurrent versions
(lifecycle_noncurrent.py) and AbortIncompleteMultipartUpload aborts stale uploads, by the
server's clock.

Runs on the scheduler's thread, periodically and whenever the clock is moved, so a test can
advance time past an expiry and see the objects go. Deletions go through the same store calls
as DeleteObject, in bounded batches, with blob files unlinked after each commit.
"""

from __future__ import annotations

import logging
import math
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from overcast.services.s3 import events, versions
from overcast.services.s3.events import ChangeContext
from overcast.services.s3.lifecycle_noncurrent import expire_noncurrent
from overcast.services.s3.objects import unlink_after_commit

if TYPE_CHECKING:
    from overcast.services.s3.store import S3Store
    from overcast.services.s3.upload_store import UploadStore
    from overcast.storage.interface import BlobStore, Database, Tx

log = logging.getLogger("overcast.s3.lifecycle")

DAY = 86400
INTERVAL = 3600.0  # clock seconds between sweeps (moving the clock runs one at once)
_BATCH = 500


def _next_midnight(epoch: float) -> float:
    """AWS rounds an expiry up to the next midnight UTC."""
    return math.ceil(epoch / DAY) * DAY


def _lifecycle_change() -> ChangeContext:
    """Who the events of lifecycle's deletions name: S3 itself."""
    return ChangeContext(region="", request_id=str(uuid.uuid4()), source_ip="s3.amazonaws.com",
                         principal="AWS:s3.amazonaws.com", account_id="")


class RuleFilter:
    def __init__(self, rule: dict[str, Any]):
        spec = rule.get("Filter") or {}
        conjunction = spec.get("And") or {}
        self.prefix: str = spec.get("Prefix", conjunction.get("Prefix", rule.get("Prefix", ""))) or ""
        tags = list(conjunction.get("Tags") or [])
        if spec.get("Tag"):
            tags.append(spec["Tag"])
        self.tags = {(t.get("Key"), t.get("Value")) for t in tags}
        self.larger_than = spec.get("ObjectSizeGreaterThan", conjunction.get("ObjectSizeGreaterThan"))
        self.smaller_than = spec.get("ObjectSizeLessThan", conjunction.get("ObjectSizeLessThan"))

    def size_matches(self, size: int) -> bool:
        if self.larger_than is not None and size <= int(self.larger_than):
            return False
        return not (self.smaller_than is not None and size >= int(self.smaller_than))


class LifecycleSweeper:
    def __init__(self, store: S3Store, uploads: UploadStore, db: Database, blobs: BlobStore):
        self.store = store
        self.uploads = uploads
        self.db = db
        self.blobs = blobs

    def __call__(self, now: float) -> None:
        for bucket, rules in self.store.buckets_with_config("Lifecycle"):
            for rule in rules:
                if rule.get("Status") != "Enabled":
                    continue
                try:
                    self._apply(bucket, rule, now)
                except Exception:
                    log.exception("lifecycle rule %r of bucket %s failed", rule.get("ID"), bucket)

    def _apply(self, bucket: str, rule: dict[str, Any], now: float) -> None:
        rule_filter = RuleFilter(rule)
        # Noncurrent versions first, so that a delete marker they leave alone is expired below in
        # the same sweep.
        noncurrent = rule.get("NoncurrentVersionExpiration") or {}
        if noncurrent.get("NoncurrentDays") is not None:
            expire_noncurrent(self.store, self.db, self.blobs, bucket, rule_filter, noncurrent, now, _lifecycle_change())
        expiration = rule.get("Expiration") or {}
        days, date = expiration.get("Days"), expiration.get("Date")
        if days is not None or date is not None:
            cutoff = date.timestamp() if isinstance(date, datetime) else None
            if cutoff is None or now >= cutoff:
                self._expire(bucket, rule_filter, now, int(days) if days is not None else None)
        elif expiration.get("ExpiredObjectDeleteMarker") is True:
            self._expire(bucket, rule_filter, now, None, objects=False)
        abort = (rule.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation")
        if abort is not None:
            self._abort_uploads(bucket, rule_filter.prefix, now, int(abort))

    def _expire(self, bucket: str, rule_filter: RuleFilter, now: float, days: int | None,
                objects: bool = True) -> None:
        """Expire current versions (`objects`) past `days` (None: all, a Date rule that is due),
        and expired object delete markers: a current delete marker with no noncurrent version
        under it goes too, as S3 removes one "if the lifecycle configuration is set to delete
        current versions, or the ExpiredObjectDeleteMarker action is explicitly set" (S3 user
        guide, managing delete markers). A tag or size filter matches no delete marker."""
        cursor, inclusive = rule_filter.prefix, True
        markers_match = not rule_filter.tags and rule_filter.larger_than is None and rule_filter.smaller_than is None
        while True:
            rows = self.store.list_after(bucket, cursor, 1000, inclusive)
            doomed = []
            markers = []
            for key, size, _etag, last_modified, *_rest, delete_marker in rows:
                if not key.startswith(rule_filter.prefix):
                    rows = []
                    break
                if days is not None and _next_midnight(last_modified + days * DAY) > now:
                    continue
                if delete_marker:
                    if markers_match and not self.store.has_noncurrent_versions(bucket, key):
                        markers.append((key, last_modified))
                    continue
                if not objects:
                    continue
                if not rule_filter.size_matches(size):
                    continue
                if rule_filter.tags and not self._has_tags(bucket, key, rule_filter.tags):
                    continue
                doomed.append((key, last_modified))
            for start in range(0, len(doomed), _BATCH):
                self._delete(bucket, doomed[start:start + _BATCH], now)
            for start in range(0, len(markers), _BATCH):
                self._delete_markers(bucket, markers[start:start + _BATCH], now)
            if len(rows) < 1000:
                return
            cursor, inclusive = rows[-1][0], False

    def _has_tags(self, bucket: str, key: str, wanted: set[tuple[str, str]]) -> bool:
        obj = self.store.get_object(bucket, key)
        tags = {(t["Key"], t["Value"]) for t in (obj.headers.get("Tags") or [])} if obj else set()
        return wanted <= tags

    def _delete(self, bucket: str, entries: list[tuple[str, float]], now: float) -> None:
        store, blobs = self.store, self.blobs

        change = _lifecycle_change()

        def write(tx: Tx) -> None:
            config = store.tx_require_bucket(tx, bucket)
            unlinked: list[str] = []
            for key, last_modified in entries:
                row = tx.fetchone("SELECT last_modified FROM s3_objects WHERE bucket = ? AND key = ?", (bucket, key))
                # Rewritten since it was found: the new object is not (yet) expired.
                if row is None or row[0] != last_modified:
                    continue
                # In a versioned bucket expiry leaves a delete marker, as a plain DELETE would.
                outcome = versions.tx_delete(tx, config, bucket, key, None, now)
                unlinked += outcome.unlink
                name = "LifecycleExpiration:DeleteMarkerCreated" if outcome.delete_marker else "LifecycleExpiration:Delete"
                events.enqueue(tx, config, change, name, bucket, key)
            unlink_after_commit(tx, blobs, unlinked)

        self.db.write_blocking(write)

    def _delete_markers(self, bucket: str, entries: list[tuple[str, float]], now: float) -> None:
        store = self.store
        change = _lifecycle_change()

        def write(tx: Tx) -> None:
            config = store.tx_require_bucket(tx, bucket)
            for key, last_modified in entries:
                row = tx.fetchone("SELECT version_id, delete_marker, last_modified FROM s3_objects "
                                  "WHERE bucket = ? AND key = ?", (bucket, key))
                # Still that delete marker, and still nothing under it.
                if row is None or not row[1] or row[2] != last_modified:
                    continue
                if tx.fetchone("SELECT 1 FROM s3_versions WHERE bucket = ? AND key = ? LIMIT 1",
                               (bucket, key)) is not None:
                    continue
                versions.tx_delete(tx, config, bucket, key, row[0] or "null", now)
                events.enqueue(tx, config, change, "LifecycleExpiration:Delete", bucket, key)

        self.db.write_blocking(write)

    def _abort_uploads(self, bucket: str, prefix: str, now: float, days: int) -> None:
        uploads, blobs = self.uploads, self.blobs
        stale = [u.upload_id for u in self.uploads.list_uploads(bucket, prefix, "", 10000)
                 if u.key.startswith(prefix) and _next_midnight(u.initiated + days * DAY) <= now]
        if not stale:
            return

        def write(tx: Tx) -> None:
            unlinked: list[str] = []
            for upload_id in stale:
                parts = uploads.tx_parts(tx, upload_id)
                uploads.tx_finish_upload(tx, upload_id)
                unlinked += [p.blob_id for p in parts.values()]
            unlink_after_commit(tx, blobs, unlinked)

        self.db.write_blocking(write)
