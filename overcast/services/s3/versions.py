"""Versioning inside a write: what replacing or deleting a key does to its versions, by the
bucket's versioning state (never enabled, Enabled, Suspended).

The current version is the row in s3_objects; older versions move to s3_versions with their
part rows, keeping their blobs. Version ids begin with an inverted timestamp, so that sorting
by id lists a key's versions newest first.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from overcast.services.s3.models import StoredObject

if TYPE_CHECKING:
    from overcast.storage.interface import Tx

ENABLED = "Enabled"
SUSPENDED = "Suspended"
_EPOCH_END_US = 10**17
_lock = threading.Lock()
_last_us = 0


def state(config_text: str) -> str | None:
    if '"Versioning"' not in config_text:  # never enabled: the common case costs no parsing
        return None
    return json.loads(config_text).get("Versioning")


def _sort_prefix(micros: int) -> str:
    return f"{_EPOCH_END_US - micros:015x}"


def new_version_id() -> str:
    """32 characters, newest sorting first, unique within the process."""
    global _last_us
    with _lock:
        _last_us = max(_last_us + 1, time.time_ns() // 1000)
        micros = _last_us
    return _sort_prefix(micros) + uuid.uuid4().hex[:17]


def looks_like_version_id(text: str) -> bool:
    return text == "null" or (len(text) == 32 and all(c in "0123456789abcdef" for c in text))


def sort_id_of(obj_version_id: str | None, last_modified: float) -> str:
    if obj_version_id:
        return obj_version_id
    return _sort_prefix(int(last_modified * 1_000_000)) + "null"


@dataclass
class Outcome:
    """What a replace or delete did: the replaced current version's ETag (None when there was
    none, or it was a delete marker) and the blob files nothing references any more."""

    previous_etag: str | None = None
    existed: bool = False
    unlink: list[str] = field(default_factory=list)
    version_id: str | None = None  # the version created or deleted ("null" spelled as None)
    delete_marker: bool = False
    versioning: str | None = None  # the bucket's versioning state at the time
    # The replaced current row was left in place for the new version to overwrite (an UPDATE)
    # rather than removed (the caller then inserts).
    row_kept: bool = False


# The current version's columns that replacing or deleting it needs, in this order (S3Store's
# tx_require_bucket_and_current reads the same ones).
CURRENT_COLUMNS = "etag, blob_id, parts_count, version_id, delete_marker, last_modified"
# tx_replace's `current` when the caller has not read the row: it is read here.
LOOK_UP: Any = object()


def _current(tx: Tx, bucket: str, key: str) -> tuple | None:
    return tx.fetchone(f"SELECT {CURRENT_COLUMNS} FROM s3_objects WHERE bucket = ? AND key = ?", (bucket, key))


def current_etag(tx: Tx, bucket: str, key: str) -> str | None:
    """The current version's ETag, or None when the key has none (absent, or a delete marker)."""
    row = tx.fetchone("SELECT etag, delete_marker FROM s3_objects WHERE bucket = ? AND key = ?", (bucket, key))
    return None if row is None or row[1] else row[0]


def _release_current(tx: Tx, bucket: str, key: str, row: tuple, keep_row: bool = False) -> list[str]:
    """Drop the current version (its parts always; its row unless `keep_row`: a caller that
    upserts the new row next overwrites it anyway, and one statement fewer per PutObject counts)."""
    blobs = [row[1]] if row[1] else []
    if row[2]:
        blobs += [r[0] for r in tx.fetchall("SELECT blob_id FROM s3_object_parts WHERE bucket = ? AND key = ?",
                                            (bucket, key))]
        tx.execute("DELETE FROM s3_object_parts WHERE bucket = ? AND key = ?", (bucket, key))
    if not keep_row:
        tx.execute("DELETE FROM s3_objects WHERE bucket = ? AND key = ?", (bucket, key))
    return blobs


def _demote_current(tx: Tx, bucket: str, key: str, row: tuple) -> None:
    """Move the current version, with its parts, among the noncurrent ones."""
    label = row[3] or "null"
    tx.execute(
        "INSERT INTO s3_versions (bucket, key, sort_id, version_id, size, etag, last_modified, storage_class, "
        "checksum_algorithm, checksum_value, headers, blob_id, parts_count, checksum_type, delete_marker, body) "
        "SELECT bucket, key, ?, ?, size, etag, last_modified, storage_class, checksum_algorithm, checksum_value, "
        "headers, blob_id, parts_count, checksum_type, delete_marker, body FROM s3_objects "
        "WHERE bucket = ? AND key = ?",
        (sort_id_of(row[3], row[5]), label, bucket, key))
    if row[2]:
        tx.execute(
            "INSERT INTO s3_version_parts (bucket, key, version_id, part_number, size, checksum_value, blob_id) "
            "SELECT bucket, key, ?, part_number, size, checksum_value, blob_id FROM s3_object_parts "
            "WHERE bucket = ? AND key = ?", (label, bucket, key))
        tx.execute("DELETE FROM s3_object_parts WHERE bucket = ? AND key = ?", (bucket, key))
    tx.execute("DELETE FROM s3_objects WHERE bucket = ? AND key = ?", (bucket, key))


def _delete_noncurrent(tx: Tx, bucket: str, key: str, version_label: str) -> tuple[bool, bool, list[str]]:
    """Remove one noncurrent version: (found, was a delete marker, blobs to unlink)."""
    row = tx.fetchone("SELECT blob_id, parts_count, delete_marker FROM s3_versions "
                      "WHERE bucket = ? AND key = ? AND version_id = ?", (bucket, key, version_label))
    if row is None:
        return False, False, []
    blobs = [row[0]] if row[0] else []
    if row[1]:
        blobs += [r[0] for r in tx.fetchall(
            "SELECT blob_id FROM s3_version_parts WHERE bucket = ? AND key = ? AND version_id = ?",
            (bucket, key, version_label))]
        tx.execute("DELETE FROM s3_version_parts WHERE bucket = ? AND key = ? AND version_id = ?",
                   (bucket, key, version_label))
    tx.execute("DELETE FROM s3_versions WHERE bucket = ? AND key = ? AND version_id = ?", (bucket, key, version_label))
    return True, bool(row[2]), blobs


def _promote_newest(tx: Tx, bucket: str, key: str) -> None:
    """After the current version is deleted by id, the newest older one becomes current."""
    row = tx.fetchone("SELECT sort_id, version_id, parts_count FROM s3_versions WHERE bucket = ? AND key = ? "
                      "ORDER BY sort_id LIMIT 1", (bucket, key))
    if row is None:
        return
    sort_id, label, parts_count = row
    tx.execute(
        "INSERT INTO s3_objects (bucket, key, size, etag, last_modified, storage_class, checksum_algorithm, "
        "checksum_value, headers, blob_id, body, parts_count, checksum_type, version_id, delete_marker) "
        "SELECT bucket, key, size, etag, last_modified, storage_class, checksum_algorithm, checksum_value, "
        "headers, blob_id, body, parts_count, checksum_type, ?, delete_marker FROM s3_versions "
        "WHERE bucket = ? AND key = ? AND sort_id = ?",
        (None if label == "null" else label, bucket, key, sort_id))
    if parts_count:
        tx.execute(
            "INSERT INTO s3_object_parts (bucket, key, part_number, size, checksum_value, blob_id) "
            "SELECT bucket, key, part_number, size, checksum_value, blob_id FROM s3_version_parts "
            "WHERE bucket = ? AND key = ? AND version_id = ?", (bucket, key, label))
        tx.execute("DELETE FROM s3_version_parts WHERE bucket = ? AND key = ? AND version_id = ?",
                   (bucket, key, label))
    tx.execute("DELETE FROM s3_versions WHERE bucket = ? AND key = ? AND sort_id = ?", (bucket, key, sort_id))


def _make_room(tx: Tx, bucket: str, key: str, versioning: str | None, outcome: Outcome,
               upserted: bool = False, current: Any = LOOK_UP) -> None:
    """Clear the way for a new current version (object or delete marker). `upserted`: the
    caller writes the new row with an upsert, so a released current row may stay for it to
    overwrite. `current`: the key's current row (CURRENT_COLUMNS, or None), if already read."""
    row = _current(tx, bucket, key) if current is LOOK_UP else current
    if row is not None:
        outcome.existed = True
        outcome.previous_etag = None if row[4] else row[0]
    if versioning == ENABLED:
        if row is not None:
            _demote_current(tx, bucket, key, row)
        return
    if versioning == SUSPENDED:
        # The new version is the null version: an older null version is replaced.
        if row is not None and row[3]:
            _demote_current(tx, bucket, key, row)
        elif row is not None:
            outcome.unlink += _release_current(tx, bucket, key, row)
        outcome.unlink += _delete_noncurrent(tx, bucket, key, "null")[2]
        return
    if row is not None:
        outcome.unlink += _release_current(tx, bucket, key, row, keep_row=upserted)
        outcome.row_kept = upserted


def tx_replace(tx: Tx, config_text: str, obj: StoredObject, current: Any = LOOK_UP) -> Outcome:
    """Prepare for `obj` to become the key's current version; sets its version id. The caller
    checks conditions against outcome.previous_etag, then writes the row: over the kept one when
    outcome.row_kept (S3Store.tx_update_object), else as a new one (tx_put_object, an upsert).
    `current`: the key's current row, when the caller read it in this transaction."""
    versioning = state(config_text)
    # Positional (every object write builds one): previous_etag, existed, unlink, version_id,
    # delete_marker, versioning.
    outcome = Outcome(None, False, [], None, False, versioning)
    _make_room(tx, obj.bucket, obj.key, versioning, outcome, True, current)
    obj.version_id = new_version_id() if versioning == ENABLED else None
    outcome.version_id = obj.version_id
    if obj.blob_id in outcome.unlink:
        outcome.unlink.remove(obj.blob_id)
    return outcome


def tx_delete(tx: Tx, config_text: str, bucket: str, key: str, version_id: str | None, now: float) -> Outcome:
    """DeleteObject: of one version when `version_id` is given, else of the key (a delete
    marker in a versioned bucket)."""
    versioning = state(config_text)
    outcome = Outcome(versioning=versioning)
    if version_id is not None:
        row = _current(tx, bucket, key)
        if row is not None and (row[3] or "null") == version_id:
            outcome.existed, outcome.delete_marker = True, bool(row[4])
            outcome.unlink += _release_current(tx, bucket, key, row)
            _promote_newest(tx, bucket, key)
        else:
            found, marker, blobs = _delete_noncurrent(tx, bucket, key, version_id)
            outcome.existed, outcome.delete_marker, outcome.unlink = found, marker, blobs
        outcome.version_id = None if version_id == "null" else version_id
        return outcome
    if versioning is None:
        row = _current(tx, bucket, key)
        if row is not None:
            outcome.existed = True
            outcome.unlink += _release_current(tx, bucket, key, row)
        return outcome
    _make_room(tx, bucket, key, versioning, outcome)
    marker_id = new_version_id() if versioning == ENABLED else None
    tx.execute(
        "INSERT INTO s3_objects (bucket, key, size, etag, last_modified, storage_class, checksum_algorithm, "
        "checksum_value, headers, blob_id, body, parts_count, checksum_type, version_id, delete_marker) "
        "VALUES (?, ?, 0, '', ?, 'STANDARD', NULL, NULL, '{}', NULL, NULL, 0, NULL, ?, 1)",
        (bucket, key, now, marker_id))
    outcome.version_id, outcome.delete_marker = marker_id, True
    return outcome
