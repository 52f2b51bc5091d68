"""The queries of multipart uploads in progress, and the outbox of event notifications."""

from __future__ import annotations

import json
from collections.abc import Callable

from overcast.services.s3.models import Part, Upload
from overcast.services.s3.store import encode_headers
from overcast.storage.interface import Database, Tx

COMPLETED_KEPT_SECONDS = 86400
_UPLOAD_COLUMNS = ("upload_id, bucket, key, initiated, account_id, storage_class, checksum_algorithm, "
                   "checksum_type, headers")


def _upload_from_row(row: tuple) -> Upload:
    return Upload(upload_id=row[0], bucket=row[1], key=row[2], initiated=row[3], account_id=row[4],
                  storage_class=row[5], checksum_algorithm=row[6], checksum_type=row[7],
                  headers=json.loads(row[8]))


def _part_from_row(row: tuple) -> Part:
    return Part(part_number=row[0], size=row[1], etag=row[2], last_modified=row[3], checksum_value=row[4],
                blob_id=row[5])


class EventStore:
    """The outbox of event notifications awaiting delivery."""

    # Called (from the thread that committed: the writer's or the event loop's) once an enqueued
    # event is durable: the delivery loop's wake-up.
    on_enqueued: Callable[[], None] | None = None

    def __init__(self, db: Database):
        self.db = db

    @staticmethod
    def tx_enqueue(tx: Tx, event_id: str, destination: str, payload: str) -> None:
        tx.execute("INSERT INTO s3_events (event_id, destination, payload) VALUES (?, ?, ?)",
                   (event_id, destination, payload))
        if EventStore.on_enqueued is not None:
            tx.after_commit(EventStore.on_enqueued)

    def pending(self, limit: int, destination_prefix: str = "") -> list[tuple[str, str, str]]:
        """The oldest queued events (for destinations starting with `destination_prefix`)."""
        return [(event_id, destination, payload) for event_id, destination, payload in self.db.fetchall(
            "SELECT event_id, destination, payload FROM s3_events WHERE destination >= ? AND destination < ? "
            "ORDER BY event_id LIMIT ?", (destination_prefix, destination_prefix + "\uffff", limit))]

    async def acknowledge(self, event_ids: list[str]) -> None:
        def write(tx: Tx) -> None:
            tx.executemany("DELETE FROM s3_events WHERE event_id = ?", [(i,) for i in event_ids])

        await self.db.write(write)


class UploadStore:
    """Multipart uploads in progress and their parts."""

    def __init__(self, db: Database):
        self.db = db

    def completed_answer(self, upload_id: str, bucket: str, key: str) -> dict | None:
        """What CompleteMultipartUpload answered for this upload, if it completed in the last day."""
        row = self.db.fetchone("SELECT answer FROM s3_completed_uploads WHERE upload_id = ? AND bucket = ? AND key = ?",
                               (upload_id, bucket, key))
        return json.loads(row[0]) if row else None

    @staticmethod
    def tx_record_completion(tx: Tx, upload: Upload, now: float, answer: dict) -> None:
        """Keep a completed upload's answer for a day (AWS answers a retried completion the same
        way for a while; moto's aws_verified test_idempotent_multipart_upload), pruning older ones."""
        tx.execute("DELETE FROM s3_completed_uploads WHERE completed < ?", (now - COMPLETED_KEPT_SECONDS,))
        tx.execute("INSERT OR REPLACE INTO s3_completed_uploads (upload_id, bucket, key, completed, answer) "
                   "VALUES (?, ?, ?, ?, ?)", (upload.upload_id, upload.bucket, upload.key, now, json.dumps(answer)))

    def get_upload(self, upload_id: str) -> Upload | None:
        row = self.db.fetchone(f"SELECT {_UPLOAD_COLUMNS} FROM s3_uploads WHERE upload_id = ?", (upload_id,))
        return _upload_from_row(row) if row else None

    def list_uploads(self, bucket: str, key_marker: str, upload_marker: str, limit: int) -> list[Upload]:
        """Uploads after (key_marker, upload_marker) in (key, upload id) order."""
        rows = self.db.fetchall(
            f"SELECT {_UPLOAD_COLUMNS} FROM s3_uploads WHERE bucket = ? AND "
            "(key > ? OR (key = ? AND upload_id > ?)) ORDER BY key, upload_id LIMIT ?",
            (bucket, key_marker, key_marker, upload_marker, limit),
        )
        return [_upload_from_row(r) for r in rows]

    def list_parts(self, upload_id: str, after: int, limit: int) -> list[Part]:
        rows = self.db.fetchall(
            "SELECT part_number, size, etag, last_modified, checksum_value, blob_id FROM s3_parts "
            "WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?",
            (upload_id, after, limit),
        )
        return [_part_from_row(r) for r in rows]

    @staticmethod
    def tx_insert_upload(tx: Tx, upload: Upload) -> None:
        tx.execute(
            f"INSERT INTO s3_uploads ({_UPLOAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (upload.upload_id, upload.bucket, upload.key, upload.initiated, upload.account_id,
             upload.storage_class, upload.checksum_algorithm, upload.checksum_type, encode_headers(upload.headers)),
        )

    @staticmethod
    def tx_get_upload(tx: Tx, upload_id: str) -> Upload | None:
        row = tx.fetchone(f"SELECT {_UPLOAD_COLUMNS} FROM s3_uploads WHERE upload_id = ?", (upload_id,))
        return _upload_from_row(row) if row else None

    @staticmethod
    def tx_put_part(tx: Tx, upload_id: str, part: Part) -> str | None:
        """Store a part; returns the blob of the part it replaced, if any."""
        row = tx.fetchone("SELECT blob_id FROM s3_parts WHERE upload_id = ? AND part_number = ?",
                          (upload_id, part.part_number))
        tx.execute(
            "INSERT INTO s3_parts (upload_id, part_number, size, etag, last_modified, checksum_value, blob_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (upload_id, part_number) DO UPDATE SET "
            "size = excluded.size, etag = excluded.etag, last_modified = excluded.last_modified, "
            "checksum_value = excluded.checksum_value, blob_id = excluded.blob_id",
            (upload_id, part.part_number, part.size, part.etag, part.last_modified, part.checksum_value,
             part.blob_id),
        )
        return row[0] if row and row[0] != part.blob_id else None

    @staticmethod
    def tx_parts(tx: Tx, upload_id: str) -> dict[int, Part]:
        rows = tx.fetchall(
            "SELECT part_number, size, etag, last_modified, checksum_value, blob_id FROM s3_parts "
            "WHERE upload_id = ?", (upload_id,))
        return {r[0]: _part_from_row(r) for r in rows}

    @staticmethod
    def tx_finish_upload(tx: Tx, upload_id: str) -> None:
        """Forget an upload and its part rows (their blobs are the caller's to keep or unlink)."""
        tx.execute("DELETE FROM s3_parts WHERE upload_id = ?", (upload_id,))
        tx.execute("DELETE FROM s3_uploads WHERE upload_id = ?", (upload_id,))

    @staticmethod
    def tx_insert_object_parts(tx: Tx, bucket: str, key: str, parts: list[Part]) -> None:
        tx.executemany(
            "INSERT INTO s3_object_parts (bucket, key, part_number, size, checksum_value, blob_id) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(bucket, key, p.part_number, p.size, p.checksum_value, p.blob_id) for p in parts],
        )
