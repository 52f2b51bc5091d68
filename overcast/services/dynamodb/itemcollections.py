"""Item collections: in a table with local secondary indexes, the items sharing a partition key
value and their LSI entries may hold at most 10 GB together; a write that would grow one past
that fails with ItemCollectionSizeLimitExceededException.

Each collection's size is kept in a row updated by every write to such a table, so that the check
costs one lookup however large the collection grows. A collection with no row yet (written
before this bookkeeping existed) is measured once, on its next write.
"""

from __future__ import annotations

import os

from overcast.services.dynamodb.errors import ItemCollectionSizeLimitExceededException
from overcast.services.dynamodb.keys import scan_hash
from overcast.services.dynamodb.models import IndexMeta, Table
from overcast.storage.interface import Tx

# DynamoDB's limit; the variable exists so that tests can reach the limit without writing 10 GB.
LIMIT_BYTES = int(os.environ.get("OVERCAST_DYNAMODB_ITEM_COLLECTION_LIMIT", 10 * 1024 ** 3))
MESSAGE = "Collection size exceeded."

_UPSERT = ("INSERT INTO dynamodb_collections (table_id, pk, size) VALUES (?, ?, ?) "
           "ON CONFLICT (table_id, pk) DO UPDATE SET size = excluded.size")


def local_indexes(table: Table) -> list[IndexMeta]:
    return [index for index in table.indexes() if not index.is_global]


def account(tx: Tx, table: Table, pk: bytes, delta: int) -> None:
    """Add `delta` bytes (already written) to the collection of `pk`; refuse growth past the limit."""
    row = tx.fetchone("SELECT size FROM dynamodb_collections WHERE table_id = ? AND pk = ?", (table.id, pk))
    total = _measure(tx, table, pk) if row is None else row[0] + delta
    if total <= 0:
        tx.execute("DELETE FROM dynamodb_collections WHERE table_id = ? AND pk = ?", (table.id, pk))
    else:
        tx.execute(_UPSERT, (table.id, pk, total))
    if delta > 0 and total > LIMIT_BYTES:
        # Raised inside the write's transaction, so everything the write changed is rolled back.
        raise ItemCollectionSizeLimitExceededException(MESSAGE)


def _measure(tx: Tx, table: Table, pk: bytes) -> int:
    row = tx.fetchone("SELECT COALESCE(SUM(size), 0) FROM dynamodb_items WHERE table_id = ? AND shash = ? AND pk = ?",
                      (table.id, scan_hash(pk), pk))
    total = row[0] if row else 0
    for index in local_indexes(table):
        # A local index shares the table's partition key, so its rows of this collection have ipk = pk.
        row = tx.fetchone("SELECT COALESCE(SUM(size), 0) FROM dynamodb_index_items "
                          "WHERE table_id = ? AND index_name = ? AND ipk = ?", (table.id, index.name, pk))
        total += row[0] if row else 0
    return total
