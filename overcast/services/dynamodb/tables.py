"""Control plane: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable, limits (tags: tags.py)."""

from __future__ import annotations

import copy
import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from overcast.protocol.errors import ServiceError
from overcast.server.context import RequestContext
from overcast.services.dynamodb import store, streams, vectors
from overcast.services.dynamodb.errors import (
    LimitExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
    ValidationException,
    invalid,
    table_not_found,
)
from overcast.services.dynamodb.indexspecs import (
    ON_DEMAND,
    build_gsi,
    check_key_schema,
    check_multi_attribute_schema,
    checked_projection,
    checked_throughput,
    index_settings,
    index_throughput,
    table_throughput,
)
from overcast.services.dynamodb.models import Table
from overcast.services.dynamodb.resource_policies import initial_policies
from overcast.services.dynamodb.tags import check_tags
from overcast.services.dynamodb.warmth import ask_warmth, keep_warmth, set_on_demand_limits, warm_throughput
from overcast.storage.interface import Tx

_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_.-]+$")
MAX_GLOBAL_INDEXES = 20  # per table (service quotas)
_VIEW_TYPES = ("NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY")


def billing_mode(description: dict) -> str:
    """PAY_PER_REQUEST or PROVISIONED, as a table's description (or a backup's copy) records it:
    a table never on demand has no BillingModeSummary."""
    return description.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")


def timestamp(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


def check_table_name(name: Any, member: str = "tableName") -> str:
    """A table name, or the name inside a table ARN (DynamoDB accepts either as TableName)."""
    if isinstance(name, str) and name.startswith("arn:") and ":table/" in name:
        name = name.split(":table/", 1)[1].split("/", 1)[0]
    return check_name(name, member)


def check_name(name: Any, member: str) -> str:
    """A name with the constraints table, index and backup names share (3-255 of [a-zA-Z0-9_.-])."""
    if name is None:
        raise ValidationException(
            f"1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null")
    problems = []
    if len(name) < 3:
        problems.append("Member must have length greater than or equal to 3")
    if len(name) > 255:
        problems.append("Member must have length less than or equal to 255")
    if not _NAME_PATTERN.match(name):
        problems.append("Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
    if problems:
        # Every one, as Coral lists them (moto's aws_verified test_update_item_with_invalid_table_name:
        # 'x!' is too short and off the pattern, "2 validation errors detected").
        count = f"{len(problems)} validation error{'s' if len(problems) > 1 else ''} detected: "
        raise ValidationException(count + "; ".join(
            f"Value '{name}' at '{member}' failed to satisfy constraint: {problem}" for problem in problems))
    return name


_TABLE_CLASSES = ("STANDARD", "STANDARD_INFREQUENT_ACCESS")


def check_table_class(table_class: Any) -> None:
    if table_class is not None and table_class not in _TABLE_CLASSES:
        raise ValidationException("Invalid table-class parameter provided. Please try again with a valid table-class "
                                  "value: [STANDARD, STANDARD_INFREQUENT_ACCESS].")


def sse_description(spec: dict, region: str, account: str) -> dict | None:
    """The SSEDescription an SSESpecification asks for; None for the default AWS owned key.
    Without Enabled, DynamoDB enables KMS encryption when SSEType (or a key) is given."""
    sse_type, key = spec.get("SSEType"), spec.get("KMSMasterKeyId")
    enabled = spec.get("Enabled")
    if enabled is None:
        enabled = sse_type is not None or key is not None
    if not enabled:
        if sse_type is not None:
            raise invalid("SSEType can not be specified if Enabled is false")
        if key is not None:
            raise invalid("KMSMasterKeyId can not be specified if Enabled is false")
        return None
    if sse_type == "AES256":
        raise invalid("SSEType AES256 is not supported")
    if key is not None and sse_type != "KMS":
        raise invalid("SSEType KMS is required if KMSMasterKeyId is specified")
    # DescribeTable names the key by its ARN, whichever way the request named it; without a key,
    # or with alias/aws/dynamodb, it is the account's AWS managed key (one per account and region).
    if key is None or key.startswith("alias/"):
        key_id = uuid.uuid5(uuid.NAMESPACE_URL, f"kms:{region}:{account}:{key or 'alias/aws/dynamodb'}")
        key = f"arn:aws:kms:{region}:{account}:key/{key_id}"
    elif not key.startswith("arn:"):
        key = f"arn:aws:kms:{region}:{account}:key/{key}"
    return {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": key}


def _check_stream_on_create(spec: dict | None) -> None:
    if spec is None:
        return
    if spec.get("StreamEnabled") and spec.get("StreamViewType") is None:
        raise invalid("Table is being created with a stream enabled, UpdateViewType is required")
    if not spec.get("StreamEnabled") and spec.get("StreamViewType") is not None:
        raise invalid("Table is being created with a stream disabled, UpdateViewType should not be specified")


def new_table_description(params: dict, account: str, region: str, now: float) -> dict:
    name = check_table_name(params.get("TableName"))
    definitions = params.get("AttributeDefinitions")
    if definitions is None:  # optional in today's model, still required by the service
        raise ValidationException("1 validation error detected: Value null at 'attributeDefinitions' failed to satisfy "
                                  "constraint: Member must not be null")
    defined: dict[str, str] = {}
    for definition in definitions:
        if definition["AttributeName"] in defined:
            raise ValidationException(f"Attribute Name is duplicated: {definition['AttributeName']}")
        defined[definition["AttributeName"]] = definition["AttributeType"]
    schema = params.get("KeySchema") or []
    if schema and len(definitions) < len(schema) <= 2:
        raise ValidationException("Invalid KeySchema: Some index key attribute have no definition")
    check_key_schema(schema, defined)
    billing = params.get("BillingMode") or "PROVISIONED"
    arn = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
    description: dict[str, Any] = {
        "AttributeDefinitions": _by_name(definitions),
        "TableName": name,
        "KeySchema": schema,
        "TableStatus": "ACTIVE",
        "CreationDateTime": now,
        "ProvisionedThroughput": table_throughput(params.get("ProvisionedThroughput"), billing),
        "TableArn": arn,
        "TableId": str(uuid.uuid4()),
    }
    if billing == "PAY_PER_REQUEST":
        description["BillingModeSummary"] = {"BillingMode": "PAY_PER_REQUEST", "LastUpdateToPayPerRequestDateTime": now}
    # Key attributes in the order the request names them, for "keys used" below.
    used = [k["AttributeName"] for k in schema]
    names: set[str] = set()
    hash_key = schema[0]["AttributeName"]
    range_key = schema[1]["AttributeName"] if len(schema) > 1 else None
    lsi_specs, gsi_specs = params.get("LocalSecondaryIndexes"), params.get("GlobalSecondaryIndexes")
    lsis = []
    if lsi_specs is not None and not lsi_specs:
        raise invalid("List of LocalSecondaryIndexes is empty")
    for spec in lsi_specs or []:
        index_name = spec["IndexName"]
        if range_key is None:
            raise invalid("Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex")
        index_schema = spec.get("KeySchema") or []
        check_key_schema(index_schema, defined)
        if len(index_schema) != 2:
            raise invalid(f"Index KeySchema does not have a range key for index: {index_name}")
        if index_schema[0]["AttributeName"] != hash_key:
            raise invalid(
                f"Index KeySchema does not have the same leading hash key as table KeySchema for index: {index_name}. "
                f"index hash key: {index_schema[0]['AttributeName']}, table hash key: {hash_key}")
        projection = checked_projection(spec.get("Projection"))
        if index_name in names:
            raise invalid(f"Duplicate index name: {index_name}")
        names.add(index_name)
        used += [k["AttributeName"] for k in index_schema if k["AttributeName"] not in used]
        lsis.append({"IndexName": index_name, "KeySchema": index_schema, "Projection": projection,
                     "IndexArn": f"{arn}/index/{index_name}"})
    if len(lsis) > 5:
        raise invalid("Number of LocalSecondaryIndexes exceeds per-table limit of 5")
    gsis = []
    if gsi_specs is not None and not gsi_specs:
        raise invalid("List of GlobalSecondaryIndexes is empty")
    for spec in gsi_specs or []:
        gsi = build_gsi(spec, defined, billing, arn, "ACTIVE")
        if gsi["IndexName"] in names:
            raise invalid(f"Duplicate index name: {gsi['IndexName']}")
        names.add(gsi["IndexName"])
        gsis.append(gsi)
        used += [k["AttributeName"] for k in spec["KeySchema"] if k["AttributeName"] not in used]
    if len(gsis) > MAX_GLOBAL_INDEXES:
        raise invalid(f"GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GLOBAL_INDEXES}")
    vector_indexes = vectors.build_for_create(params.get("VectorIndexes"), defined, arn, names, billing,
                                              {"KeySchema": schema, "GlobalSecondaryIndexes": gsis, "LocalSecondaryIndexes": lsis})
    used += [n for n in vectors.schema_attribute_names({"VectorIndexes": vector_indexes}) if n not in used]
    if set(defined) != set(used):
        if not lsis and not gsis and not vector_indexes:
            raise invalid("Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
        raise invalid(f"Some AttributeDefinitions are not used. AttributeDefinitions: [{', '.join(defined)}], "
                      f"keys used: [{', '.join(used)}]")
    for gsi in gsis:
        check_multi_attribute_schema(gsi["KeySchema"])
    if lsis:
        description["LocalSecondaryIndexes"] = lsis
    if gsis:
        description["GlobalSecondaryIndexes"] = gsis
    if vector_indexes:
        description["VectorIndexes"] = vector_indexes
    stream = params.get("StreamSpecification")
    _check_stream_on_create(stream)
    if stream and stream.get("StreamEnabled"):
        enable_stream(description, stream, now)
    if params.get("SSESpecification"):
        sse = sse_description(params["SSESpecification"], region, account)
        if sse:
            description["SSEDescription"] = sse
    check_table_class(params.get("TableClass"))
    if params.get("TableClass"):
        description["TableClassSummary"] = {"TableClass": params["TableClass"], "LastUpdateDateTime": now}
    description["DeletionProtectionEnabled"] = bool(params.get("DeletionProtectionEnabled", False))
    _table_settings(description, params, billing == "PAY_PER_REQUEST")
    return description


def leave_on_demand(description: dict, throughput: dict) -> None:
    """An on-demand table's description made provisioned (UpdateTable, or a restore's override):
    its capacity, and no more on-demand limits. BillingModeSummary stays, with the mode changed:
    it still says when the table last went on demand."""
    description["ProvisionedThroughput"] = checked_throughput(throughput)
    summary = description.get("BillingModeSummary")
    if summary is not None:
        summary["BillingMode"] = "PROVISIONED"
    for entry in [description, *description.get("GlobalSecondaryIndexes", ())]:
        entry.pop("OnDemandThroughput", None)


def _table_settings(description: dict, params: dict, on_demand: bool) -> None:
    """A table's WarmThroughput and OnDemandThroughput, as CreateTable or UpdateTable asks."""
    if params.get("WarmThroughput") is not None:
        ask_warmth(description, params["WarmThroughput"], on_demand, "table")
    if params.get("OnDemandThroughput") is not None:
        set_on_demand_limits(description, params["OnDemandThroughput"], on_demand, "table")


def enable_stream(description: dict, spec: dict, now: float) -> None:
    view = spec.get("StreamViewType")
    if view not in _VIEW_TYPES:
        raise ValidationException(
            f"1 validation error detected: Value '{view}' at 'streamSpecification.streamViewType' failed to satisfy "
            "constraint: Member must satisfy enum value set: [NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]")
    label = streams.stream_label(now)
    description["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view}
    description["LatestStreamLabel"] = label
    description["LatestStreamArn"] = f"{description['TableArn']}/stream/{label}"


def _describe_throughput(throughput: dict, now: float) -> None:
    """A stored throughput as DescribeTable shows it (times as datetimes, today's decreases)."""
    throughput["NumberOfDecreasesToday"] = _decreases_today(throughput, now)
    for member in ("LastIncreaseDateTime", "LastDecreaseDateTime"):
        if member in throughput:
            throughput[member] = timestamp(throughput[member])


class TablesMixin:
    """Table operations; the Provider supplies _table, _tables, _now and self.db."""

    async def create_table(self, ctx: RequestContext, params: dict) -> dict:
        now = self._now()
        description = new_table_description(params, ctx.account_id, ctx.region, now)
        tags = check_tags(params.get("Tags") or [])
        policies = initial_policies(params.get("ResourcePolicy"), description["TableArn"], now)
        table = Table(0, ctx.account_id, ctx.region, description["TableName"], description, tags, policies=policies)
        if self._importing(table.account, table.region, table.name):  # DynamoDB's table is CREATING then
            raise ResourceInUseException(f"Table already exists: {table.name}")

        def create(tx: Tx) -> int:
            if tx.fetchone("SELECT 1 FROM dynamodb_tables WHERE account = ? AND region = ? AND name = ?",
                           (table.account, table.region, table.name)):
                raise ResourceInUseException(f"Table already exists: {table.name}")
            table.id = store.insert_table(tx, table)
            if table.stream_spec:
                streams.open_stream(tx, table, now)
            return table.id

        await self.db.write(create)
        self._tables[(table.account, table.region, table.name)] = table
        body = self._describe(table, counts=False)
        body["TableStatus"] = "CREATING"
        # The time it went on demand shows from DescribeTable on, not in this answer (the AWS
        # CLI's create-table example 2).
        body.get("BillingModeSummary", {}).pop("LastUpdateToPayPerRequestDateTime", None)
        for index in [*body.get("GlobalSecondaryIndexes", ()), *body.get("VectorIndexes", ())]:
            index["IndexStatus"] = "CREATING"
        return {"TableDescription": body}

    def describe_table(self, ctx: RequestContext, params: dict) -> dict:
        name = check_table_name(params.get("TableName"))
        table = self._tables.get((ctx.account_id, ctx.region, name))
        if table is None:
            raise table_not_found(name)
        return {"Table": self._describe(table)}

    def _describe(self, table: Table, counts: bool = True) -> dict:
        body = copy.deepcopy(table.description)
        count, size = self._counts(table) if counts else (0, 0)
        body["TableSizeBytes"] = size
        body["ItemCount"] = count
        body["CreationDateTime"] = timestamp(body["CreationDateTime"])
        class_summary = body.get("TableClassSummary")
        if class_summary and "LastUpdateDateTime" in class_summary:
            class_summary["LastUpdateDateTime"] = timestamp(class_summary["LastUpdateDateTime"])
        summary = body.get("BillingModeSummary")
        if summary:
            summary["LastUpdateToPayPerRequestDateTime"] = timestamp(summary["LastUpdateToPayPerRequestDateTime"])
        restored = body.get("RestoreSummary")
        if restored:
            restored["RestoreDateTime"] = timestamp(restored["RestoreDateTime"])
        on_demand = billing_mode(body) == "PAY_PER_REQUEST"
        body["WarmThroughput"] = warm_throughput(body, on_demand)
        for index in body.get("GlobalSecondaryIndexes", ()):
            index["WarmThroughput"] = warm_throughput(index, on_demand)
        _describe_throughput(body["ProvisionedThroughput"], self._now())
        for index in body.get("GlobalSecondaryIndexes", ()):
            if "ProvisionedThroughput" in index:  # restored indexes may come without one
                _describe_throughput(index["ProvisionedThroughput"], self._now())
        for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            for index in body.get(kind, ()):
                icount, isize = self._index_counts(table, index["IndexName"]) if counts else (0, 0)
                index["IndexSizeBytes"] = isize
                index["ItemCount"] = icount
        vectors.describe(body, lambda name: vectors.index_counts(self.db, table.id, name) if counts else (0, 0))
        if not body.get("StreamSpecification", {}).get("StreamEnabled"):
            body.pop("StreamSpecification", None)  # tables whose stream was disabled before this was fixed
        self._describe_replication(body, table)
        return body

    def _counts(self, table: Table) -> tuple[int, int]:
        row = self.db.fetchone("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM dynamodb_items WHERE table_id = ?", (table.id,))
        return (row[0], row[1]) if row else (0, 0)

    def _index_counts(self, table: Table, index_name: str) -> tuple[int, int]:
        row = self.db.fetchone(
            "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM dynamodb_index_items WHERE table_id = ? AND index_name = ?",
            (table.id, index_name))
        return (row[0], row[1]) if row else (0, 0)

    def list_tables(self, ctx: RequestContext, params: dict) -> dict:
        limit = params.get("Limit", 100)
        if limit is not None and (limit < 1 or limit > 100):
            raise ValidationException(
                f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
                + ("Member must have value greater than or equal to 1" if limit < 1 else "Member must have value less than or equal to 100"))
        start = params.get("ExclusiveStartTableName")
        names = sorted(n for (a, r, n) in self._tables if a == ctx.account_id and r == ctx.region)
        if start:
            names = [n for n in names if n > start]
        result: dict[str, Any] = {"TableNames": names[:limit]}
        if len(names) > limit:
            result["LastEvaluatedTableName"] = names[limit - 1]
        return result

    async def delete_table(self, ctx: RequestContext, params: dict) -> dict:
        async with self._group_changes(ctx, params.get("TableName")):
            return await self._delete_table(ctx, params)

    async def _delete_table(self, ctx: RequestContext, params: dict) -> dict:
        name = check_table_name(params.get("TableName"))
        table = self._tables.get((ctx.account_id, ctx.region, name))
        if table is None:
            raise table_not_found(name)
        if table.description.get("DeletionProtectionEnabled"):
            raise ValidationException(
                "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
        body = self._describe(table)
        now = self._now()
        if table.replication:
            # One Region's replica goes; the others keep the items (replicas.py).
            self._check_leaving(table, table.region, now)
            await self._leave_group(table, table.region, now)
            body["TableStatus"] = "DELETING"
            return {"TableDescription": body}

        def delete(tx: Tx) -> None:
            store.drop_table(tx, table)
            if table.stream_arn:
                streams.close_stream(tx, table.stream_arn, now)

        # The table leaves before its drop is queued, in the same turn of the event loop: a write
        # that found it is already queued ahead of the drop (and goes with the table); one
        # arriving from now on finds no table, as DynamoDB answers writes to a DELETING table.
        # Gone only after the drop, a write queued meanwhile outlived its table, acknowledged.
        key = (table.account, table.region, table.name)
        self._tables.pop(key, None)
        try:
            await self.db.write(delete, bulk=True)  # every item of the table goes
        except Exception:  # not applied (a cancelled caller's write still is: not restored then)
            self._tables.setdefault(key, table)
            raise
        body["TableStatus"] = "DELETING"
        return {"TableDescription": body}

    async def update_table(self, ctx: RequestContext, params: dict) -> dict:
        async with self._group_changes(ctx, params.get("TableName")):
            return await self._update_table(ctx, params)

    async def _update_table(self, ctx: RequestContext, params: dict) -> dict:
        table = self._table(ctx, params.get("TableName"), describe_style=True)
        _check_update_request(params)
        if params.get("ReplicaUpdates"):
            return await self._update_replicas(ctx, table, params["ReplicaUpdates"])
        vectors.check_update_request(params)
        now = self._now()
        description = copy.deepcopy(table.description)
        billing = params.get("BillingMode")
        current_billing = billing_mode(description)
        # Warm throughput follows the highest capacity so far: kept before any capacity changes.
        for entry in [description, *description.get("GlobalSecondaryIndexes", ())]:
            keep_warmth(entry, current_billing == "PAY_PER_REQUEST")
        if billing and billing != current_billing:
            if billing == "PAY_PER_REQUEST":
                if params.get("ProvisionedThroughput"):
                    raise invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
                description["BillingModeSummary"] = {"BillingMode": "PAY_PER_REQUEST", "LastUpdateToPayPerRequestDateTime": now}
                description["ProvisionedThroughput"] = dict(ON_DEMAND)
                for index in description.get("GlobalSecondaryIndexes", ()):
                    index["ProvisionedThroughput"] = dict(ON_DEMAND)
            else:
                if not params.get("ProvisionedThroughput"):
                    raise invalid("ProvisionedThroughput must be specified when BillingMode is PROVISIONED")
                # Every global index needs its own throughput, given in this same request.
                given = {u["Update"].get("IndexName") for u in params.get("GlobalSecondaryIndexUpdates") or []
                         if u.get("Update") and u["Update"].get("ProvisionedThroughput")}
                lacking = [i["IndexName"] for i in description.get("GlobalSecondaryIndexes", ())
                           if i["IndexName"] not in given]
                if lacking:
                    raise invalid(f"ProvisionedThroughput must be specified for index: {','.join(lacking)}")
                leave_on_demand(description, params["ProvisionedThroughput"])
            current_billing = billing
        elif params.get("ProvisionedThroughput"):
            if current_billing == "PAY_PER_REQUEST":
                raise invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
            _change_throughput(description["ProvisionedThroughput"], checked_throughput(params["ProvisionedThroughput"]), now, "table")
        _table_settings(description, params, current_billing == "PAY_PER_REQUEST")
        defined = {**table.attribute_types, **{d["AttributeName"]: d["AttributeType"] for d in params.get("AttributeDefinitions") or []}}
        created_vectors, deleted_vectors = vectors.apply_updates(description, params, defined)
        vectors.check_vector_indexes(description.get("VectorIndexes", []), current_billing)
        created_indexes, deleted_indexes = self._apply_index_updates(table, description, params, current_billing, now)
        if created_vectors or deleted_vectors:
            _reconcile_definitions(description, params.get("AttributeDefinitions") or [])
        stream = params.get("StreamSpecification")
        opened = closed = None
        if stream is not None:
            enabled = bool(stream.get("StreamEnabled"))
            if enabled and stream.get("StreamViewType") is None:
                raise invalid("If stream is being enabled then UpdateViewType is required")
            if not enabled and stream.get("StreamViewType") is not None:
                raise invalid("If stream is being disabled, then UpdateViewType must not be specified")
            active = table.stream_spec is not None
            if enabled and active:
                raise ValidationException(f"Table already has an enabled stream: TableName: {table.name}")
            if not enabled and not active:
                raise ValidationException(f"Table has no stream to disable: TableName: {table.name}")
            if not enabled and table.replication:
                # Every replica's changes flow through its stream (terraform-provider-aws #20019).
                raise invalid("Disabling Stream is not allowed for a Global Table replica.")
            if enabled:
                enable_stream(description, stream, now)
                opened = True
            else:
                # DescribeTable then shows no StreamSpecification, but still names the last stream.
                closed = table.stream_arn
                description.pop("StreamSpecification", None)
        if params.get("DeletionProtectionEnabled") is not None:
            description["DeletionProtectionEnabled"] = bool(params["DeletionProtectionEnabled"])
        check_table_class(params.get("TableClass"))
        if params.get("TableClass"):
            description["TableClassSummary"] = {"TableClass": params["TableClass"], "LastUpdateDateTime": now}
        if params.get("SSESpecification") is not None:
            _update_sse(description, params["SSESpecification"], table)
        updated = replace(table, description=description)
        group = self._with_group(updated)  # schema, indexes and capacity are the whole group's

        def write(tx: Tx) -> None:
            for member in group:
                store.save_table(tx, member)
            for index_name in deleted_indexes:
                store.drop_index(tx, updated, index_name)
            for index in updated.indexes():
                if index.name in created_indexes:
                    store.backfill_index(tx, updated, index)
            for index_name in deleted_vectors:
                vectors.drop(tx, updated.id, index_name)
            for index_name in created_vectors:
                vectors.backfill(tx, updated, index_name)
            if closed:
                streams.close_stream(tx, closed, now)
            if opened:
                streams.open_stream(tx, updated, now)

        # An index is filled or emptied whole.
        await self.db.write(write, bulk=bool(created_indexes or deleted_indexes or created_vectors or deleted_vectors))
        self._put_group(group)
        body = self._describe(updated)
        changing = (created_indexes or deleted_indexes or created_vectors or deleted_vectors
                    or params.get("ProvisionedThroughput") or billing or stream is not None)
        body["TableStatus"] = "UPDATING" if changing else "ACTIVE"
        encrypted_before = table.description.get("SSEDescription")
        if params.get("SSESpecification") is not None and encrypted_before and "SSEDescription" not in body:
            # Back to the default key: the answer still shows the KMS key, on its way out (LocalStack's
            # AWS-recorded test_dynamodb_create_table_with_partial_sse_specification).
            body["SSEDescription"] = {**encrypted_before, "Status": "UPDATING"}
        for index in [*body.get("GlobalSecondaryIndexes", ()), *body.get("VectorIndexes", ())]:
            if index["IndexName"] in created_indexes or index["IndexName"] in created_vectors:
                index["IndexStatus"] = "CREATING"
        return {"TableDescription": body}

    def _apply_index_updates(self, table: Table, description: dict, params: dict, billing: str,
                             now: float) -> tuple[list[str], list[str]]:
        """Apply GlobalSecondaryIndexUpdates to `description`; the names created and deleted."""
        request_definitions = params.get("AttributeDefinitions") or []
        requested = {d["AttributeName"]: d["AttributeType"] for d in request_definitions}
        local_names = {i["IndexName"] for i in description.get("LocalSecondaryIndexes", ())}
        vector_names = {i["IndexName"] for i in description.get("VectorIndexes", ())}
        created, deleted = [], []
        for update in params.get("GlobalSecondaryIndexUpdates") or []:
            indexes = description.get("GlobalSecondaryIndexes", [])
            if update.get("Create") is not None:
                spec = update["Create"]
                if spec["IndexName"] in [i["IndexName"] for i in indexes] or spec["IndexName"] in local_names | vector_names:
                    raise ValidationException("Attempting to create an index which already exists")
                vectors.check_gsi_keys(spec, description)
                if len(indexes) >= MAX_GLOBAL_INDEXES:
                    raise LimitExceededException("Subscriber limit exceeded: Number of global secondary indexes "
                                                 f"exceeds per-table limit of {MAX_GLOBAL_INDEXES}")
                # The new index's keys must be defined in this request, not only on the table
                # (UpdateTable's AttributeDefinitions "must include the key element(s) of the new index").
                if not request_definitions:
                    raise invalid(f"AttributeDefinitions is not specified for index: {spec['IndexName']}")
                gsi = build_gsi(spec, requested, billing, table.arn, "ACTIVE", "update")
                check_multi_attribute_schema(gsi["KeySchema"])
                description.setdefault("GlobalSecondaryIndexes", []).append(gsi)
                created.append(gsi["IndexName"])
                continue
            action = "delete" if update.get("Delete") is not None else "update"
            spec = update["Delete"] if action == "delete" else update["Update"]
            index_name = spec["IndexName"]
            if index_name in local_names:
                raise ValidationException(f"Cannot {action} an index that is not a GlobalSecondaryIndex: {index_name}")
            index = next((i for i in indexes if i["IndexName"] == index_name), None)
            if index is None:
                raise ResourceNotFoundException(f"Requested resource not found: Index: {index_name} not found")
            if action == "delete":
                description["GlobalSecondaryIndexes"] = [i for i in indexes if i["IndexName"] != index_name]
                if not description["GlobalSecondaryIndexes"]:
                    description.pop("GlobalSecondaryIndexes")
                deleted.append(index_name)
            else:
                index_settings(index, spec, billing == "PAY_PER_REQUEST")
                if spec.get("ProvisionedThroughput") is None and (
                        spec.get("WarmThroughput") is not None or spec.get("OnDemandThroughput") is not None):
                    continue
                if billing == "PAY_PER_REQUEST":
                    raise invalid(f"The only Updates for index: {index_name} when TableThroughputMode is PAY_PER_REQUEST "
                                  "can be to OnDemandThroughput, WarmThroughput")
                wanted = index_throughput(spec.get("ProvisionedThroughput"), billing, index_name, "update")
                _change_throughput(index["ProvisionedThroughput"], wanted, now, index_name)
        if created or deleted or request_definitions:
            _reconcile_definitions(description, request_definitions)
        return created, deleted

    def describe_limits(self, ctx: RequestContext, params: dict) -> dict:
        return {"AccountMaxReadCapacityUnits": 80000, "AccountMaxWriteCapacityUnits": 80000,
                "TableMaxReadCapacityUnits": 40000, "TableMaxWriteCapacityUnits": 40000}

    def describe_endpoints(self, ctx: RequestContext, params: dict) -> dict:
        return {"Endpoints": [{"Address": f"dynamodb.{ctx.region}.amazonaws.com", "CachePeriodInMinutes": 1440}]}


# -- UpdateTable's rules

# What UpdateTable can change; a request naming none of them is refused with the message below
# (the list as DynamoDB words it today, names it does not document included).
_UPDATE_MEMBERS = ("ProvisionedThroughput", "BillingMode", "StreamSpecification", "GlobalSecondaryIndexUpdates", "VectorIndexUpdates",
                   "SSESpecification", "ReplicaUpdates", "DeletionProtectionEnabled", "TableClass",
                   "OnDemandThroughput", "WarmThroughput", "MultiRegionConsistency", "GlobalTableWitnessUpdates")
_NOTHING_TO_UPDATE = (
    "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, "
    "SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, "
    "DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is required")
# Changes that DynamoDB accepts only alone in a request, checked in this order.
_ALONE = (("SSESpecification", "Server-Side Encryption modification must be the only operation in the request"),
          ("TableClass", "TableClass modification must be the only operation in the request"),
          ("DeletionProtectionEnabled", "DeletionProtection modification must be the only operation in the request"))


# Multi-Region strong consistency and witnesses (replicas.py builds the eventually consistent
# global tables): accepting these and changing nothing would tell a deployment tool its strongly
# consistent group exists; they are refused plainly.
_GLOBAL_TABLE_MEMBERS = ("MultiRegionConsistency", "GlobalTableWitnessUpdates")


def _check_update_request(params: dict) -> None:
    present = [m for m in _UPDATE_MEMBERS if params.get(m) not in (None, [])]
    if not present:
        raise ValidationException(_NOTHING_TO_UPDATE)
    if "ReplicaUpdates" in present and len(present) > 1:
        # Checked before anything else about the request or the table (DDB-TABLE-224).
        raise invalid("Replica modification must be the only operation in the request")
    global_table = [m for m in _GLOBAL_TABLE_MEMBERS if m in present]
    if global_table:
        raise ServiceError(f"Overcast does not implement DynamoDB multi-Region strong consistency yet (UpdateTable with "
                           f"{', '.join(global_table)}).", code="NotImplemented", status=501, sender_fault=False)
    for member, message in _ALONE:
        if member in present and len(present) > 1:
            raise invalid(message)
    seen: set[str] = set()
    for update in params.get("GlobalSecondaryIndexUpdates") or []:
        actions = [update[a] for a in ("Update", "Create", "Delete") if update.get(a) is not None]
        if not actions:
            raise invalid("One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, "
                          "GlobalSecondaryIndexUpdate.Delete must not be null")
        if len(actions) > 1:
            raise invalid("Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object")
        name = actions[0].get("IndexName")
        if name in seen:
            raise invalid(f"Only one global secondary index update per index is allowed simultaneously. Index: {name}")
        seen.add(name)
    online = [u for u in params.get("GlobalSecondaryIndexUpdates") or [] if u.get("Create") or u.get("Delete")]
    if len(online) > 1:
        raise LimitExceededException(
            "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table")


def _change_throughput(current: dict, wanted: dict, now: float, owner: str) -> None:
    """Apply a new provisioned throughput, keeping DynamoDB's record of increases and decreases."""
    read, write = current["ReadCapacityUnits"], current["WriteCapacityUnits"]
    if owner == "table" and (wanted["ReadCapacityUnits"], wanted["WriteCapacityUnits"]) == (read, write):
        raise ValidationException(
            "The provisioned throughput for the table will not change. The requested value equals the current value. "
            f"Current ReadCapacityUnits provisioned for the table: {read}. Requested ReadCapacityUnits: {wanted['ReadCapacityUnits']}. "
            f"Current WriteCapacityUnits provisioned for the table: {write}. Requested WriteCapacityUnits: {wanted['WriteCapacityUnits']}. "
            "Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.")
    if wanted["ReadCapacityUnits"] > read or wanted["WriteCapacityUnits"] > write:
        current["LastIncreaseDateTime"] = now
    if wanted["ReadCapacityUnits"] < read or wanted["WriteCapacityUnits"] < write:
        current["NumberOfDecreasesToday"] = _decreases_today(current, now) + 1
        current["LastDecreaseDateTime"] = now
    current["ReadCapacityUnits"] = wanted["ReadCapacityUnits"]
    current["WriteCapacityUnits"] = wanted["WriteCapacityUnits"]


def _decreases_today(throughput: dict, now: float) -> int:
    """Decreases counted since midnight UTC (DynamoDB's count starts again every UTC day)."""
    last = throughput.get("LastDecreaseDateTime")
    if last is None or int(last // 86400) != int(now // 86400):
        return 0
    return throughput.get("NumberOfDecreasesToday", 0)


def _reconcile_definitions(description: dict, request_definitions: list[dict]) -> None:
    """DynamoDB keeps AttributeDefinitions to exactly the attributes some key schema uses: a new
    index's are added, a deleted index's go, and unused ones in the request are dropped."""
    merged = list(description["AttributeDefinitions"])
    known = {d["AttributeName"] for d in merged}
    merged += [d for d in request_definitions if d["AttributeName"] not in known]
    used = vectors.key_attribute_names(description) | vectors.schema_attribute_names(description)
    seen: set[str] = set()
    result = []
    for definition in merged:
        if definition["AttributeName"] in used and definition["AttributeName"] not in seen:
            seen.add(definition["AttributeName"])
            result.append(definition)
    description["AttributeDefinitions"] = _by_name(result)


def _by_name(definitions: list[dict]) -> list[dict]:
    """AttributeDefinitions as DynamoDB answers them: sorted by name, whatever the request's order
    (the AWS CLI's create-table examples: Artist, SongTitle, AlbumTitle come back AlbumTitle first)."""
    return sorted(definitions, key=lambda definition: definition["AttributeName"])


def _update_sse(description: dict, spec: dict, table: Table) -> None:
    wanted = sse_description(spec, table.region, table.account)
    current = description.get("SSEDescription")
    if wanted is None:
        if current is None:
            raise invalid("Table is already encrypted by default")
        description.pop("SSEDescription")
        return
    if current is not None and spec.get("KMSMasterKeyId") is not None and current["KMSMasterKeyArn"] == wanted["KMSMasterKeyArn"]:
        raise invalid("Table is already encrypted with given KMSMasterKeyId. Use KMSMasterKeyId parameter if you want to change Master Key")
    description["SSEDescription"] = wanted
