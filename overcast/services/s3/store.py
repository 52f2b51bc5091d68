"""How S3 persists: its tables and every query it runs.

Objects are keyed by (bucket, key) so that a listing is one index range scan from where the
previous page stopped, whatever the bucket's size. Small bodies live in the object row itself,
so one group commit makes an object durable; large bodies are blob files named by the row.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from overcast.protocol import jsoncodec
from overcast.services.s3.errors import NoSuchBucket
from overcast.services.s3.models import Bucket, StoredObject
from overcast.storage.interface import Database, Migration, Tx

NAMESPACE = "s3"
_DATETIME = "$datetime"

MIGRATIONS = [
    Migration(1, [
        """CREATE TABLE s3_buckets (
            name TEXT PRIMARY KEY,
            account_id TEXT NOT NULL,
            region TEXT NOT NULL,
            created REAL NOT NULL,
            config TEXT NOT NULL DEFAULT '{}'
        )""",
        "CREATE INDEX s3_buckets_by_account ON s3_buckets (account_id, name)",
        """CREATE TABLE s3_objects (
            bucket TEXT NOT NULL,
            key TEXT NOT NULL,
            size INTEGER NOT NULL,
            etag TEXT NOT NULL,
            last_modified REAL NOT NULL,
            storage_class TEXT NOT NULL,
            checksum_algorithm TEXT,
            checksum_value TEXT,
            headers TEXT NOT NULL,
            blob_id TEXT,
            body BLOB,
            PRIMARY KEY (bucket, key)
        )""",
        "CREATE INDEX s3_objects_by_blob ON s3_objects (blob_id) WHERE blob_id IS NOT NULL",
    ]),
    # Multipart uploads: parts in progress, and completed objects that are the sum of their parts
    # (their bytes stay in the parts' blobs: completing an upload copies nothing).
    Migration(2, [
        "ALTER TABLE s3_objects ADD COLUMN parts_count INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE s3_objects ADD COLUMN checksum_type TEXT",
        """CREATE TABLE s3_uploads (
            upload_id TEXT PRIMARY KEY,
            bucket TEXT NOT NULL,
            key TEXT NOT NULL,
            initiated REAL NOT NULL,
            account_id TEXT NOT NULL,
            storage_class TEXT NOT NULL,
            checksum_algorithm TEXT,
            checksum_type TEXT,
            headers TEXT NOT NULL
        )""",
        "CREATE INDEX s3_uploads_by_key ON s3_uploads (bucket, key, upload_id)",
        """CREATE TABLE s3_parts (
            upload_id TEXT NOT NULL,
            part_number INTEGER NOT NULL,
            size INTEGER NOT NULL,
            etag TEXT NOT NULL,
            last_modified REAL NOT NULL,
            checksum_value TEXT,
            blob_id TEXT NOT NULL,
            PRIMARY KEY (upload_id, part_number)
        )""",
        "CREATE INDEX s3_parts_by_blob ON s3_parts (blob_id)",
        """CREATE TABLE s3_object_parts (
            bucket TEXT NOT NULL,
            key TEXT NOT NULL,
            part_number INTEGER NOT NULL,
            size INTEGER NOT NULL,
            checksum_value TEXT,
            blob_id TEXT NOT NULL,
            PRIMARY KEY (bucket, key, part_number)
        )""",
        "CREATE INDEX s3_object_parts_by_blob ON s3_object_parts (blob_id)",
    ]),
    # Event notifications, written in the same transaction as the change they describe, so an
    # acknowledged change always has its event; a delivery loop drains them in order.
    Migration(3, [
        """CREATE TABLE s3_events (
            event_id TEXT PRIMARY KEY,
            destination TEXT NOT NULL,
            payload TEXT NOT NULL
        )""",
    ]),
    # Versioning: the current version stays in s3_objects (version_id NULL is the "null"
    # version); older ones move to s3_versions, ordered newest first by sort_id.
    Migration(4, [
        "ALTER TABLE s3_objects ADD COLUMN version_id TEXT",
        "ALTER TABLE s3_objects ADD COLUMN delete_marker INTEGER NOT NULL DEFAULT 0",
        """CREATE TABLE s3_versions (
            bucket TEXT NOT NULL,
            key TEXT NOT NULL,
            sort_id TEXT NOT NULL,
            version_id TEXT NOT NULL,
            size INTEGER NOT NULL,
            etag TEXT NOT NULL,
            last_modified REAL NOT NULL,
            storage_class TEXT NOT NULL,
            checksum_algorithm TEXT,
            checksum_value TEXT,
            headers TEXT NOT NULL,
            blob_id TEXT,
            parts_count INTEGER NOT NULL,
            checksum_type TEXT,
            delete_marker INTEGER NOT NULL,
            body BLOB,
            PRIMARY KEY (bucket, key, sort_id)
        )""",
        "CREATE INDEX s3_versions_by_id ON s3_versions (bucket, key, version_id)",
        "CREATE INDEX s3_versions_by_blob ON s3_versions (blob_id) WHERE blob_id IS NOT NULL",
        """CREATE TABLE s3_version_parts (
            bucket TEXT NOT NULL,
            key TEXT NOT NULL,
            version_id TEXT NOT NULL,
            part_number INTEGER NOT NULL,
            size INTEGER NOT NULL,
            checksum_value TEXT,
            blob_id TEXT NOT NULL,
            PRIMARY KEY (bucket, key, version_id, part_number)
        )""",
        "CREATE INDEX s3_version_parts_by_blob ON s3_version_parts (blob_id)",
    ]),
    # Completed multipart uploads' answers, so that CompleteMultipartUpload retried with the same
    # upload ID (an SDK retry after a timeout) answers as the first call did (upload_store.py).
    Migration(5, [
        """CREATE TABLE IF NOT EXISTS s3_completed_uploads (
            upload_id TEXT PRIMARY KEY,
            bucket TEXT NOT NULL,
            key TEXT NOT NULL,
            completed REAL NOT NULL,
            answer TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS s3_completed_uploads_by_time ON s3_completed_uploads (completed)",
    ]),
]

_OBJECT_COLUMNS = ("size, etag, last_modified, storage_class, checksum_algorithm, checksum_value, headers, blob_id, "
                   "parts_count, checksum_type, version_id, delete_marker")
_SELECT_OBJECT = f"SELECT {_OBJECT_COLUMNS} FROM s3_objects WHERE bucket = ? AND key = ?"
_SELECT_OBJECT_WITH_BODY = f"SELECT {_OBJECT_COLUMNS}, body FROM s3_objects WHERE bucket = ? AND key = ?"
_UPSERT_OBJECT = (
    "INSERT INTO s3_objects (bucket, key, size, etag, last_modified, storage_class, checksum_algorithm, "
    "checksum_value, headers, blob_id, body, parts_count, checksum_type, version_id, delete_marker) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (bucket, key) DO UPDATE SET size = excluded.size, etag = excluded.etag, "
    "last_modified = excluded.last_modified, storage_class = excluded.storage_class, "
    "checksum_algorithm = excluded.checksum_algorithm, checksum_value = excluded.checksum_value, "
    "headers = excluded.headers, blob_id = excluded.blob_id, body = excluded.body, "
    "parts_count = excluded.parts_count, checksum_type = excluded.checksum_type, "
    "version_id = excluded.version_id, delete_marker = excluded.delete_marker"
)
# Every column _UPSERT_OBJECT's update sets, by key.
_UPDATE_OBJECT = (
    "UPDATE s3_objects SET size = ?, etag = ?, last_modified = ?, storage_class = ?, checksum_algorithm = ?, "
    "checksum_value = ?, headers = ?, blob_id = ?, body = ?, parts_count = ?, checksum_type = ?, version_id = ?, "
    "delete_marker = ? WHERE bucket = ? AND key = ?"
)
# The bucket's configuration and the columns of versions.CURRENT_COLUMNS (all NULL when the
# key has no current version; etag is never NULL in a row).
_BUCKET_AND_CURRENT = (
    "SELECT b.config, o.etag, o.blob_id, o.parts_count, o.version_id, o.delete_marker, o.last_modified "
    "FROM s3_buckets AS b LEFT JOIN s3_objects AS o ON o.bucket = b.name AND o.key = ? WHERE b.name = ?"
)
_LIST_PAGE = (
    "SELECT key, size, etag, last_modified, storage_class, checksum_algorithm, checksum_type, delete_marker "
    "FROM s3_objects WHERE bucket = ? AND key > ? ORDER BY key LIMIT ?"
)
_LIST_PAGE_FROM = (
    "SELECT key, size, etag, last_modified, storage_class, checksum_algorithm, checksum_type, delete_marker "
    "FROM s3_objects WHERE bucket = ? AND key >= ? ORDER BY key LIMIT ?"
)


def _object_from_row(bucket: str, key: str, row: tuple) -> StoredObject:
    # Positional, in the order of StoredObject's fields (every read builds one: keywords cost
    # several times more): size, etag, last_modified, headers, checksum_algorithm,
    # checksum_value, storage_class, body, blob_id, parts_count, checksum_type, version_id,
    # delete_marker.
    return StoredObject(bucket, key, row[0], row[1], row[2], jsoncodec.loads_stored(row[6]), row[4], row[5], row[3],
                        row[12] if len(row) > 12 else None, row[7], row[8], row[9], row[10], bool(row[11]))


def _noncurrent(obj: StoredObject) -> StoredObject:
    obj.noncurrent = True
    if obj.version_id == "null":
        obj.version_id = None
    return obj


def _bucket_from_row(row: tuple) -> Bucket:
    return Bucket(name=row[0], account_id=row[1], region=row[2], created=row[3])


class S3Store:
    def __init__(self, db: Database):
        self.db = db
        # Every object request checks its bucket first; a bucket's row (name, owner, region,
        # creation time) never changes while it exists, so the check is served from memory and
        # spares the event loop a SQLite read (which hands the GIL to the writer thread and back).
        # Only positive answers are kept, and a delete forgets the name, so the cache can never
        # make a bucket appear; writes re-check the bucket inside their transaction anyway.
        self._buckets: dict[str, Bucket] = {}
        self._buckets_generation = 0  # bumped by every forget: a read that raced a delete is not kept
        # Each bucket's decoded configuration, for the same reason: every anonymous request and
        # every website GET consults it. Unlike the bucket row it does change, so every write of
        # it forgets the entry (before and after the commit) under a lock, and a read that began
        # before a forget never stores what it read. Callers must not change the dicts.
        self._configs: dict[str, dict[str, Any]] = {}
        self._configs_generation = 0
        self._configs_lock = threading.Lock()
        # What public_access.py derives from a configuration, with the configuration it came
        # from: valid while get_config still returns that very object.
        self.access_views: dict[str, tuple[dict[str, Any], Any]] = {}

    def migrate(self) -> None:
        self.db.migrate(NAMESPACE, MIGRATIONS)

    # ---- buckets (reads) ---------------------------------------------------------------------

    def get_bucket(self, name: str) -> Bucket | None:
        bucket = self._buckets.get(name)
        if bucket is not None and not self.db.commits_in_flight:  # see Database.commits_in_flight
            return bucket
        generation = self._buckets_generation
        row = self.db.fetchone("SELECT name, account_id, region, created FROM s3_buckets WHERE name = ?", (name,))
        if row is None:
            return None
        bucket = _bucket_from_row(row)
        if generation == self._buckets_generation:
            self._buckets[name] = bucket
        return bucket

    def _forget_bucket(self, name: str) -> None:
        self._buckets_generation += 1
        self._buckets.pop(name, None)

    def list_buckets(self, account_id: str, prefix: str, after: str, limit: int) -> list[Bucket]:
        rows = self.db.fetchall(
            "SELECT name, account_id, region, created FROM s3_buckets WHERE account_id = ? AND name > ? "
            "AND name >= ? ORDER BY name LIMIT ?",
            (account_id, after, prefix, limit),
        )
        return [_bucket_from_row(r) for r in rows if r[0].startswith(prefix)]

    def require_bucket(self, name: str) -> Bucket:
        bucket = self.get_bucket(name)
        if bucket is None:
            raise NoSuchBucket(name)
        return bucket

    def get_config(self, name: str) -> dict[str, Any] | None:
        """The bucket's sub-resource configurations (website, policy, cors, ...); None if no bucket.
        Shared and cached: the caller must not change it. The same object comes back until the
        configuration is written, so callers may key derived data on its identity."""
        config = self._configs.get(name)
        if config is not None and not self.db.commits_in_flight:  # see Database.commits_in_flight
            return config
        generation = self._configs_generation
        row = self.db.fetchone("SELECT config FROM s3_buckets WHERE name = ?", (name,))
        if row is None:
            return None
        config = decode_json(row[0])
        with self._configs_lock:
            if generation == self._configs_generation:
                self._configs[name] = config
        return config

    def recent_config(self, name: str) -> dict[str, Any] | None:
        """get_config, but read from the cache even while commits are in flight (no query per
        object write under write load); it may lag a configuration change by that commit. For
        checks a write's own transaction repeats or that only ever turn one way (Object Lock,
        once enabled, stays)."""
        config = self._configs.get(name)
        return config if config is not None else self.get_config(name)

    def versioning_ever_on(self, name: str) -> bool:
        """Whether the bucket's versioning is or was on. Read from the cached configuration even
        while commits are in flight: a GET's version header may lag a versioning change by the
        moment the change takes to commit, without a query per GET under write load."""
        config = self._configs.get(name)
        if config is None:
            config = self.get_config(name) or {}
        return bool(config.get("Versioning"))

    def _forget_config(self, name: str) -> None:
        with self._configs_lock:
            self._configs_generation += 1
            self._configs.pop(name, None)

    def tx_set_config(self, tx: Tx, name: str, section: str, value: Any) -> None:
        """Set (or with None remove) one section of the bucket's configuration."""
        row = tx.fetchone("SELECT config FROM s3_buckets WHERE name = ?", (name,))
        if row is None:
            raise NoSuchBucket(name)
        config = decode_json(row[0])
        if value is None:
            config.pop(section, None)
        else:
            config[section] = value
        tx.execute("UPDATE s3_buckets SET config = ? WHERE name = ?", (encode_headers(config), name))
        # Forgotten now and again once committed: a read between the two still sees the old row.
        self._forget_config(name)
        tx.on_visible(lambda: self._forget_config(name))

    def buckets_with_config(self, section: str) -> list[tuple[str, Any]]:
        """(bucket, section) for every bucket that has the section (lifecycle sweeps)."""
        rows = self.db.fetchall("SELECT name, config FROM s3_buckets WHERE config LIKE ?", (f'%"{section}"%',))
        out = []
        for name, text in rows:
            value = decode_json(text).get(section)
            if value is not None:
                out.append((name, value))
        return out

    def count_buckets(self) -> int:
        row = self.db.fetchone("SELECT COUNT(*) FROM s3_buckets")
        return int(row[0]) if row else 0

    # ---- buckets (inside a write) ------------------------------------------------------------

    @staticmethod
    def tx_get_bucket(tx: Tx, name: str) -> Bucket | None:
        row = tx.fetchone("SELECT name, account_id, region, created FROM s3_buckets WHERE name = ?", (name,))
        return _bucket_from_row(row) if row else None

    @staticmethod
    def tx_insert_bucket(tx: Tx, bucket: Bucket, config: dict[str, Any]) -> None:
        """A new bucket with its initial configuration (the defaults CreateBucket sets)."""
        tx.execute(
            "INSERT INTO s3_buckets (name, account_id, region, created, config) VALUES (?, ?, ?, ?, ?)",
            (bucket.name, bucket.account_id, bucket.region, bucket.created, encode_headers(config)),
        )

    @staticmethod
    def tx_bucket_is_empty(tx: Tx, name: str) -> bool:
        # Noncurrent versions and delete markers count: AWS wants every version gone first.
        return (tx.fetchone("SELECT 1 FROM s3_objects WHERE bucket = ? LIMIT 1", (name,)) is None
                and tx.fetchone("SELECT 1 FROM s3_versions WHERE bucket = ? LIMIT 1", (name,)) is None)

    def tx_delete_bucket(self, tx: Tx, name: str) -> None:
        tx.execute("DELETE FROM s3_buckets WHERE name = ?", (name,))
        # Forgotten now and again once committed: a read between the two still sees the old row.
        self._forget_deleted(name)
        tx.on_visible(lambda: self._forget_deleted(name))

    def _forget_deleted(self, name: str) -> None:
        self._forget_bucket(name)
        self._forget_config(name)
        self.access_views.pop(name, None)

    # ---- objects (reads) ---------------------------------------------------------------------

    def get_object(self, bucket: str, key: str, with_body: bool = False) -> StoredObject | None:
        """One statement, so that the metadata and an inline body come from one snapshot."""
        row = self.db.fetchone(_SELECT_OBJECT_WITH_BODY if with_body else _SELECT_OBJECT, (bucket, key))
        return _object_from_row(bucket, key, row) if row else None

    def list_after(self, bucket: str, marker: str, limit: int, inclusive: bool = False) -> list[tuple]:
        """Up to `limit` rows (key, size, etag, last_modified, storage_class, checksum_algorithm,
        checksum_type, delete_marker)
        with key > marker (>= when inclusive), in key order."""
        return self.db.fetchall(_LIST_PAGE_FROM if inclusive else _LIST_PAGE, (bucket, marker, limit))

    def blob_is_referenced(self, blob_id: str) -> bool:
        for table in ("s3_objects", "s3_object_parts", "s3_parts", "s3_versions", "s3_version_parts"):
            if self.db.fetchone(f"SELECT 1 FROM {table} WHERE blob_id = ?", (blob_id,)) is not None:
                return True
        return False

    def get_version_segments(self, bucket: str, key: str, version_id: str) -> list[tuple[int, int, str]]:
        rows = self.db.fetchall(
            "SELECT part_number, size, blob_id FROM s3_version_parts WHERE bucket = ? AND key = ? "
            "AND version_id = ? ORDER BY part_number", (bucket, key, version_id))
        return [(r[0], r[1], r[2]) for r in rows]

    def get_version(self, bucket: str, key: str, version_id: str, with_body: bool = False) -> StoredObject | None:
        """A noncurrent version by id ("null" for the null version)."""
        columns = _OBJECT_COLUMNS + (", body" if with_body else "")
        row = self.db.fetchone(
            f"SELECT {columns} FROM s3_versions WHERE bucket = ? AND key = ? AND version_id = ?",
            (bucket, key, version_id))
        if row is None:
            return None
        return _noncurrent(_object_from_row(bucket, key, row))

    def list_versions(self, bucket: str, key: str) -> list[StoredObject]:
        """Every noncurrent version of a key, newest first."""
        rows = self.db.fetchall(
            f"SELECT {_OBJECT_COLUMNS} FROM s3_versions WHERE bucket = ? AND key = ? ORDER BY sort_id",
            (bucket, key))
        return [_noncurrent(_object_from_row(bucket, key, row)) for row in rows]

    def keys_with_versions(self, bucket: str, start: str, inclusive: bool, limit: int) -> list[str]:
        """Keys that have a current or a noncurrent version, from `start`, in order."""
        op = ">=" if inclusive else ">"
        rows = self.db.fetchall(
            f"SELECT key FROM s3_objects WHERE bucket = ? AND key {op} ? UNION "
            f"SELECT key FROM s3_versions WHERE bucket = ? AND key {op} ? ORDER BY key LIMIT ?",
            (bucket, start, bucket, start, limit))
        return [r[0] for r in rows]

    def has_noncurrent_versions(self, bucket: str, key: str) -> bool:
        return self.db.fetchone("SELECT 1 FROM s3_versions WHERE bucket = ? AND key = ? LIMIT 1",
                                (bucket, key)) is not None

    def keys_with_noncurrent_versions(self, bucket: str, start: str, inclusive: bool, limit: int) -> list[str]:
        """Keys that have a noncurrent version (or delete marker), from `start`, in order."""
        op = ">=" if inclusive else ">"
        rows = self.db.fetchall(
            f"SELECT DISTINCT key FROM s3_versions WHERE bucket = ? AND key {op} ? ORDER BY key LIMIT ?",
            (bucket, start, limit))
        return [r[0] for r in rows]

    def get_segments(self, bucket: str, key: str, etag: str) -> list[tuple[int, int, str]] | None:
        """(part_number, size, blob_id) of a multipart object, in order; None when the object
        is no longer the one with this ETag (replaced since its row was read)."""
        rows = self.db.fetchall(
            "SELECT o.etag, p.part_number, p.size, p.blob_id FROM s3_objects o "
            "JOIN s3_object_parts p ON p.bucket = o.bucket AND p.key = o.key "
            "WHERE o.bucket = ? AND o.key = ? ORDER BY p.part_number",
            (bucket, key),
        )
        if not rows or rows[0][0] != etag:
            return None
        return [(r[1], r[2], r[3]) for r in rows]

    # ---- objects (inside a write) ------------------------------------------------------------

    @staticmethod
    def tx_get_object(tx: Tx, bucket: str, key: str) -> StoredObject | None:
        row = tx.fetchone(_SELECT_OBJECT, (bucket, key))
        return _object_from_row(bucket, key, row) if row else None

    @staticmethod
    def tx_release(tx: Tx, bucket: str, key: str) -> tuple[str, list[str]] | None:
        """Before an object is replaced or deleted: its ETag and the blob files that hold its
        bytes (to unlink once the change is durable), its part rows already removed.
        None when there is no object."""
        row = tx.fetchone("SELECT etag, blob_id, parts_count FROM s3_objects WHERE bucket = ? AND key = ?",
                          (bucket, key))
        if row is None:
            return None
        blobs = [row[1]] if row[1] else []
        if row[2]:
            blobs += [r[0] for r in tx.fetchall(
                "SELECT blob_id FROM s3_object_parts WHERE bucket = ? AND key = ?", (bucket, key))]
            tx.execute("DELETE FROM s3_object_parts WHERE bucket = ? AND key = ?", (bucket, key))
        return row[0], blobs

    @staticmethod
    def tx_require_bucket(tx: Tx, name: str) -> str:
        """Inside a write: the bucket may have been deleted since the request began. Returns
        its configuration (JSON text) as of this transaction."""
        row = tx.fetchone("SELECT config FROM s3_buckets WHERE name = ?", (name,))
        if row is None:
            raise NoSuchBucket(name)
        return row[0]

    @staticmethod
    def tx_require_bucket_and_current(tx: Tx, bucket: str, key: str) -> tuple[str, tuple | None]:
        """tx_require_bucket and the key's current version (the row versions.tx_replace takes)
        in one query: one statement fewer inside every object write."""
        row = tx.fetchone(_BUCKET_AND_CURRENT, (key, bucket))
        if row is None:
            raise NoSuchBucket(bucket)
        return row[0], (row[1:] if row[1] is not None else None)

    @staticmethod
    def tx_put_object(tx: Tx, obj: StoredObject) -> None:
        tx.execute(_UPSERT_OBJECT, (
            obj.bucket, obj.key, obj.size, obj.etag, obj.last_modified, obj.storage_class,
            obj.checksum_algorithm, obj.checksum_value, encode_headers(obj.headers), obj.blob_id,
            obj.body if obj.blob_id is None and not obj.parts_count else None, obj.parts_count, obj.checksum_type,
            obj.version_id, int(obj.delete_marker),
        ))

    @staticmethod
    def tx_update_object(tx: Tx, obj: StoredObject) -> None:
        """tx_put_object for a key whose current row is known to exist in this transaction: a
        plain UPDATE, which SQLite runs for less than the upsert's failed insert and update."""
        tx.execute(_UPDATE_OBJECT, (
            obj.size, obj.etag, obj.last_modified, obj.storage_class, obj.checksum_algorithm, obj.checksum_value,
            encode_headers(obj.headers), obj.blob_id,
            obj.body if obj.blob_id is None and not obj.parts_count else None, obj.parts_count, obj.checksum_type,
            obj.version_id, int(obj.delete_marker), obj.bucket, obj.key,
        ))

    @staticmethod
    def tx_set_object_header(tx: Tx, bucket: str, key: str, name: str, value: Any,
                             version_id: str | None = None) -> tuple[str, str | None]:
        """Set (None: remove) one entry of the stored headers of an object, or of the version
        named. Returns "ok", "missing" (no such object or version) or "delete-marker", and the
        version id of the row found (None for the null version of a never-versioned key)."""

        def change(headers: dict[str, Any]) -> None:
            if value is None:
                headers.pop(name, None)
            else:
                headers[name] = value

        return S3Store.tx_change_object_headers(tx, bucket, key, change, version_id)

    @staticmethod
    def tx_change_object_headers(tx: Tx, bucket: str, key: str, change: Callable[[dict[str, Any]], None],
                                 version_id: str | None = None) -> tuple[str, str | None]:
        """tx_set_object_header with `change` given the stored headers to edit in place (it may
        raise, to refuse the change, which then writes nothing)."""
        row = tx.fetchone("SELECT headers, version_id, delete_marker FROM s3_objects WHERE bucket = ? AND key = ?",
                          (bucket, key))
        table, where = "s3_objects", "bucket = ? AND key = ?"
        args: tuple[str, ...] = (bucket, key)
        if version_id is not None and (row is None or (row[1] or "null") != version_id):
            row = tx.fetchone("SELECT headers, version_id, delete_marker FROM s3_versions "
                              "WHERE bucket = ? AND key = ? AND version_id = ?", (bucket, key, version_id))
            table, where, args = "s3_versions", "bucket = ? AND key = ? AND version_id = ?", (bucket, key, version_id)
        if row is None:
            return "missing", None
        if row[2]:
            return "delete-marker", row[1]
        headers = json.loads(row[0])
        change(headers)
        tx.execute(f"UPDATE {table} SET headers = ? WHERE {where}", (encode_headers(headers), *args))
        return "ok", row[1]

    @staticmethod
    def tx_version_headers(tx: Tx, bucket: str, key: str, version_id: str) -> dict[str, Any] | None:
        """The stored headers of the version named (current or not); None when there is no such
        version or it is a delete marker (which nothing locks)."""
        row = tx.fetchone("SELECT headers, version_id, delete_marker FROM s3_objects WHERE bucket = ? AND key = ?",
                          (bucket, key))
        if row is None or (row[1] or "null") != version_id:
            row = tx.fetchone("SELECT headers, version_id, delete_marker FROM s3_versions "
                              "WHERE bucket = ? AND key = ? AND version_id = ?", (bucket, key, version_id))
        if row is None or row[2]:
            return None
        headers: dict[str, Any] = json.loads(row[0])
        return headers

    @staticmethod
    def tx_delete_object(tx: Tx, bucket: str, key: str) -> list[str] | None:
        """Delete the object; returns the blob files to unlink after the commit (None: there
        was no object)."""
        released = S3Store.tx_release(tx, bucket, key)
        if released is None:
            return None
        tx.execute("DELETE FROM s3_objects WHERE bucket = ? AND key = ?", (bucket, key))
        return released[1]


def _encode_extra(value: Any) -> Any:
    # Configurations may hold timestamps (lifecycle dates): kept as epoch seconds, tagged.
    if isinstance(value, datetime):
        return {_DATETIME: value.timestamp()}
    raise TypeError(f"cannot store {type(value).__name__}")


def _decode_extra(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and _DATETIME in obj:
        return datetime.fromtimestamp(obj[_DATETIME], UTC)
    return obj


def encode_headers(headers: dict[str, Any]) -> str:
    return jsoncodec.dumps(headers, default=_encode_extra).decode("utf-8")


def decode_json(text: str) -> Any:
    return json.loads(text, object_hook=_decode_extra)
