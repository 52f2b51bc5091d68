"""How DynamoDB state persists: one items table for all tables, keyed so that SQLite's BLOB
order is DynamoDB's order, plus index rows, stream records, backups and idempotency tokens.

Every Query and Scan walks a primary-key or index range with a LIMIT, so its cost grows with
the page it returns, not with the table.
"""

from __future__ import annotations

from typing import Any

from overcast.services.dynamodb import codec, itemcollections, vectors
from overcast.services.dynamodb.keys import encode_key_tuple, encode_key_value, scan_hash
from overcast.services.dynamodb.models import IndexMeta, Table
from overcast.services.dynamodb.types import item_size
from overcast.storage.interface import Migration, Tx

MIGRATIONS = [
    Migration(1, [
        """CREATE TABLE dynamodb_tables (
            id INTEGER PRIMARY KEY,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            name TEXT NOT NULL,
            meta TEXT NOT NULL,
            UNIQUE (account, region, name))""",
        """CREATE TABLE dynamodb_items (
            table_id INTEGER NOT NULL,
            pk BLOB NOT NULL,
            sk BLOB NOT NULL,
            shash INTEGER NOT NULL,
            size INTEGER NOT NULL,
            expires REAL,
            item TEXT NOT NULL,
            PRIMARY KEY (table_id, pk, sk))""",
        "CREATE INDEX dynamodb_items_scan ON dynamodb_items (table_id, shash, pk, sk)",
        "CREATE INDEX dynamodb_items_ttl ON dynamodb_items (table_id, expires) WHERE expires IS NOT NULL",
        """CREATE TABLE dynamodb_index_items (
            table_id INTEGER NOT NULL,
            index_name TEXT NOT NULL,
            ipk BLOB NOT NULL,
            isk BLOB NOT NULL,
            pk BLOB NOT NULL,
            sk BLOB NOT NULL,
            size INTEGER NOT NULL,
            item TEXT NOT NULL,
            PRIMARY KEY (table_id, index_name, ipk, isk, pk, sk))""",
        """CREATE TABLE dynamodb_streams (
            stream_arn TEXT PRIMARY KEY,
            table_id INTEGER NOT NULL,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            table_name TEXT NOT NULL,
            created REAL NOT NULL,
            disabled REAL,
            meta TEXT NOT NULL)""",
        """CREATE TABLE dynamodb_stream_records (
            stream_arn TEXT NOT NULL,
            seq INTEGER NOT NULL,
            created REAL NOT NULL,
            record TEXT NOT NULL,
            PRIMARY KEY (stream_arn, seq))""",
        """CREATE TABLE dynamodb_tokens (
            account TEXT NOT NULL,
            token TEXT NOT NULL,
            created REAL NOT NULL,
            digest TEXT NOT NULL,
            PRIMARY KEY (account, token))""",
        """CREATE TABLE dynamodb_item_history (
            table_id INTEGER NOT NULL,
            pk BLOB NOT NULL,
            sk BLOB NOT NULL,
            changed REAL NOT NULL,
            item TEXT,
            PRIMARY KEY (table_id, pk, sk, changed))""",
        """CREATE TABLE dynamodb_backups (
            arn TEXT PRIMARY KEY,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            table_name TEXT NOT NULL,
            created REAL NOT NULL,
            meta TEXT NOT NULL)""",
        """CREATE TABLE dynamodb_backup_items (
            backup_arn TEXT NOT NULL,
            pk BLOB NOT NULL,
            sk BLOB NOT NULL,
            item TEXT NOT NULL,
            PRIMARY KEY (backup_arn, pk, sk))""",
    ]),
    # The size of each item collection of tables with local secondary indexes (itemcollections.py).
    Migration(2, [
        """CREATE TABLE dynamodb_collections (
            table_id INTEGER NOT NULL,
            pk BLOB NOT NULL,
            size INTEGER NOT NULL,
            PRIMARY KEY (table_id, pk))""",
    ]),
    # Items keyed by (table, scan hash, partition, sort) alone: the primary key index serves
    # GetItem and Query (the scan hash is a function of the partition key, so a partition is one
    # contiguous run) and Scan order, so the separate scan index goes. Every item write then
    # touches one index leaf instead of two: about a quarter less writer time and WAL.
    Migration(3, [
        """CREATE TABLE dynamodb_items_v3 (
            table_id INTEGER NOT NULL,
            pk BLOB NOT NULL,
            sk BLOB NOT NULL,
            shash INTEGER NOT NULL,
            size INTEGER NOT NULL,
            expires REAL,
            item TEXT NOT NULL,
            PRIMARY KEY (table_id, shash, pk, sk))""",
        "INSERT INTO dynamodb_items_v3 (table_id, pk, sk, shash, size, expires, item) "
        "SELECT table_id, pk, sk, shash, size, expires, item FROM dynamodb_items ORDER BY table_id, shash, pk, sk",
        "DROP TABLE dynamodb_items",
        "ALTER TABLE dynamodb_items_v3 RENAME TO dynamodb_items",
        "CREATE INDEX dynamodb_items_ttl ON dynamodb_items (table_id, expires) WHERE expires IS NOT NULL",
    ]),
    # Idempotency tokens by age: the once-a-minute pruning of tokens past their ten minutes
    # deletes a range instead of scanning every token (a million of them under a sustained load
    # of a few thousand transactions a second) on the writer. New tokens append at its end.
    Migration(4, [
        "CREATE INDEX IF NOT EXISTS dynamodb_tokens_created ON dynamodb_tokens (created)",
    ]),
    # The highest sequence number trimmed from each stream: once a quiet stream's records have
    # all passed their 24 hours, the next record still numbers after them (sequence numbers only
    # grow; a consumer resuming after its last one must not skip the new ones).
    Migration(5, [
        """CREATE TABLE IF NOT EXISTS dynamodb_stream_trims (
            stream_arn TEXT PRIMARY KEY,
            seq INTEGER NOT NULL)""",
    ]),
    # Vector index entries (vectors.py): keyed by the search schema's HASH value (empty without
    # one), so that SearchVectors reads one partition's rows; the vector packed as float32.
    Migration(6, [
        """CREATE TABLE IF NOT EXISTS dynamodb_vector_items (
            table_id INTEGER NOT NULL,
            index_name TEXT NOT NULL,
            vhash BLOB NOT NULL,
            pk BLOB NOT NULL,
            sk BLOB NOT NULL,
            vector BLOB NOT NULL,
            size INTEGER NOT NULL,
            item TEXT NOT NULL,
            PRIMARY KEY (table_id, index_name, vhash, pk, sk))""",
    ]),
]


# -- tables

def table_from_row(row: tuple) -> Table:
    row_id, account, region, name, meta = row
    data = codec.meta_loads(meta)
    # A replica's items are those of the table it was made from ("data_id"); tables stored before
    # a member existed load without it (its default).
    data_id = data.get("data_id", row_id)
    return Table(data_id, account, region, name, data["description"], data.get("tags", {}),
                 data.get("ttl", {}), data.get("pitr", {}), data.get("policies", {}), data.get("insights", {}),
                 row_id=None if data_id == row_id else row_id, replication=data.get("replication", {}))


def table_meta(table: Table) -> str:
    meta: dict[str, Any] = {"description": table.description, "tags": table.tags, "ttl": table.ttl, "pitr": table.pitr,
            "policies": table.policies, "insights": table.insights}
    if table.row_id is not None:
        meta["data_id"] = table.id
    if table.replication:
        meta["replication"] = table.replication
    return codec.meta_dumps(meta)


TABLE_COLUMNS = "id, account, region, name, meta"


# Where a table's id keys rows: a new table's id is past every one of them, so that rows left
# under a deleted table's id (written by a database from before DeleteTable closed the door on
# writes in flight) never become a new table's items, nor a deleted table's stream, kept a day,
# the new table's. Each MAX reads one end of a primary key, but the streams' (a row a stream).
_ID_HOLDERS = ("dynamodb_items", "dynamodb_index_items", "dynamodb_item_history", "dynamodb_collections",
               "dynamodb_vector_items", "dynamodb_streams")


def insert_table(tx: Tx, table: Table) -> int:
    """Store a new table's metadata row and return its id. SQLite would hand a deleted table's
    id (the largest) to the next table, so the id is chosen here, never reused."""
    highest = 0
    for column, holder in (("id", "dynamodb_tables"), *(("table_id", h) for h in _ID_HOLDERS)):
        row = tx.fetchone(f"SELECT MAX({column}) FROM {holder}")
        highest = max(highest, (row[0] if row else None) or 0)
    table_id = highest + 1
    tx.execute("INSERT INTO dynamodb_tables (id, account, region, name, meta) VALUES (?, ?, ?, ?, ?)",
               (table_id, table.account, table.region, table.name, table_meta(table)))
    return table_id


def save_table(tx: Tx, table: Table) -> None:
    tx.execute("UPDATE dynamodb_tables SET meta = ? WHERE id = ?", (table_meta(table), table.meta_id))


def drop_table_row(tx: Tx, table: Table) -> None:
    """Forget the table's own metadata, leaving its items (a replica's group still holds them)."""
    tx.execute("DELETE FROM dynamodb_tables WHERE id = ?", (table.meta_id,))


def drop_table(tx: Tx, table: Table) -> None:
    drop_table_row(tx, table)
    tx.execute("DELETE FROM dynamodb_items WHERE table_id = ?", (table.id,))
    tx.execute("DELETE FROM dynamodb_index_items WHERE table_id = ?", (table.id,))
    tx.execute("DELETE FROM dynamodb_item_history WHERE table_id = ?", (table.id,))
    tx.execute("DELETE FROM dynamodb_collections WHERE table_id = ?", (table.id,))
    vectors.drop(tx, table.id)


# -- keys

def key_bytes(table: Table, item: dict) -> tuple[bytes, bytes]:
    value = item[table.hash_key]
    text = value.get("S")  # the usual key, encoded here without a call
    pk = text.encode("utf-8") if text is not None else encode_key_value(value)
    range_key = table.range_key
    sk = encode_key_value(item[range_key]) if range_key else b""
    return pk, sk


def index_key_bytes(index: IndexMeta, item: dict, types: dict[str, str]) -> tuple[bytes, bytes] | None:
    """The index keys of an item, or None when the item is not in the (sparse) index: an item
    lacking any of the index's key attributes, or holding one of another type, is left out."""
    values = []
    for name in index.key_names:
        value = item.get(name)
        if value is None or types.get(name) not in value:
            return None
        values.append(value)
    split = len(index.hash_keys)
    return encode_key_tuple(values[:split]), encode_key_tuple(values[split:])


def projected_names(table: Table, index: IndexMeta) -> set[str]:
    """The attributes a KEYS_ONLY or INCLUDE index holds: the table's keys, its own, and the
    included ones."""
    names = set(table.key_names) | set(index.key_names)
    if index.projection_type == "INCLUDE":
        names.update(index.non_key_attributes)
    return names


def project_for_index(table: Table, index: IndexMeta, item: dict) -> dict:
    if index.projection_type == "ALL":
        return item
    keep = projected_names(table, index)
    return {k: v for k, v in item.items() if k in keep}


# -- items (inside a write)

def expiry(table: Table, item: dict) -> float | None:
    """The item's TTL as epoch seconds when the table has TTL on and the attribute is a number."""
    if not table.ttl.get("Enabled"):
        return None
    value = item.get(table.ttl.get("AttributeName", ""))
    if value is None or "N" not in value:
        return None
    try:
        return float(value["N"])
    except (ValueError, OverflowError):
        return None


def refresh_expiry(tx: Tx, table: Table) -> None:
    """Recompute every item's expiry after TTL was switched on, off, or to another attribute."""
    rows = tx.fetchall("SELECT pk, sk, item FROM dynamodb_items WHERE table_id = ?", (table.id,))
    for pk, sk, text in rows:
        tx.execute("UPDATE dynamodb_items SET expires = ? WHERE table_id = ? AND shash = ? AND pk = ? AND sk = ?",
                   (expiry(table, codec.loads(text)), table.id, scan_hash(pk), pk, sk))

_UPSERT_ITEM = (
    "INSERT INTO dynamodb_items (table_id, pk, sk, shash, size, expires, item) VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (table_id, shash, pk, sk) DO UPDATE SET size = excluded.size, expires = excluded.expires, item = excluded.item")
_UPSERT_HISTORY = (
    "INSERT INTO dynamodb_item_history (table_id, pk, sk, changed, item) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (table_id, pk, sk, changed) DO UPDATE SET item = excluded.item")
_UPSERT_INDEX_ITEM = (
    "INSERT INTO dynamodb_index_items (table_id, index_name, ipk, isk, pk, sk, size, item) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (table_id, index_name, ipk, isk, pk, sk) "
    "DO UPDATE SET size = excluded.size, item = excluded.item")


def is_plain(table: Table) -> bool:
    """Whether storing an item in the table is one items row and nothing else (no index rows,
    history or stream records), so that several such writes can share one statement."""
    return (not table.indexes() and table.stream_spec is None and not table.keeps_history
            and not table.vector_indexes())


# The same upsert for an item without an expiry: no NULL to bind.
_UPSERT_UNEXPIRING_ITEM = (
    "INSERT INTO dynamodb_items (table_id, pk, sk, shash, size, item) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (table_id, shash, pk, sk) DO UPDATE SET size = excluded.size, expires = NULL, item = excluded.item")


def upsert_row(table: Table, pk: bytes, sk: bytes, new: dict, text: str, size: int | None) -> tuple:
    """The parameters of _UPSERT_ITEM, or of _UPSERT_UNEXPIRING_ITEM (one fewer) when the item
    has no expiry. Keys are bound as bytearrays: Python's sqlite3 binds those directly, while
    bytes and None first go through its adapter lookup (about 1,700 instructions each); the
    stored BLOB is the same."""
    expires = expiry(table, new) if table.ttl else None
    if size is None:
        size = item_size(new)
    if expires is None:
        return (table.id, bytearray(pk), bytearray(sk), scan_hash(pk), size, text)
    return (table.id, bytearray(pk), bytearray(sk), scan_hash(pk), size, expires, text)


def _upsert_sql(row: tuple) -> str:
    return _UPSERT_UNEXPIRING_ITEM if len(row) == 6 else _UPSERT_ITEM


def upsert_plain_items(tx: Tx, rows: list[tuple]) -> None:
    """Store the items of plain tables (see is_plain), rows from upsert_row for distinct keys,
    in one statement (two when some items expire and others do not)."""
    unexpiring = [row for row in rows if len(row) == 6]
    if len(unexpiring) == len(rows):
        tx.executemany(_UPSERT_UNEXPIRING_ITEM, rows)
        return
    if unexpiring:
        tx.executemany(_UPSERT_UNEXPIRING_ITEM, unexpiring)
    tx.executemany(_UPSERT_ITEM, [row for row in rows if len(row) == 7])


# One item by its key; the scan hash leads the primary key (see migration 3).
ITEM_BY_KEY = "SELECT item FROM dynamodb_items WHERE table_id = ? AND shash = ? AND pk = ? AND sk = ?"


def read_item(tx: Tx, table: Table, pk: bytes, sk: bytes) -> dict | None:
    row = tx.fetchone(ITEM_BY_KEY, (table.id, scan_hash(pk), pk, sk))
    return codec.loads(row[0]) if row else None


def write_item(tx: Tx, table: Table, pk: bytes, sk: bytes, old: dict | None, new: dict | None, now: float,
               new_size: int | None = None, text: str | None = None) -> None:
    """Replace (or delete, when new is None) one item and keep its index rows (and, with
    point-in-time recovery on, its history) in step. `text` is the new item already encoded."""
    if new is not None and text is None:
        text = codec.dumps(new)
    if table.keeps_history:
        tx.execute(_UPSERT_HISTORY, (table.id, pk, sk, now, text))
    if new is None:
        tx.execute("DELETE FROM dynamodb_items WHERE table_id = ? AND shash = ? AND pk = ? AND sk = ?",
                   (table.id, scan_hash(pk), pk, sk))
    else:
        assert text is not None, "encoded above"
        row = upsert_row(table, pk, sk, new, text, new_size)
        tx.execute(_upsert_sql(row), row)
    if table.vector_indexes():
        vectors.write_rows(tx, table, pk, sk, old, new)
    indexes = table.indexes()
    if not indexes:
        return
    types = table.attribute_types
    # Bytes the item collection grows by (tables with local indexes only; None: not counted).
    growth: int | None = None
    if any(not index.is_global for index in indexes):
        new_bytes = 0 if new is None else (item_size(new) if new_size is None else new_size)
        growth = new_bytes - (item_size(old) if old else 0)
    for index in indexes:
        old_keys = index_key_bytes(index, old, types) if old else None
        new_keys = index_key_bytes(index, new, types) if new else None
        if old_keys and old_keys != new_keys:
            tx.execute(
                "DELETE FROM dynamodb_index_items WHERE table_id = ? AND index_name = ? AND ipk = ? AND isk = ? AND pk = ? AND sk = ?",
                (table.id, index.name, old_keys[0], old_keys[1], pk, sk))
        if growth is not None and old is not None and old_keys and not index.is_global:
            growth -= item_size(project_for_index(table, index, old))
        if new_keys and new:
            projected = project_for_index(table, index, new)
            size = item_size(projected)
            tx.execute(_UPSERT_INDEX_ITEM,
                       (table.id, index.name, new_keys[0], new_keys[1], pk, sk, size, codec.dumps(projected)))
            if growth is not None and not index.is_global:
                growth += size
    if growth is not None:
        itemcollections.account(tx, table, pk, growth)


def backfill_index(tx: Tx, table: Table, index: IndexMeta) -> None:
    types = table.attribute_types
    rows = tx.fetchall("SELECT pk, sk, item FROM dynamodb_items WHERE table_id = ?", (table.id,))
    for pk, sk, text in rows:
        item = codec.loads(text)
        keys = index_key_bytes(index, item, types)
        if keys:
            projected = project_for_index(table, index, item)
            tx.execute(_UPSERT_INDEX_ITEM,
                       (table.id, index.name, keys[0], keys[1], pk, sk, item_size(projected), codec.dumps(projected)))


def drop_index(tx: Tx, table: Table, index_name: str) -> None:
    tx.execute("DELETE FROM dynamodb_index_items WHERE table_id = ? AND index_name = ?", (table.id, index_name))
