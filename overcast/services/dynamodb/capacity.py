"""ConsumedCapacity and ItemCollectionMetrics as DynamoDB reports them."""

from __future__ import annotations

import math
from typing import Any

from overcast.services.dynamodb.models import Table
from overcast.services.dynamodb.types import item_size


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2


def write_units(size: int) -> float:
    return float(max(1, math.ceil(size / 1024)))


def consumed(table: Table, units: float, mode: str | None, read: bool = False) -> dict[str, Any] | None:
    if mode not in ("TOTAL", "INDEXES"):
        return None
    body: dict[str, Any] = {"TableName": table.name, "CapacityUnits": units}
    if read:
        body["ReadCapacityUnits"] = units
    else:
        body["WriteCapacityUnits"] = units
    if mode == "INDEXES":
        body["Table"] = {"CapacityUnits": units, **({"ReadCapacityUnits": units} if read else {"WriteCapacityUnits": units})}
    return body


def write_capacity(table: Table, old: dict | None, new: dict | None, mode: str | None) -> dict | None:
    if mode not in ("TOTAL", "INDEXES"):
        return None  # sizing the items is the costly part; most requests ask for no capacity
    size = max(item_size(old) if old else 0, item_size(new) if new else 0)
    return consumed(table, write_units(size), mode)


def collection_metrics(table: Table, key: dict, mode: str | None) -> dict | None:
    if mode != "SIZE" or not table.description.get("LocalSecondaryIndexes"):
        return None
    return {"ItemCollectionKey": {table.hash_key: key[table.hash_key]}, "SizeEstimateRangeGB": [0.0, 1.0]}
