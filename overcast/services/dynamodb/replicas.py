"""Global tables, version 2019.11.21: UpdateTable's ReplicaUpdates and what a replica is.

A replica is a table of its own in another Region of the same account (its own ARN, TableId,
stream, tags, deletion protection, table class and key) over one item store that the whole group
shares: the replica's Table carries the source table's data id. An item written in any Region is
therefore at once readable in all of them; AWS replicates within about a second, and immediate
is the local model (strongly consistent reads are then true everywhere). Every change is written
to every member's stream (streams.append_record, through Table.peer_streams), as AWS writes
replicated changes into each Region's stream.

What AWS answers, and when, is as DynamoDB was recorded answering (ack-api-quirks' DynamoDB
findings DDB-TABLE-203, 221-228, 250-252, 265-267, 294, 305 and 188; aws-cli issue 4906;
terraform-provider-aws issues 20019 and pull request 29102). A replica is created and removed at
once: the UpdateTable answer shows the table UPDATING, and DescribeTable afterwards shows every
replica ACTIVE, which is what boto3's waiters and Terraform poll for.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import json
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from overcast.protocol.model import _botocore_data_dir
from overcast.server.context import RequestContext
from overcast.services.dynamodb import codec, store, streams
from overcast.services.dynamodb.errors import ResourceInUseException, ValidationException, invalid
from overcast.services.dynamodb.models import Table
from overcast.services.dynamodb.tables import (
    billing_mode,
    check_table_class,
    enable_stream,
    sse_description,
    timestamp,
)
from overcast.services.dynamodb.warmth import warm_throughput
from overcast.storage.interface import Tx

GLOBAL_TABLE_VERSION = "2019.11.21"
# DescribeTable's GlobalTableSettingsReplicationMode, on the table and each replica, while it has
# replicas (ack-api-quirks DDB-TABLE-229).
SETTINGS_REPLICATION = "ENABLED_WITH_OVERRIDES"
# A Region that a replica was added from cannot leave the group for a day (AWS's rule).
SOURCE_HOLD_SECONDS = 24 * 3600
# What a group shares: its schema, its indexes and its capacity. A member's ARN, TableId, stream,
# deletion protection, table class, encryption key, tags, policies and PITR are its own.
SHARED_MEMBERS = ("AttributeDefinitions", "KeySchema", "ProvisionedThroughput", "BillingModeSummary",
                  "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "VectorIndexes", "OnDemandThroughput",
                  "WarmThroughput")
_UPDATE_FIELDS = ("KMSMasterKeyId", "ProvisionedThroughputOverride", "OnDemandThroughputOverride",
                  "GlobalSecondaryIndexes", "TableClassOverride")

NO_ACTIONS = "There are no actions specified in the Replica Update Action of the request."
MIXED_ACTIONS = "Update table operation with more than one type of replica actions not allowed."
SEVERAL_ACTIONS = "Update table operation with more than one create or delete replica actions not allowed."
LOCAL_REGION = ("Cannot add or delete the local region through ReplicaUpdates. Use CreateTable, DeleteTable, "
                "or UpdateTable as required.")
NOT_AUTOSCALED = "Table write capacity should either be Pay-Per-Request or AutoScaled."
SOURCE_HELD = ("Replica cannot be deleted because it has acted as a source region for new replica(s) being added "
               "to the table in the last 24 hours.")
PROTECTED = ("Resource cannot be deleted as it is currently protected against deletion. "
             "Disable deletion protection first.")
ON_DEMAND_THROUGHPUT = "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"


def check_unchanged(tx: Tx, table: Table) -> None:
    """Inside the write: the group is still as this request found it. Another replica change that
    committed meanwhile makes this one a change to a table in use, as DynamoDB answers a second
    replica action while one is under way (DDB-TABLE-227, DDB-TABLE-265)."""
    row = tx.fetchone("SELECT meta FROM dynamodb_tables WHERE id = ?", (table.meta_id,))
    if row is None or codec.meta_loads(row[0]).get("replication", {}) != table.replication:
        raise ResourceInUseException("The resource which you are attempting to change is in use.")


def already_tables(name: str) -> ValidationException:
    # "a the" and the typographic quotes are DynamoDB's own.
    return ValidationException(f"Failed to create a the new replica of table with name: \u2018{name}\u2019 because one "
                               "or more replicas already existed as tables.")


def not_members(regions: list[str]) -> ValidationException:
    return ValidationException("Update global table operation failed because one or more replicas were not part of "
                               f"the global table. Please retry the request without these replicas: [{', '.join(regions)}].")


@functools.cache
def _partition_regions() -> tuple[tuple[str, ...], ...]:
    """The Regions of each AWS partition, from botocore's partitions.json (read on first need)."""
    with open(os.path.join(_botocore_data_dir(), "partitions.json")) as file:
        partitions = json.load(file)["partitions"]
    return tuple(tuple(r for r in p["regions"] if not r.endswith("-global")) for p in partitions)


def check_replica_region(home: str, region: str) -> None:
    """A replica goes to a Region of the home Region's partition. DynamoDB lists the Regions it
    supports in its refusal; the list here is botocore's, in its order. A home Region that no
    partition knows (a local name) leaves the choice to the caller."""
    for regions in _partition_regions():
        if home in regions:
            if region not in regions:
                raise ValidationException(f"Region {region} is not supported. The latest version of global tables are "
                                          f"only supported in the following regions: [{', '.join(regions)}]")
            return


def members(table: Table) -> list[dict[str, Any]]:
    return table.replication.get("members", [])


def member_regions(table: Table) -> list[str]:
    return [m["RegionName"] for m in members(table)]


def _regional(description: dict, old_arn: str, new_arn: str) -> None:
    """Index ARNs of a description copied into another Region (or another member's)."""
    for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "VectorIndexes"):
        for index in description.get(kind, ()):
            if "IndexArn" in index:
                index["IndexArn"] = f"{new_arn}/index/{index['IndexName']}"


def shared_copy(source: dict, target: dict) -> dict:
    """`target` (a member's description) with the group-wide parts taken from `source`."""
    result = copy.deepcopy(target)
    for member in SHARED_MEMBERS:
        if member in source:
            result[member] = copy.deepcopy(source[member])
        else:
            result.pop(member, None)
    _regional(result, source["TableArn"], result["TableArn"])
    return result


def check_replica_updates(updates: list[dict]) -> list[tuple[str, dict]]:
    """The request's actions as (kind, action), identical ones once; refused as DynamoDB refuses them."""
    actions: list[tuple[str, dict]] = []
    for update in updates:
        present = [(kind, update[kind]) for kind in ("Create", "Update", "Delete") if update.get(kind) is not None]
        if not present:
            raise ValidationException(NO_ACTIONS)
        if len(present) > 1:
            raise ValidationException(MIXED_ACTIONS)
        if present[0] not in actions:  # two identical Creates make one replica (DDB-TABLE-224)
            actions.append(present[0])
    if len({kind for kind, _ in actions}) > 1:
        raise ValidationException(MIXED_ACTIONS)
    if actions[0][0] != "Update" and len(actions) > 1:
        raise ValidationException(SEVERAL_ACTIONS)
    for kind, action in actions:
        if kind == "Update" and not any(action.get(f) is not None for f in _UPDATE_FIELDS):
            raise ValidationException(NO_ACTIONS)
        if kind == "Update" and any(i.get("ProvisionedThroughputOverride") is None and i.get("OnDemandThroughputOverride") is None
                                    for i in action.get("GlobalSecondaryIndexes") or ()):
            raise ValidationException(NO_ACTIONS)  # an index named without an override (DDB-TABLE-252)
    return actions


class ReplicasMixin:
    """ReplicaUpdates and the group's bookkeeping; the Provider supplies _tables, _now and self.db."""

    # -- the group in memory

    @contextlib.asynccontextmanager
    async def _group_changes(self, ctx: RequestContext, name: Any) -> AsyncIterator[None]:
        """Serialise the changes that a global table's members share (replica changes, UpdateTable,
        UpdateTimeToLive, DeleteTable) per account and table name: each reads the group, then
        writes every member, and two interleaved would each miss the other's change. One lock per
        name ever changed: a few bytes each."""
        if isinstance(name, str) and ":table/" in name:
            name = name.split(":table/", 1)[1].split("/", 1)[0]
        key = (ctx.account_id, str(name))
        lock = self._group_locks.get(key)
        if lock is None:
            lock = self._group_locks[key] = asyncio.Lock()
        async with lock:
            yield

    def _group(self, table: Table) -> list[Table]:
        """Every member's Table, in the order the members joined (the table alone when not global)."""
        if not table.replication:
            return [table]
        found = [self._tables.get((table.account, region, table.name)) for region in member_regions(table)]
        return [t for t in found if t is not None]

    def _put_group(self, group: list[Table]) -> None:
        """Store the members' Tables, each knowing the others' streams and whether any other keeps
        point-in-time history of the shared items."""
        for table in group:
            others = [t for t in group if t is not table] if table.replication else []
            peer_streams = tuple((t.description["LatestStreamArn"], t.stream_spec["StreamViewType"], t.region)
                                 for t in others if t.stream_spec is not None)
            linked = replace(table, peer_streams=peer_streams,
                             peers_keep_history=any(t.pitr.get("Enabled") for t in others))
            self._tables[(table.account, table.region, table.name)] = linked

    def _link_groups(self) -> None:
        """After loading: each global table's members learn of each other."""
        seen: set[tuple[str, str, int]] = set()
        for table in list(self._tables.values()):
            if table.replication and (table.account, table.name, table.id) not in seen:
                seen.add((table.account, table.name, table.id))
                self._put_group(self._group(table))

    def _relink(self, table: Table) -> None:
        """After one member's Table was replaced (its PITR, say)."""
        if table.replication:
            self._put_group(self._group(table))

    # -- DescribeTable

    def _describe_replication(self, body: dict, table: Table) -> None:
        if not table.replication:
            return
        body["GlobalTableVersion"] = GLOBAL_TABLE_VERSION
        body["GlobalTableSettingsReplicationMode"] = SETTINGS_REPLICATION
        entries = []
        for member in members(table):
            if member["RegionName"] == table.region:
                continue
            peer = self._tables.get((table.account, member["RegionName"], table.name))
            entries.append(self._replica_entry(member, peer))
        body["Replicas"] = entries

    def _replica_entry(self, member: dict, peer: Table | None) -> dict:
        """One other member as a ReplicaDescription: overrides appear only where set; no ReplicaArn
        (DDB-TABLE-229, 250, 252)."""
        entry: dict[str, Any] = {"RegionName": member["RegionName"], "ReplicaStatus": "ACTIVE"}
        if peer is None:
            return entry
        on_demand = billing_mode(peer.description) == "PAY_PER_REQUEST"
        entry["WarmThroughput"] = warm_throughput(peer.description, on_demand)
        sse = peer.description.get("SSEDescription")
        if sse and sse.get("KMSMasterKeyArn"):
            entry["KMSMasterKeyId"] = sse["KMSMasterKeyArn"]
        if member.get("OnDemandThroughputOverride"):
            entry["OnDemandThroughputOverride"] = dict(member["OnDemandThroughputOverride"])
        indexes = peer.description.get("GlobalSecondaryIndexes")
        if indexes:
            overrides = member.get("GlobalSecondaryIndexes", {})
            entry["GlobalSecondaryIndexes"] = []
            for index in indexes:
                shown: dict[str, Any] = {"IndexName": index["IndexName"]}
                if index["IndexName"] in overrides:
                    shown["OnDemandThroughputOverride"] = dict(overrides[index["IndexName"]])
                shown["WarmThroughput"] = warm_throughput(index, on_demand)
                entry["GlobalSecondaryIndexes"].append(shown)
        summary = peer.description.get("TableClassSummary")
        if summary:  # a class never set is not shown (STANDARD); one set is, even STANDARD (DDB-TABLE-294)
            entry["ReplicaTableClassSummary"] = {"TableClass": summary["TableClass"]}
            if "LastUpdateDateTime" in summary:
                entry["ReplicaTableClassSummary"]["LastUpdateDateTime"] = timestamp(summary["LastUpdateDateTime"])
        entry["GlobalTableSettingsReplicationMode"] = SETTINGS_REPLICATION
        return entry

    # -- UpdateTable ReplicaUpdates

    async def _update_replicas(self, ctx: RequestContext, table: Table, updates: list[dict]) -> dict:
        actions = check_replica_updates(updates)
        now = self._now()
        regions = member_regions(table)
        for _, action in actions:
            if action.get("RegionName") == table.region:
                raise ValidationException(LOCAL_REGION)
        kind = actions[0][0]
        if kind == "Create":
            return await self._create_replica(ctx, table, actions[0][1], now)
        missing = [a["RegionName"] for _, a in actions if a.get("RegionName") not in regions]
        if missing:
            raise not_members(missing)
        if kind == "Delete":
            return await self._delete_replica(table, actions[0][1]["RegionName"], now)
        return await self._change_replicas(table, [a for _, a in actions], now)

    async def _create_replica(self, ctx: RequestContext, table: Table, action: dict, now: float) -> dict:
        region = action["RegionName"]
        check_replica_region(table.region, region)
        # Overcast has no Application Auto Scaling, so no provisioned table can meet AWS's
        # condition (write auto scaling on the table and every index): it is refused as AWS
        # refuses such a table, and on-demand tables take replicas.
        if billing_mode(table.description) != "PAY_PER_REQUEST":
            raise ValidationException(NOT_AUTOSCALED)
        if (table.account, region, table.name) in self._tables or self._importing(table.account, region, table.name):
            raise already_tables(table.name)
        check_table_class(action.get("TableClassOverride"))
        if action.get("ProvisionedThroughputOverride") is not None:
            # Every group here is on demand (above): as an Update action's override is refused.
            raise ValidationException(ON_DEMAND_THROUGHPUT)
        group = self._group(table)
        source_description = copy.deepcopy(table.description)
        opened: list[Table] = []
        if table.stream_spec is None:
            # No stream prerequisite: DynamoDB turns on a NEW_AND_OLD_IMAGES stream itself, and it
            # stays after the last replica goes (DDB-TABLE-221, DDB-TABLE-305).
            enable_stream(source_description, {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}, now)
        view = source_description["StreamSpecification"]["StreamViewType"]
        arn = f"arn:aws:dynamodb:{region}:{table.account}:table/{table.name}"
        description = copy.deepcopy(source_description)
        description.update({"TableArn": arn, "TableId": str(uuid.uuid4()), "CreationDateTime": now,
                            "TableStatus": "ACTIVE", "DeletionProtectionEnabled": False})
        for own in ("RestoreSummary", "SSEDescription", "LatestStreamArn", "LatestStreamLabel"):
            description.pop(own, None)
        _regional(description, table.arn, arn)
        enable_stream(description, {"StreamEnabled": True, "StreamViewType": view}, now)
        key = action.get("KMSMasterKeyId")
        if key is None and _customer_managed(table):
            # A group encrypted with the customer's own key needs one named for each new replica
            # (ack-api-quirks DDB-TABLE-313; the words as terraform-provider-aws #29102 quotes them).
            raise invalid("KMSMasterKeyId must be specified for each replica.")
        if key is not None or table.description.get("SSEDescription"):
            sse = sse_description({"Enabled": True, "SSEType": "KMS", **({"KMSMasterKeyId": key} if key else {})},
                                  region, table.account)
            if sse:
                description["SSEDescription"] = sse
        if action.get("TableClassOverride"):
            description["TableClassSummary"] = {"TableClass": action["TableClassOverride"], "LastUpdateDateTime": now}
        member: dict[str, Any] = {"RegionName": region, "Source": ctx.region, "Created": now}
        _set_overrides(member, action)
        listed = members(table) or [{"RegionName": table.region, "Source": None, "Created": table.description["CreationDateTime"]}]
        replication = {"members": [*listed, member]}
        source = replace(table, description=source_description) if table.stream_spec is None else table
        updated = [replace(t if t is not table else source, replication=copy.deepcopy(replication)) for t in group]
        replica = Table(table.id, table.account, region, table.name, description, ttl=dict(table.ttl),
                        row_id=0, replication=copy.deepcopy(replication))
        if table.stream_spec is None:
            opened.append(updated[group.index(table)])

        def write(tx: Tx) -> None:
            check_unchanged(tx, table)
            if tx.fetchone("SELECT 1 FROM dynamodb_tables WHERE account = ? AND region = ? AND name = ?",
                           (table.account, region, table.name)):
                raise already_tables(table.name)
            replica.row_id = store.insert_table(tx, replica)
            for member_table in updated:
                store.save_table(tx, member_table)
            for member_table in opened:
                streams.open_stream(tx, member_table, now)
            streams.open_stream(tx, replica, now)

        await self.db.write(write)
        self._put_group([*updated, replica])
        body = self._describe(self._tables[(table.account, table.region, table.name)])
        # AWS's answer lists the new replica only some seconds later (DDB-TABLE-226).
        body["Replicas"] = [r for r in body["Replicas"] if r["RegionName"] != region]
        body["TableStatus"] = "UPDATING"
        return {"TableDescription": body}

    def _check_leaving(self, table: Table, region: str, now: float) -> None:
        """A Region that replicas were added from in the last day stays (DDB-TABLE-266, 267)."""
        for member in members(table):
            if (member.get("Source") == region and member["RegionName"] != region
                    and now - member["Created"] < SOURCE_HOLD_SECONDS):
                raise ValidationException(SOURCE_HELD)

    async def _delete_replica(self, table: Table, region: str, now: float) -> dict:
        leaving = self._tables.get((table.account, region, table.name))
        if leaving is not None and leaving.description.get("DeletionProtectionEnabled"):
            raise ValidationException(PROTECTED)
        self._check_leaving(table, region, now)
        body = self._describe(table)
        await self._leave_group(table, region, now)
        body["TableStatus"] = "UPDATING"
        for entry in body.get("Replicas", ()):
            if entry["RegionName"] == region:
                entry["ReplicaStatus"] = "DELETING"
        return {"TableDescription": body}

    async def _leave_group(self, table: Table, region: str, now: float) -> None:
        """Remove the member in `region` (its own metadata and stream); the items stay with the
        others, and go with the last member."""
        group = self._group(table)
        leaving = next(t for t in group if t.region == region)
        staying = [t for t in group if t is not leaving]
        remaining = [m for m in members(table) if m["RegionName"] != region]
        # A group of one is a plain table again: no GlobalTableVersion, no Replicas (DDB-TABLE-187).
        replication = {"members": remaining} if len(remaining) > 1 else {}
        updated = [replace(t, replication=copy.deepcopy(replication)) for t in staying]

        def write(tx: Tx) -> None:
            check_unchanged(tx, table)
            if updated:
                store.drop_table_row(tx, leaving)
                if not any(t.pitr.get("Enabled") for t in updated):
                    # The history was kept for the leaving member alone: nobody reads it now.
                    tx.execute("DELETE FROM dynamodb_item_history WHERE table_id = ?", (leaving.id,))
            else:
                store.drop_table(tx, leaving)
            if leaving.stream_arn:
                streams.close_stream(tx, leaving.stream_arn, now)
            for member_table in updated:
                store.save_table(tx, member_table)

        # The group changes in memory before its write is queued (see TablesMixin._delete_table):
        # a write arriving meanwhile finds the leaving member gone, and the last member's items
        # are dropped after every write that found it.
        key = (leaving.account, leaving.region, leaving.name)
        self._tables.pop(key, None)
        self._put_group(updated)
        try:
            await self.db.write(write, bulk=not updated)
        except Exception:  # not applied (a cancelled caller's write still is: not restored then)
            if key not in self._tables:
                self._put_group(group)
            raise

    async def _change_replicas(self, table: Table, actions: list[dict], now: float) -> dict:
        on_demand = billing_mode(table.description) == "PAY_PER_REQUEST"
        group = {t.region: t for t in self._group(table)}
        changed: dict[str, Table] = {}
        replication = copy.deepcopy(table.replication)
        for action in actions:
            region = action["RegionName"]
            if action.get("KMSMasterKeyId") is not None:
                # A replica's key is not changed through ReplicaUpdates (terraform-provider-aws #29102).
                raise invalid("KMSMasterKeyId must be specified for each replica.")
            if action.get("ProvisionedThroughputOverride") is not None and on_demand:
                raise ValidationException(ON_DEMAND_THROUGHPUT)
            check_table_class(action.get("TableClassOverride"))
            member = next(m for m in replication["members"] if m["RegionName"] == region)
            _set_overrides(member, action)
            if action.get("TableClassOverride"):
                target = changed.get(region, group[region])
                description = copy.deepcopy(target.description)
                description["TableClassSummary"] = {"TableClass": action["TableClassOverride"], "LastUpdateDateTime": now}
                changed[region] = replace(target, description=description)
        updated = [replace(changed.get(t.region, t), replication=copy.deepcopy(replication)) for t in group.values()]

        def write(tx: Tx) -> None:
            check_unchanged(tx, table)
            for member_table in updated:
                store.save_table(tx, member_table)

        await self.db.write(write)
        self._put_group(updated)
        # The answer shows the replicas as they were; DescribeTable shows the change.
        body = self._describe(table)
        body["TableStatus"] = "UPDATING"
        return {"TableDescription": body}

    # -- changes that every member takes

    def _with_group(self, updated: Table) -> list[Table]:
        """`updated` (one member after UpdateTable or UpdateTimeToLive) and every other member
        given the same schema, indexes, capacity and TTL, as AWS applies them group-wide."""
        if not updated.replication:
            return [updated]
        result = []
        for member in self._group(updated):
            if member.region == updated.region:
                result.append(updated)
                continue
            result.append(replace(member, description=shared_copy(updated.description, member.description),
                                  ttl=dict(updated.ttl)))
        return result


def _customer_managed(table: Table) -> bool:
    """Whether the table is encrypted with a key of the customer's (not the AWS managed one)."""
    sse = table.description.get("SSEDescription")
    if not sse:
        return False
    managed = sse_description({"Enabled": True, "SSEType": "KMS"}, table.region, table.account)
    return managed is None or sse.get("KMSMasterKeyArn") != managed["KMSMasterKeyArn"]


def _set_overrides(member: dict, action: dict) -> None:
    """Keep a replica's on-demand read overrides (table and per index) on its member record."""
    if action.get("OnDemandThroughputOverride"):
        member["OnDemandThroughputOverride"] = dict(action["OnDemandThroughputOverride"])
    for index in action.get("GlobalSecondaryIndexes") or ():
        if index.get("OnDemandThroughputOverride"):
            member.setdefault("GlobalSecondaryIndexes", {})[index["IndexName"]] = dict(index["OnDemandThroughputOverride"])
