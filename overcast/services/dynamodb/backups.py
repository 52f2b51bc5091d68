"""On-demand backups and point-in-time recovery.

A backup copies the table's item rows; restoring writes them into a new table (index rows
rebuilt). Point-in-time recovery keeps every item's states (item history, written in the same
transaction as each change) from the moment it is enabled, so a restore can pick the state of
every item as it was at any second of the window.
"""

from __future__ import annotations

import copy
import hashlib
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.dynamodb import codec, store, vectors
from overcast.services.dynamodb.errors import (
    BackupNotFoundException,
    InvalidRestoreTimeException,
    PointInTimeRecoveryUnavailableException,
    TableAlreadyExistsException,
    TableNotFoundException,
    ValidationException,
    invalid,
)
from overcast.services.dynamodb.indexspecs import check_global_index_schema
from overcast.services.dynamodb.models import Table
from overcast.services.dynamodb.requests import checked_limit
from overcast.services.dynamodb.tables import (
    billing_mode,
    check_name,
    check_table_name,
    leave_on_demand,
    sse_description,
    timestamp,
)
from overcast.storage.interface import Tx

DEFAULT_RECOVERY_DAYS = 35


def _backup_arn(table: Table, now: float) -> str:
    suffix = hashlib.sha1(f"{table.arn}{now}".encode()).hexdigest()[:8]
    return f"{table.arn}/backup/{int(now * 1000):017d}-{suffix}"


def _details(meta: dict) -> dict:
    return {"BackupArn": meta["BackupArn"], "BackupName": meta["BackupName"], "BackupSizeBytes": meta["BackupSizeBytes"],
            "BackupStatus": "AVAILABLE", "BackupType": "USER", "BackupCreationDateTime": timestamp(meta["Created"])}


def _source_details(meta: dict) -> dict:
    table = meta["Table"]
    billing = billing_mode(table)
    throughput = table["ProvisionedThroughput"]
    return {"TableName": table["TableName"], "TableId": table["TableId"], "TableArn": table["TableArn"],
            "TableSizeBytes": meta["BackupSizeBytes"], "KeySchema": table["KeySchema"],
            "TableCreationDateTime": timestamp(table["CreationDateTime"]),
            "ProvisionedThroughput": {"ReadCapacityUnits": throughput["ReadCapacityUnits"],
                                      "WriteCapacityUnits": throughput["WriteCapacityUnits"]},
            "ItemCount": meta["ItemCount"], "BillingMode": billing}


def _feature_details(meta: dict) -> dict:
    table = meta["Table"]
    features: dict[str, Any] = {}
    if table.get("LocalSecondaryIndexes"):
        features["LocalSecondaryIndexes"] = [
            {k: i[k] for k in ("IndexName", "KeySchema", "Projection")} for i in table["LocalSecondaryIndexes"]]
    if table.get("GlobalSecondaryIndexes"):
        features["GlobalSecondaryIndexes"] = [
            {k: i[k] for k in ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput") if k in i}
            for i in table["GlobalSecondaryIndexes"]]
    if table.get("StreamSpecification"):
        features["StreamDescription"] = table["StreamSpecification"]
    if table.get("SSEDescription"):
        features["SSEDescription"] = table["SSEDescription"]
    return features


def _description(meta: dict) -> dict:
    return {"BackupDetails": _details(meta), "SourceTableDetails": _source_details(meta),
            "SourceTableFeatureDetails": _feature_details(meta)}


class BackupsMixin:
    def _source_table(self, ctx: RequestContext, name: str | None) -> Table:
        name = check_table_name(name)
        table = self._tables.get((ctx.account_id, ctx.region, name))
        if table is None:
            raise TableNotFoundException(f"Table not found: {name}")
        return table

    def _backup(self, ctx: RequestContext, arn: str | None) -> dict:
        row = self.db.fetchone("SELECT meta FROM dynamodb_backups WHERE arn = ? AND account = ?", (arn, ctx.account_id))
        if row is None:
            raise BackupNotFoundException(f"Backup not found: {arn}")
        return codec.meta_loads(row[0])

    async def create_backup(self, ctx: RequestContext, params: dict) -> dict:
        table = self._source_table(ctx, params.get("TableName"))
        name = check_name(params.get("BackupName"), "backupName")
        now = self._now()
        arn = _backup_arn(table, now)
        count, size = self._counts(table)
        meta = {"BackupArn": arn, "BackupName": name, "BackupSizeBytes": size, "ItemCount": count, "Created": now,
                "Table": table.description, "Tags": table.tags}

        def write(tx: Tx) -> None:
            tx.execute("INSERT INTO dynamodb_backups (arn, account, region, table_name, created, meta) VALUES (?, ?, ?, ?, ?, ?)",
                       (arn, table.account, table.region, table.name, now, codec.meta_dumps(meta)))
            tx.execute("INSERT INTO dynamodb_backup_items (backup_arn, pk, sk, item) "
                       "SELECT ?, pk, sk, item FROM dynamodb_items WHERE table_id = ?", (arn, table.id))

        await self.db.write(write, bulk=True)
        return {"BackupDetails": _details(meta)}

    def describe_backup(self, ctx: RequestContext, params: dict) -> dict:
        return {"BackupDescription": _description(self._backup(ctx, params.get("BackupArn")))}

    async def delete_backup(self, ctx: RequestContext, params: dict) -> dict:
        meta = self._backup(ctx, params.get("BackupArn"))
        arn = meta["BackupArn"]

        def write(tx: Tx) -> None:
            tx.execute("DELETE FROM dynamodb_backups WHERE arn = ?", (arn,))
            tx.execute("DELETE FROM dynamodb_backup_items WHERE backup_arn = ?", (arn,))

        await self.db.write(write, bulk=True)
        description = _description(meta)
        description["BackupDetails"]["BackupStatus"] = "DELETED"
        return {"BackupDescription": description}

    def list_backups(self, ctx: RequestContext, params: dict) -> dict:
        rows = self.db.fetchall("SELECT meta FROM dynamodb_backups WHERE account = ? AND region = ? ORDER BY created, arn",
                                (ctx.account_id, ctx.region))
        metas = [codec.meta_loads(r[0]) for r in rows]
        wanted = params.get("TableName")
        if wanted:  # a name or, as the API reference allows, the table's ARN
            metas = [m for m in metas if wanted in (m["Table"]["TableName"], m["Table"]["TableArn"])]
        lower, upper = params.get("TimeRangeLowerBound"), params.get("TimeRangeUpperBound")
        if lower is not None and upper is not None and epoch_seconds(lower) > epoch_seconds(upper):
            raise ValidationException(
                "One or more parameter values were invalid: Time range lower bound must be less than or equal to upper bound")
        if lower is not None:
            metas = [m for m in metas if m["Created"] >= epoch_seconds(lower)]
        if upper is not None:
            metas = [m for m in metas if m["Created"] < epoch_seconds(upper)]
        if params.get("BackupType") in ("SYSTEM", "AWS_BACKUP"):
            metas = []
        start = params.get("ExclusiveStartBackupArn")
        if start:
            arns = [m["BackupArn"] for m in metas]
            metas = metas[arns.index(start) + 1:] if start in arns else metas
        limit = checked_limit(params.get("Limit"), 100)
        summaries = []
        for meta in metas[:limit]:
            table = meta["Table"]
            summaries.append({"TableName": table["TableName"], "TableId": table["TableId"], "TableArn": table["TableArn"],
                              **_details(meta)})
        result: dict[str, Any] = {"BackupSummaries": summaries}
        if len(metas) > limit:
            result["LastEvaluatedBackupArn"] = metas[limit - 1]["BackupArn"]
        return result

    async def restore_table_from_backup(self, ctx: RequestContext, params: dict) -> dict:
        meta = self._backup(ctx, params.get("BackupArn"))
        arn = meta["BackupArn"]

        def rows(tx: Tx) -> list[tuple]:
            return tx.fetchall("SELECT pk, sk, item FROM dynamodb_backup_items WHERE backup_arn = ?", (arn,))

        # RestoreDateTime: "Point in time or source backup time" (RestoreSummary).
        summary = {"SourceBackupArn": arn, "SourceTableArn": meta["Table"]["TableArn"],
                   "RestoreDateTime": meta["Created"]}
        return await self._restore(ctx, params, meta["Table"], rows, summary)

    async def _restore(self, ctx: RequestContext, params: dict, source: dict,
                       rows: Callable[[Tx], list[tuple]], summary: dict) -> dict:
        name = check_table_name(params.get("TargetTableName"), "targetTableName")
        if (ctx.account_id, ctx.region, name) in self._tables or self._importing(ctx.account_id, ctx.region, name):
            raise TableAlreadyExistsException(f"Table already exists: {name}")
        now = self._now()
        description = copy.deepcopy(source)
        arn = f"arn:aws:dynamodb:{ctx.region}:{ctx.account_id}:table/{name}"
        description.update({"TableName": name, "TableArn": arn, "TableStatus": "ACTIVE", "CreationDateTime": now,
                            "TableId": str(uuid.uuid4())})  # a UUID, as every TableId is
        for key in ("StreamSpecification", "LatestStreamArn", "LatestStreamLabel"):
            description.pop(key, None)
        for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            for index in description.get(kind, ()):
                index["IndexArn"] = f"{arn}/index/{index['IndexName']}"
        if params.get("BillingModeOverride") == "PAY_PER_REQUEST":
            description["BillingModeSummary"] = {"BillingMode": "PAY_PER_REQUEST", "LastUpdateToPayPerRequestDateTime": now}
        elif params.get("BillingModeOverride") == "PROVISIONED" or params.get("ProvisionedThroughputOverride"):
            if not params.get("ProvisionedThroughputOverride"):
                raise invalid("ProvisionedThroughput must be specified when BillingMode is PROVISIONED")
            leave_on_demand(description, params["ProvisionedThroughputOverride"])
        if params.get("SSESpecificationOverride") is not None:
            sse = sse_description(params["SSESpecificationOverride"], ctx.region, ctx.account_id)
            description.pop("SSEDescription", None)
            if sse is not None:
                description["SSEDescription"] = sse
        on_demand = billing_mode(description) == "PAY_PER_REQUEST"
        vectors.for_restore(description, params.get("VectorIndexOverride"), arn)
        if params.get("GlobalSecondaryIndexOverride") is not None:
            overrides = params["GlobalSecondaryIndexOverride"]
            defined = {d["AttributeName"]: d["AttributeType"] for d in description["AttributeDefinitions"]}
            for override in overrides:
                check_global_index_schema(override.get("KeySchema") or [], defined)
            description["GlobalSecondaryIndexes"] = [
                {**o, "IndexStatus": "ACTIVE", "IndexArn": f"{arn}/index/{o['IndexName']}",
                 "ProvisionedThroughput": {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0}
                 if on_demand or not o.get("ProvisionedThroughput") else {"NumberOfDecreasesToday": 0, **o["ProvisionedThroughput"]}}
                for o in overrides]
            if not overrides:
                description.pop("GlobalSecondaryIndexes")
        if not on_demand:  # every global index of a provisioned table has its own capacity
            lacking = [i["IndexName"] for i in description.get("GlobalSecondaryIndexes", ())
                       if not i.get("ProvisionedThroughput", {}).get("ReadCapacityUnits")]
            if lacking:
                raise invalid(f"ProvisionedThroughput must be specified for index: {','.join(lacking)}")
        # Kept with the table: DescribeTable shows where it came from.
        description["RestoreSummary"] = {**summary, "RestoreInProgress": False}
        table = Table(0, ctx.account_id, ctx.region, name, description, {})

        def write(tx: Tx) -> None:
            if tx.fetchone("SELECT 1 FROM dynamodb_tables WHERE account = ? AND region = ? AND name = ?",
                           (ctx.account_id, ctx.region, name)):
                raise TableAlreadyExistsException(f"Table already exists: {name}")
            table.id = store.insert_table(tx, table)
            for pk, sk, text in rows(tx):
                store.write_item(tx, table, pk, sk, None, codec.loads(text), now)

        await self.db.write(write, bulk=True)
        self._tables[(ctx.account_id, ctx.region, name)] = table
        body = self._describe(table)
        body["TableStatus"] = "CREATING"
        body["RestoreSummary"]["RestoreInProgress"] = True  # as the answer to the restore itself says
        return {"TableDescription": body}

    # -- point-in-time recovery

    def _continuous(self, table: Table) -> dict:
        pitr: dict[str, Any] = {"PointInTimeRecoveryStatus": "ENABLED" if table.pitr.get("Enabled") else "DISABLED"}
        if table.pitr.get("Enabled"):
            pitr["EarliestRestorableDateTime"] = timestamp(earliest_restorable(table, self._now()))
            pitr["LatestRestorableDateTime"] = timestamp(self._now())
            pitr["RecoveryPeriodInDays"] = table.pitr.get("Days", DEFAULT_RECOVERY_DAYS)
        return {"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": pitr}

    def describe_continuous_backups(self, ctx: RequestContext, params: dict) -> dict:
        return {"ContinuousBackupsDescription": self._continuous(self._source_table(ctx, params.get("TableName")))}

    async def update_continuous_backups(self, ctx: RequestContext, params: dict) -> dict:
        table = self._source_table(ctx, params.get("TableName"))
        spec = params.get("PointInTimeRecoverySpecification") or {}
        enabled = bool(spec.get("PointInTimeRecoveryEnabled"))
        days = spec.get("RecoveryPeriodInDays")
        if days is not None and not 1 <= days <= DEFAULT_RECOVERY_DAYS:
            bound = "greater than or equal to 1" if days < 1 else f"less than or equal to {DEFAULT_RECOVERY_DAYS}"
            raise ValidationException(
                f"1 validation error detected: Value '{days}' at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' "
                f"failed to satisfy constraint: Member must have value {bound}")
        if not enabled and days is not None:
            raise ValidationException("Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery.")
        now = self._now()
        if enabled and table.pitr.get("Enabled"):
            pitr = {**table.pitr, "Days": spec.get("RecoveryPeriodInDays") or table.pitr.get("Days", DEFAULT_RECOVERY_DAYS)}
        elif enabled:
            pitr = {"Enabled": True, "Since": now, "Days": spec.get("RecoveryPeriodInDays") or DEFAULT_RECOVERY_DAYS}
        else:
            pitr = {}
        updated = replace(table, pitr=pitr)
        starting = enabled and not table.pitr.get("Enabled")

        def write(tx: Tx) -> None:
            store.save_table(tx, updated)
            if table.peers_keep_history:
                return  # another replica of the global table keeps the shared items' history
            if not enabled:
                tx.execute("DELETE FROM dynamodb_item_history WHERE table_id = ?", (table.id,))
            elif starting:
                # The history starts with every item as it is now.
                tx.execute("DELETE FROM dynamodb_item_history WHERE table_id = ?", (table.id,))
                tx.execute("INSERT INTO dynamodb_item_history (table_id, pk, sk, changed, item) "
                           "SELECT table_id, pk, sk, ?, item FROM dynamodb_items WHERE table_id = ?", (now, table.id))

        await self.db.write(write, bulk=True)
        self._tables[(table.account, table.region, table.name)] = updated
        self._relink(updated)  # the other replicas learn whether history is kept
        return {"ContinuousBackupsDescription": self._continuous(updated)}

    async def restore_table_to_point_in_time(self, ctx: RequestContext, params: dict) -> dict:
        name = params.get("SourceTableName")
        if name is None and params.get("SourceTableArn"):
            name = params["SourceTableArn"].rsplit("/", 1)[-1]
        table = self._source_table(ctx, name)
        if not table.pitr.get("Enabled"):
            raise PointInTimeRecoveryUnavailableException(f"Point in time recovery is not enabled for table '{table.name}'")
        now = self._now()
        if params.get("UseLatestRestorableTime") or params.get("RestoreDateTime") is None:
            moment = now
        else:
            moment = epoch_seconds(params["RestoreDateTime"])
            earliest = earliest_restorable(table, now)
            if moment < earliest or moment > now:
                raise InvalidRestoreTimeException(
                    f"Restore time must be in the range [{_iso(earliest)}, {_iso(now)}]")

        return await self._restore(ctx, params, table.description, lambda tx: items_as_of(tx, table, moment),
                                   {"SourceTableArn": table.arn, "RestoreDateTime": moment})


def items_as_of(reader: Any, table: Table, moment: float) -> list[tuple]:
    """(pk, sk, item text) of every item of a table with point-in-time recovery as it was at
    `moment` (each key's last state up to then, deleted ones left out), in key order, read
    through `reader` (a Tx, or the Database outside a write)."""
    return [row for page in item_pages_as_of(reader, table, moment) for row in page]


_AS_OF = ("SELECT h.pk, h.sk, h.item FROM dynamodb_item_history h WHERE h.table_id = ? {after}AND h.changed = "
          "(SELECT MAX(changed) FROM dynamodb_item_history x WHERE x.table_id = h.table_id AND x.pk = h.pk "
          "AND x.sk = h.sk AND x.changed <= ?) ORDER BY h.pk, h.sk LIMIT {limit}")


def item_pages_as_of(reader: Any, table: Table, moment: float, size: int = 2000) -> Iterator[list[tuple]]:
    """items_as_of a page at a time (up to `size` keys read, deleted ones then left out), each
    page sought after the last one's key, so that an export holds a page, not the table."""
    def read(after: str, args: tuple, limit: int) -> list[tuple]:
        return reader.fetchall(_AS_OF.format(after=after, limit=limit), (table.id, *args, moment))

    rows = read("", (), size)
    while rows:
        yield [row for row in rows if row[2] is not None]
        if len(rows) < size:
            return
        pk, sk = rows[-1][0], rows[-1][1]
        rows = read("AND h.pk = ? AND h.sk > ? ", (pk, sk), size)
        if len(rows) < size:
            rows += read("AND h.pk > ? ", (pk,), size - len(rows))


def earliest_restorable(table: Table, now: float) -> float:
    """The start of a table's point-in-time recovery window."""
    days = table.pitr.get("Days", DEFAULT_RECOVERY_DAYS)
    return max(table.pitr["Since"], now - days * 86400)


def trim_history(tx: Tx, table: Table, now: float) -> None:
    """Forget item states that no restore inside the window can pick any more: every state
    older than the window's start except each item's last one before it."""
    cutoff = earliest_restorable(table, now)
    tx.execute(
        "DELETE FROM dynamodb_item_history WHERE table_id = ? AND changed < ? AND EXISTS ("
        "SELECT 1 FROM dynamodb_item_history newer WHERE newer.table_id = dynamodb_item_history.table_id "
        "AND newer.pk = dynamodb_item_history.pk AND newer.sk = dynamodb_item_history.sk "
        "AND newer.changed > dynamodb_item_history.changed AND newer.changed <= ?)",
        (table.id, cutoff, cutoff))


def epoch_seconds(value: Any) -> float:
    """A request's timestamp (a datetime, or epoch seconds) as epoch seconds."""
    if hasattr(value, "timestamp"):
        return value.timestamp()
    return float(value)


def _iso(value: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(value))
