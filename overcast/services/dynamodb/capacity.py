"""ConsumedCapacity and ItemCollectionMetrics as DynamoDB reports them.

A request's capacity is what it used on the table plus what it used on each secondary index
(the Developer Guide's "Global secondary indexes" and "Local secondary indexes" chapters):

- reads through an index cost the index, by the size of the index entries read (the projected
  attributes), and the table only for attributes fetched from it (a local index queried beyond
  its projection);
- a write costs the table by the larger of the item before and after, and each index it changes
  one write per index entry put or deleted, by that entry's size: putting an item into an
  index, deleting it from one, updating the projected attributes of an entry whose index key
  stayed, or, when the index key changed, both a delete and a put. An index the write leaves
  alone (the item is in it neither before nor after, or nothing it projects changed) costs
  nothing.

TOTAL reports the sum; INDEXES adds the table's share under Table and each index's under
GlobalSecondaryIndexes or LocalSecondaryIndexes (an index read reports the table with 0 units).

Vector indexes are metered apart, in bytes (vectors.py): a write that changes a vector index's
entry reports its VectorWriteRequestBytes under VectorIndexes, with INDEXES only; the table's
units bill a vector attribute at its name and 4 bytes a dimension.
"""

from __future__ import annotations

import math
from typing import Any

from overcast.services.dynamodb import store, vectors
from overcast.services.dynamodb.models import IndexMeta, Table
from overcast.services.dynamodb.types import item_size

_MODES = ("TOTAL", "INDEXES")


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2


def write_units(size: int) -> float:
    return float(max(1, math.ceil(size / 1024)))


def wanted(mode: str | None) -> bool:
    """Whether the request asked for ConsumedCapacity (sizing items is the costly part)."""
    return mode in _MODES


READ, WRITE = 0, 1
_KIND_NAMES = ("ReadCapacityUnits", "WriteCapacityUnits")


class Tally:
    """The capacity one request used on one table and its indexes, item by item: read and
    write units apart (a PartiQL batch may do both), each reported when any was used."""

    __slots__ = ("table", "units", "indexes", "kinds", "vector_bytes")

    def __init__(self, table: Table) -> None:
        self.table = table
        self.units = [0.0, 0.0]  # the table's share: [read, write]
        self.indexes: dict[str, list[float]] = {}  # each index's share, the same way
        self.kinds = [False, False]  # which kinds were used
        self.vector_bytes: dict[str, float] = {}  # VectorWriteRequestBytes of each vector index

    def add(self, kind: int, units: float, index: str | None = None) -> None:
        self.kinds[kind] = True
        share = self.units if index is None else self.indexes.setdefault(index, [0.0, 0.0])
        share[kind] += units

    def add_read(self, size: int, consistent: bool, factor: float = 1.0) -> None:
        self.add(READ, factor * read_units(size, consistent))

    def add_write(self, old: dict | None, new: dict | None, factor: float = 1.0) -> None:
        """One item written (`old` replaced by `new`; None for absent). `factor` scales the
        table's share (a transaction's writes cost double). Index maintenance is not part of
        the transaction's two phases, so it is counted once (no source says either way)."""
        sized = vectors.billed_item_size if self.table.vector_indexes() else _plain_size
        self.add(WRITE, factor * write_units(max(sized(self.table, old) if old else 0, sized(self.table, new) if new else 0)))
        if self.table.vector_indexes():
            for name, size in vectors.write_request_bytes(self.table, old, new).items():
                self.vector_bytes[name] = self.vector_bytes.get(name, 0.0) + size
        for index in self.table.indexes():
            units = _index_write_units(self.table, index, old, new)
            if units:
                self.add(WRITE, units, index.name)

    def _capacity(self, share: list[float]) -> dict[str, float]:
        body = {"CapacityUnits": share[READ] + share[WRITE]}
        for kind in (READ, WRITE):
            if self.kinds[kind]:
                body[_KIND_NAMES[kind]] = share[kind]
        return body

    def report(self, mode: str | None) -> dict[str, Any] | None:
        if mode not in _MODES:
            return None
        total = [self.units[kind] + sum(share[kind] for share in self.indexes.values()) for kind in (READ, WRITE)]
        body: dict[str, Any] = {"TableName": self.table.name, **self._capacity(total)}
        if mode == "INDEXES":
            body["Table"] = self._capacity(self.units)
            for index in self.table.indexes():
                share = self.indexes.get(index.name)
                if share is not None:
                    group = "GlobalSecondaryIndexes" if index.is_global else "LocalSecondaryIndexes"
                    body.setdefault(group, {})[index.name] = self._capacity(share)
            if self.vector_bytes:
                body["VectorIndexes"] = {name: {"VectorWriteRequestBytes": size} for name, size in self.vector_bytes.items()}
        return body


def _plain_size(table: Table, item: dict) -> int:
    return item_size(item)


def tally_of(tallies: dict[int, Tally], table: Table) -> Tally:
    """The tally of `table` among a request's (one per table, in the order first met)."""
    tally = tallies.get(table.id)
    if tally is None:
        tally = tallies[table.id] = Tally(table)
    return tally


def consumed(table: Table, units: float, mode: str | None, read: bool = False,
             index: IndexMeta | None = None, table_units: float = 0.0) -> dict[str, Any] | None:
    """The report of `units` used on the table, or on `index` (then `table_units` is what
    fetching from the table added)."""
    if mode not in _MODES:
        return None
    tally = Tally(table)
    kind = READ if read else WRITE
    if index is None:
        tally.add(kind, units)
    else:
        tally.add(kind, table_units)
        tally.add(kind, units, index.name)
    return tally.report(mode)


def write_capacity(table: Table, old: dict | None, new: dict | None, mode: str | None) -> dict | None:
    if mode not in _MODES:
        return None
    tally = Tally(table)
    tally.add_write(old, new)
    return tally.report(mode)


def _index_write_units(table: Table, index: IndexMeta, old: dict | None, new: dict | None) -> float:
    before = _index_entry(table, index, old)
    after = _index_entry(table, index, new)
    if before is None:
        return write_units(item_size(after)) if after is not None else 0.0  # put into the index, or in it neither time
    if after is None:
        return write_units(item_size(before))  # deleted from the index
    if any(before.get(name) != after.get(name) for name in index.key_names):
        return write_units(item_size(before)) + write_units(item_size(after))  # moved: delete and put
    if before == after:
        return 0.0  # nothing the index holds changed
    return write_units(max(item_size(before), item_size(after)))  # projected attributes updated


def _index_entry(table: Table, index: IndexMeta, item: dict | None) -> dict | None:
    """The item as `index` holds it, or None when it is not in that (sparse) index."""
    if item is None or store.index_key_bytes(index, item, table.attribute_types) is None:
        return None
    return store.project_for_index(table, index, item)


def collection_metrics(table: Table, key: dict, mode: str | None) -> dict | None:
    if mode != "SIZE" or not table.description.get("LocalSecondaryIndexes"):
        return None
    return {"ItemCollectionKey": {table.hash_key: key[table.hash_key]}, "SizeEstimateRangeGB": [0.0, 1.0]}
