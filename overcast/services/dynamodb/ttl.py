"""Time to Live: UpdateTimeToLive/DescribeTimeToLive and the sweeper that deletes expired items.

The sweeper runs on the shared scheduler and reads the shared clock, so moving the clock
(/_overcast/clock) makes items expire at once. Each deletion goes to the stream with the
service principal as userIdentity, as DynamoDB writes it.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from overcast.server.context import RequestContext
from overcast.services.dynamodb import codec, store, streams
from overcast.services.dynamodb.errors import ValidationException
from overcast.services.dynamodb.models import Table
from overcast.storage.interface import Tx

log = logging.getLogger("overcast.dynamodb.ttl")
SWEEP_INTERVAL = 5.0
SWEEP_BATCH = 500
HISTORY_TRIM_INTERVAL = 3600.0
# DynamoDB leaves alone items whose expiry is more than five years in the past.
_TOO_OLD = 5 * 365 * 24 * 3600
# "It can take up to one hour for the change to fully process. Any additional UpdateTimeToLive
# calls for the same table during this one hour duration result in a ValidationException"
# (UpdateTimeToLive API reference); the clock is Overcast's, so tests move past it.
TTL_CHANGE_INTERVAL = 3600.0


class TtlMixin:
    def _start_ttl(self) -> None:
        scheduler = getattr(self.runtime, "scheduler", None)
        if scheduler is not None:
            scheduler.every(SWEEP_INTERVAL, self.sweep_expired)
            scheduler.every(HISTORY_TRIM_INTERVAL, self.trim_history)

    async def update_time_to_live(self, ctx: RequestContext, params: dict) -> dict:
        async with self._group_changes(ctx, params.get("TableName")):
            return await self._update_time_to_live(ctx, params)

    async def _update_time_to_live(self, ctx: RequestContext, params: dict) -> dict:
        table = self._table(ctx, params.get("TableName"), describe_style=True)
        spec = params.get("TimeToLiveSpecification") or {}
        enabled = bool(spec.get("Enabled"))
        name = spec.get("AttributeName")
        if not name:
            raise ValidationException(
                "1 validation error detected: Value null at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must not be null")
        current = table.ttl.get("Enabled", False)
        # While TTL is on, naming another attribute is refused whether enabling or disabling.
        if current and table.ttl.get("AttributeName") != name:
            raise ValidationException(
                f"TimeToLive is active on a different AttributeName: current AttributeName is {table.ttl.get('AttributeName')}")
        if enabled and current:
            raise ValidationException("TimeToLive is already enabled")
        if not enabled and not current:
            raise ValidationException("TimeToLive is already disabled")
        now = self._now()
        changed = table.ttl.get("ChangedAt")
        if changed is not None and 0 <= now - changed < TTL_CHANGE_INTERVAL:
            raise ValidationException("Time to live has been modified multiple times within a fixed interval")
        updated = replace(table, ttl={"Enabled": enabled, "AttributeName": name, "ChangedAt": now})
        group = self._with_group(updated)  # a global table's replicas take the setting too

        def write(tx: Tx) -> None:
            for member in group:
                store.save_table(tx, member)
            store.refresh_expiry(tx, updated)  # once: the group shares its items

        await self.db.write(write, bulk=True)  # every item's expiry is looked at
        self._put_group(group)
        return {"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": name}}

    def describe_time_to_live(self, ctx: RequestContext, params: dict) -> dict:
        table = self._table(ctx, params.get("TableName"), describe_style=True)
        if table.ttl.get("Enabled"):
            return {"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": table.ttl["AttributeName"]}}
        return {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}

    def sweep_expired(self, now: float) -> int:
        """Delete every item whose TTL has passed (called by the scheduler with the clock's time)."""
        deleted = 0
        swept: set[int] = set()
        for table in list(self._tables.values()):
            # A global table's items expire once, through any one member: the deletion goes to
            # every member's stream from there.
            if table.ttl.get("Enabled") and table.id not in swept:
                swept.add(table.id)
                while True:
                    count = self.db.write_blocking(lambda tx, t=table: _sweep_table(tx, t, now))
                    deleted += count
                    if count < SWEEP_BATCH:
                        break
        self.db.write_blocking(lambda tx: streams.trim(tx, now))
        return deleted

    def trim_history(self, now: float) -> None:
        """Drop point-in-time-recovery history that has left every table's recovery window."""
        from overcast.services.dynamodb.backups import earliest_restorable

        # A global table's members share one history, each keeping its own window over it: the
        # history is trimmed once, to the widest window (the earliest start) any member keeps.
        widest: dict[int, Table] = {}
        for table in list(self._tables.values()):
            if table.pitr.get("Enabled"):
                kept = widest.get(table.id)
                if kept is None or earliest_restorable(table, now) < earliest_restorable(kept, now):
                    widest[table.id] = table
        tables = list(widest.values())
        if tables:
            self.db.write_blocking(lambda tx: _trim_histories(tx, tables, now))


def _trim_histories(tx: Tx, tables: list[Table], now: float) -> None:
    from overcast.services.dynamodb.backups import trim_history

    for table in tables:
        trim_history(tx, table, now)


def _sweep_table(tx: Tx, table: Table, now: float) -> int:
    rows = tx.fetchall(
        "SELECT pk, sk, item FROM dynamodb_items WHERE table_id = ? AND expires IS NOT NULL AND expires <= ? AND expires >= ? "
        f"LIMIT {SWEEP_BATCH}", (table.id, now, now - _TOO_OLD))
    for pk, sk, text in rows:
        old = codec.loads(text)
        store.write_item(tx, table, pk, sk, old, None, now)
        keys = {name: old[name] for name in table.key_names}
        streams.append_record(tx, table, keys, old, None, now, streams.TTL_IDENTITY)
    return len(rows)
