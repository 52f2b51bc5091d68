"""WarmThroughput and OnDemandThroughput of tables and their global indexes.

Warm throughput is what a table or index can serve at once: a new on-demand one starts at 12,000
reads and 4,000 writes a second, a provisioned one at its capacity; it follows the highest capacity
ever provisioned and any value asked for, and never comes down ("Understanding DynamoDB warm
throughput", developer guide). DescribeTable shows it for the table and every global index.
On-demand throughput is the most an on-demand table or index may consume, as the request set it.

Both sit in the table's stored description: "WarmThroughput" as the high-water marks so far (the
shown values are at least what the capacity mode gives now), "OnDemandThroughput" as set.
"""

from __future__ import annotations

from typing import Any

from overcast.services.dynamodb.errors import invalid

ON_DEMAND_WARM = {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000}
_WARM_MEMBERS = ("ReadUnitsPerSecond", "WriteUnitsPerSecond")
_ON_DEMAND_MEMBERS = ("MaxReadRequestUnits", "MaxWriteRequestUnits")


def warm_throughput(entry: dict, on_demand: bool) -> dict[str, Any]:
    """What DescribeTable shows for a table's or a global index's description entry."""
    if on_demand:
        base = ON_DEMAND_WARM
    else:
        capacity = entry.get("ProvisionedThroughput") or {}
        base = {"ReadUnitsPerSecond": capacity.get("ReadCapacityUnits", 0),
                "WriteUnitsPerSecond": capacity.get("WriteCapacityUnits", 0)}
    stored = entry.get("WarmThroughput") or {}
    shown: dict[str, Any] = {m: max(base[m], stored.get(m, 0)) for m in _WARM_MEMBERS}
    shown["Status"] = "ACTIVE"
    return shown


def keep_warmth(entry: dict, on_demand: bool) -> None:
    """Record the warm throughput as it stands, before the entry's capacity changes (a decrease
    leaves it where it was)."""
    entry["WarmThroughput"] = {m: warm_throughput(entry, on_demand)[m] for m in _WARM_MEMBERS}


def ask_warmth(entry: dict, wanted: dict, on_demand: bool, owner: str) -> None:
    """A WarmThroughput a request asks for: higher or equal only."""
    current = warm_throughput(entry, on_demand)
    for member in _WARM_MEMBERS:
        value = wanted.get(member)
        if value is not None and value < current[member]:
            raise invalid(f"Requested {member} for WarmThroughput for {owner} is lower than current WarmThroughput, "
                          "decreasing WarmThroughput is not supported")
    entry["WarmThroughput"] = {m: max(current[m], wanted.get(m) or 0) for m in _WARM_MEMBERS}


def set_on_demand_limits(entry: dict, wanted: dict, on_demand: bool, owner: str) -> None:
    """OnDemandThroughput: each member given replaces the one kept (-1 removes it); positive
    values only. Kept for on-demand tables and indexes only."""
    for member in _ON_DEMAND_MEMBERS:
        value = wanted.get(member)
        if value is not None and value != -1 and value < 1:
            raise invalid(f"Requested {member} for OnDemandThroughput for {owner} is outside of valid range")
    if not on_demand:
        return
    limits = dict(entry.get("OnDemandThroughput") or {})
    for member in _ON_DEMAND_MEMBERS:
        value = wanted.get(member)
        if value == -1:
            limits.pop(member, None)
        elif value is not None:
            limits[member] = value
    if limits:
        entry["OnDemandThroughput"] = limits
    else:
        entry.pop("OnDemandThroughput", None)
