"""Lifecycle's NoncurrentVersionExpiration: a noncurrent version goes NoncurrentDays after it
became noncurrent (when its successor was written), rounded up to the next midnight UTC, except
the NewerNoncurrentVersions newest ones, and except any version Object Lock protects ("a locked
version of an object cannot be deleted by a S3 Lifecycle expiration policy", S3 user guide,
lifecycle expiration considerations); such a version goes once its lock is over.

Run by LifecycleSweeper on the scheduler's thread; deletions go through versions.tx_delete in
bounded batches, each version's lock looked at again inside the deleting transaction.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from overcast.services.s3 import events, object_lock, versions
from overcast.services.s3.events import ChangeContext
from overcast.services.s3.objects import unlink_after_commit

if TYPE_CHECKING:
    from overcast.services.s3.lifecycle import RuleFilter
    from overcast.services.s3.store import S3Store
    from overcast.storage.interface import BlobStore, Database, Tx

DAY = 86400
_KEYS_PAGE = 500


def _next_midnight(epoch: float) -> float:
    return math.ceil(epoch / DAY) * DAY


def expire_noncurrent(store: S3Store, db: Database, blobs: BlobStore, bucket: str, rule_filter: RuleFilter,
                      expiration: dict[str, Any], now: float, change: ChangeContext) -> None:
    days = int(expiration["NoncurrentDays"])
    keep = int(expiration.get("NewerNoncurrentVersions") or 0)
    start, inclusive = rule_filter.prefix, True
    while True:
        keys = store.keys_with_noncurrent_versions(bucket, start, inclusive, _KEYS_PAGE)
        doomed: list[tuple[str, str]] = []
        for key in keys:
            if not key.startswith(rule_filter.prefix):
                keys = []
                break
            doomed += _expired_versions(store, bucket, key, rule_filter, days, keep, now)
        for first in range(0, len(doomed), _KEYS_PAGE):
            _delete(store, db, blobs, bucket, doomed[first:first + _KEYS_PAGE], now, change)
        if len(keys) < _KEYS_PAGE:
            return
        start, inclusive = keys[-1], False


def _expired_versions(store: S3Store, bucket: str, key: str, rule_filter: RuleFilter, days: int, keep: int,
                      now: float) -> list[tuple[str, str]]:
    current = store.get_object(bucket, key)
    older = store.list_versions(bucket, key)  # newest first
    # Each version became noncurrent when the next newer one was written.
    successor_written = current.last_modified if current is not None else None
    out = []
    for rank, version in enumerate(older):
        noncurrent_since = successor_written if successor_written is not None else version.last_modified
        successor_written = version.last_modified
        if rank < keep or _next_midnight(noncurrent_since + days * DAY) > now:
            continue
        if not version.delete_marker:
            if not rule_filter.size_matches(version.size):
                continue
            tags = {(t["Key"], t["Value"]) for t in (version.headers.get("Tags") or [])}
            if not rule_filter.tags <= tags:
                continue
            if object_lock.deletion_refusal(version.headers, now, bypass=False) is not None:
                continue
        elif rule_filter.tags or rule_filter.larger_than is not None or rule_filter.smaller_than is not None:
            continue  # a delete marker has no tags or size for such a filter to match
        out.append((key, version.version_label))
    return out


def _delete(store: S3Store, db: Database, blobs: BlobStore, bucket: str, entries: list[tuple[str, str]],
            now: float, change: ChangeContext) -> None:
    def write(tx: Tx) -> None:
        config = store.tx_require_bucket(tx, bucket)
        unlinked: list[str] = []
        for key, version_id in entries:
            row = tx.fetchone("SELECT headers, delete_marker FROM s3_versions WHERE bucket = ? AND key = ? "
                              "AND version_id = ?", (bucket, key, version_id))
            if row is None:  # gone, or made current again since it was found
                continue
            if not row[1] and object_lock.deletion_refusal(json.loads(row[0]), now, bypass=False) is not None:
                continue  # locked (a legal hold placed) since it was found
            outcome = versions.tx_delete(tx, config, bucket, key, version_id, now)
            unlinked += outcome.unlink
            events.enqueue(tx, config, change, "LifecycleExpiration:Delete", bucket, key)
        unlink_after_commit(tx, blobs, unlinked)

    db.write_blocking(write)
