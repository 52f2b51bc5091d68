"""Control plane: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable, tags, limits."""

from __future__ import annotations

import copy
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.dynamodb import store, streams
from overcast.services.dynamodb.errors import (
    ResourceInUseException,
    ResourceNotFoundException,
    ValidationException,
    invalid,
    table_not_found,
)
from overcast.services.dynamodb.models import Table
from overcast.storage.interface import Tx

_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_.-]+$")
_VIEW_TYPES = ("NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY")


def timestamp(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


def check_table_name(name: Any, member: str = "tableName") -> str:
    """A table name, or the name inside a table ARN (DynamoDB accepts either as TableName)."""
    if isinstance(name, str) and name.startswith("arn:") and ":table/" in name:
        name = name.split(":table/", 1)[1].split("/", 1)[0]
    if name is None:
        raise ValidationException(
            f"1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null")
    if len(name) < 3:
        raise ValidationException(
            f"1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must have length greater than or equal to 3")
    if len(name) > 255:
        raise ValidationException(
            f"1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must have length less than or equal to 255")
    if not _NAME_PATTERN.match(name):
        raise ValidationException(
            f"1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
    return name


def _check_key_schema(schema: list[dict], defined: dict[str, str], label: str = "") -> None:
    if not schema:
        raise ValidationException("1 validation error detected: Value null at 'keySchema' failed to satisfy constraint: Member must not be null")
    if len(schema) > 2:
        raise ValidationException(
            f"1 validation error detected: Value '{schema}' at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2")
    if schema[0].get("KeyType") != "HASH":
        raise ValidationException("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    if len(schema) == 2:
        if schema[1].get("KeyType") != "RANGE":
            raise ValidationException("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
        if schema[0]["AttributeName"] == schema[1]["AttributeName"]:
            raise ValidationException("Both the Hash Key and the Range Key element in the KeySchema have the same name")
    missing = [k["AttributeName"] for k in schema if k["AttributeName"] not in defined]
    if missing:
        raise invalid(
            f"Some index key attributes are not defined in AttributeDefinitions. Keys: [{', '.join(missing)}], "
            f"AttributeDefinitions: [{', '.join(defined)}]")
    for element in schema:
        if defined[element["AttributeName"]] not in ("S", "N", "B"):
            raise invalid(
                f"Member must satisfy enum value set: [B, N, S] for attribute: {element['AttributeName']}")


def _throughput(spec: dict | None, billing: str, label: str) -> dict:
    if billing == "PAY_PER_REQUEST":
        if spec:
            raise invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
        return {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0}
    if not spec:
        if label:
            raise invalid(f"ProvisionedThroughput must be specified for index: {label}")
        raise ValidationException("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
    for member in ("ReadCapacityUnits", "WriteCapacityUnits"):
        if int(spec.get(member, 0)) < 1:
            raise ValidationException(
                f"1 validation error detected: Value '{spec.get(member)}' at 'provisionedThroughput.{member[0].lower() + member[1:]}' failed to satisfy constraint: Member must have value greater than or equal to 1")
    return {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": int(spec["ReadCapacityUnits"]),
            "WriteCapacityUnits": int(spec["WriteCapacityUnits"])}


def _projection(spec: dict | None, index_name: str) -> dict:
    spec = dict(spec or {})
    kind = spec.get("ProjectionType") or "ALL"
    result: dict[str, Any] = {"ProjectionType": kind}
    if kind == "INCLUDE":
        if not spec.get("NonKeyAttributes"):
            raise invalid(f"ProjectionType is INCLUDE, but NonKeyAttributes is not specified for index: {index_name}")
        result["NonKeyAttributes"] = list(spec["NonKeyAttributes"])
    elif spec.get("NonKeyAttributes"):
        raise invalid(f"ProjectionType is {kind}, but NonKeyAttributes is specified for index: {index_name}")
    return result


def build_gsi(spec: dict, defined: dict[str, str], billing: str, table_arn: str, status: str) -> dict:
    name = spec["IndexName"]
    _check_key_schema(spec.get("KeySchema") or [], defined)
    return {
        "IndexName": name,
        "KeySchema": spec["KeySchema"],
        "Projection": _projection(spec.get("Projection"), name),
        "IndexStatus": status,
        "ProvisionedThroughput": _throughput(spec.get("ProvisionedThroughput"), billing, name),
        "IndexArn": f"{table_arn}/index/{name}",
    }


def new_table_description(params: dict, account: str, region: str, now: float) -> dict:
    name = check_table_name(params.get("TableName"))
    definitions = params.get("AttributeDefinitions") or []
    defined = {d["AttributeName"]: d["AttributeType"] for d in definitions}
    if len(defined) != len(definitions):
        raise invalid("Duplicate AttributeName in AttributeDefinitions")
    schema = params.get("KeySchema") or []
    _check_key_schema(schema, defined)
    billing = params.get("BillingMode") or "PROVISIONED"
    arn = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
    description: dict[str, Any] = {
        "AttributeDefinitions": definitions,
        "TableName": name,
        "KeySchema": schema,
        "TableStatus": "ACTIVE",
        "CreationDateTime": now,
        "ProvisionedThroughput": _throughput(params.get("ProvisionedThroughput"), billing, ""),
        "TableArn": arn,
        "TableId": str(uuid.uuid4()),
    }
    if billing == "PAY_PER_REQUEST":
        description["BillingModeSummary"] = {"BillingMode": "PAY_PER_REQUEST", "LastUpdateToPayPerRequestDateTime": now}
    used = {k["AttributeName"] for k in schema}
    names: set[str] = set()
    hash_key = schema[0]["AttributeName"]
    range_key = schema[1]["AttributeName"] if len(schema) > 1 else None
    lsis = []
    for spec in params.get("LocalSecondaryIndexes") or []:
        index_name = spec["IndexName"]
        if index_name in names:
            raise invalid(f"Duplicate index name: {index_name}")
        names.add(index_name)
        if range_key is None:
            raise invalid("Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex")
        index_schema = spec.get("KeySchema") or []
        _check_key_schema(index_schema, defined)
        if index_schema[0]["AttributeName"] != hash_key:
            raise invalid(
                f"Index KeySchema does not have the same leading hash key as table KeySchema for index: {index_name}. "
                f"index hash key: {index_schema[0]['AttributeName']}, table hash key: {hash_key}")
        if len(index_schema) != 2:
            raise invalid(f"Index KeySchema does not have a range key for index: {index_name}")
        used.update(k["AttributeName"] for k in index_schema)
        lsis.append({"IndexName": index_name, "KeySchema": index_schema,
                     "Projection": _projection(spec.get("Projection"), index_name),
                     "IndexArn": f"{arn}/index/{index_name}"})
    if len(lsis) > 5:
        raise ValidationException("One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of 5")
    gsis = []
    for spec in params.get("GlobalSecondaryIndexes") or []:
        if spec["IndexName"] in names:
            raise invalid(f"Duplicate index name: {spec['IndexName']}")
        names.add(spec["IndexName"])
        gsis.append(build_gsi(spec, defined, billing, arn, "ACTIVE"))
        used.update(k["AttributeName"] for k in spec["KeySchema"])
    if len(gsis) > 20:
        raise ValidationException("One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of 20")
    if set(defined) != used:
        raise invalid("Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
    if lsis:
        description["LocalSecondaryIndexes"] = lsis
    if gsis:
        description["GlobalSecondaryIndexes"] = gsis
    stream = params.get("StreamSpecification")
    if stream and stream.get("StreamEnabled"):
        _enable_stream(description, stream, now)
    sse = params.get("SSESpecification")
    if sse and sse.get("Enabled"):
        key = sse.get("KMSMasterKeyId") or f"arn:aws:kms:{region}:{account}:key/{uuid.uuid4()}"
        description["SSEDescription"] = {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": key}
    if params.get("TableClass"):
        description["TableClassSummary"] = {"TableClass": params["TableClass"]}
    description["DeletionProtectionEnabled"] = bool(params.get("DeletionProtectionEnabled", False))
    return description


def _enable_stream(description: dict, spec: dict, now: float) -> None:
    view = spec.get("StreamViewType")
    if view not in _VIEW_TYPES:
        raise invalid("StreamViewType is required when StreamEnabled is true" if view is None else
                      f"Invalid StreamViewType: {view}")
    label = streams.stream_label(now)
    description["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view}
    description["LatestStreamLabel"] = label
    description["LatestStreamArn"] = f"{description['TableArn']}/stream/{label}"


class TablesMixin:
    """Table operations; the Provider supplies _table, _tables, _now and self.db."""

    async def create_table(self, ctx: RequestContext, params: dict) -> dict:
        now = self._now()
        description = new_table_description(params, ctx.account_id, ctx.region, now)
        tags = {t["Key"]: t["Value"] for t in params.get("Tags") or []}
        table = Table(0, ctx.account_id, ctx.region, description["TableName"], description, tags)

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
        for index in body.get("GlobalSecondaryIndexes", ()):
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
        summary = body.get("BillingModeSummary")
        if summary:
            summary["LastUpdateToPayPerRequestDateTime"] = timestamp(summary["LastUpdateToPayPerRequestDateTime"])
        for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            for index in body.get(kind, ()):
                icount, isize = self._index_counts(table, index["IndexName"]) if counts else (0, 0)
                index["IndexSizeBytes"] = isize
                index["ItemCount"] = icount
        if not body.get("StreamSpecification", {}).get("StreamEnabled"):
            body.pop("LatestStreamArn", None)
            body.pop("LatestStreamLabel", None)
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
        name = check_table_name(params.get("TableName"))
        table = self._tables.get((ctx.account_id, ctx.region, name))
        if table is None:
            raise table_not_found(name)
        if table.description.get("DeletionProtectionEnabled"):
            raise ValidationException(
                "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
        body = self._describe(table)
        now = self._now()

        def delete(tx: Tx) -> None:
            store.drop_table(tx, table)
            if table.stream_arn:
                streams.close_stream(tx, table.stream_arn, now)

        await self.db.write(delete, bulk=True)  # every item of the table goes
        self._tables.pop((table.account, table.region, table.name), None)
        body["TableStatus"] = "DELETING"
        return {"TableDescription": body}

    async def update_table(self, ctx: RequestContext, params: dict) -> dict:
        table = self._table(ctx, params.get("TableName"), describe_style=True)
        changes = ("ProvisionedThroughput", "BillingMode", "StreamSpecification", "GlobalSecondaryIndexUpdates",
                   "SSESpecification", "ReplicaUpdates", "DeletionProtectionEnabled", "TableClass", "OnDemandThroughput")
        if not any(params.get(member) not in (None, []) for member in changes):
            raise ValidationException(
                "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates "
                "or SSESpecification or ReplicaUpdates is required")
        now = self._now()
        description = copy.deepcopy(table.description)
        defined = {d["AttributeName"]: d["AttributeType"] for d in description["AttributeDefinitions"]}
        for definition in params.get("AttributeDefinitions") or []:
            if definition["AttributeName"] not in defined:
                description["AttributeDefinitions"].append(definition)
            defined[definition["AttributeName"]] = definition["AttributeType"]
        billing = params.get("BillingMode")
        current_billing = description.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
        if billing and billing != current_billing:
            if billing == "PAY_PER_REQUEST":
                description["BillingModeSummary"] = {"BillingMode": "PAY_PER_REQUEST", "LastUpdateToPayPerRequestDateTime": now}
                description["ProvisionedThroughput"] = _throughput(None, billing, "")
                for index in description.get("GlobalSecondaryIndexes", ()):
                    index["ProvisionedThroughput"] = _throughput(None, billing, "")
            else:
                description.pop("BillingModeSummary", None)
                description["ProvisionedThroughput"] = _throughput(params.get("ProvisionedThroughput"), billing, "")
            current_billing = billing
        elif params.get("ProvisionedThroughput"):
            description["ProvisionedThroughput"] = _throughput(params["ProvisionedThroughput"], current_billing, "")
        created_indexes, deleted_indexes = [], []
        for update in params.get("GlobalSecondaryIndexUpdates") or []:
            if "Create" in update:
                spec = update["Create"]
                existing = [i["IndexName"] for i in description.get("GlobalSecondaryIndexes", ())]
                existing += [i["IndexName"] for i in description.get("LocalSecondaryIndexes", ())]
                if spec["IndexName"] in existing:
                    raise ValidationException("Attempting to create an index which already exists")
                gsi = build_gsi(spec, defined, current_billing, table.arn, "ACTIVE")
                description.setdefault("GlobalSecondaryIndexes", []).append(gsi)
                created_indexes.append(gsi["IndexName"])
            elif "Delete" in update:
                index_name = update["Delete"]["IndexName"]
                indexes = description.get("GlobalSecondaryIndexes", [])
                if not any(i["IndexName"] == index_name for i in indexes):
                    raise ResourceNotFoundException(f"Requested resource not found: Index: {index_name} not found")
                description["GlobalSecondaryIndexes"] = [i for i in indexes if i["IndexName"] != index_name]
                if not description["GlobalSecondaryIndexes"]:
                    description.pop("GlobalSecondaryIndexes")
                deleted_indexes.append(index_name)
            elif "Update" in update:
                spec = update["Update"]
                for index in description.get("GlobalSecondaryIndexes", ()):
                    if index["IndexName"] == spec["IndexName"]:
                        index["ProvisionedThroughput"] = _throughput(spec.get("ProvisionedThroughput"), current_billing, spec["IndexName"])
                        break
                else:
                    raise ResourceNotFoundException(f"Requested resource not found: Index: {spec['IndexName']} not found")
        stream = params.get("StreamSpecification")
        opened = closed = None
        if stream is not None:
            enabled = bool(stream.get("StreamEnabled"))
            active = table.stream_spec is not None
            if enabled and active:
                raise ValidationException(f"Table already has an enabled stream: TableName: {table.name}")
            if not enabled and not active:
                raise ValidationException(f"Table does not have a stream enabled: TableName: {table.name}")
            if enabled:
                _enable_stream(description, stream, now)
                opened = True
            elif active:
                closed = table.stream_arn
                description["StreamSpecification"] = {"StreamEnabled": False}
        if "DeletionProtectionEnabled" in params and params["DeletionProtectionEnabled"] is not None:
            description["DeletionProtectionEnabled"] = bool(params["DeletionProtectionEnabled"])
        if params.get("TableClass"):
            description["TableClassSummary"] = {"TableClass": params["TableClass"]}
        if params.get("SSESpecification"):
            sse = params["SSESpecification"]
            if sse.get("Enabled", True):
                key = sse.get("KMSMasterKeyId") or f"arn:aws:kms:{table.region}:{table.account}:key/{uuid.uuid4()}"
                description["SSEDescription"] = {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": key}
            else:
                description.pop("SSEDescription", None)
        updated = Table(table.id, table.account, table.region, table.name, description, table.tags, table.ttl, table.pitr)

        def write(tx: Tx) -> None:
            store.save_table(tx, updated)
            for index_name in deleted_indexes:
                store.drop_index(tx, updated, index_name)
            for index in updated.indexes():
                if index.name in created_indexes:
                    store.backfill_index(tx, updated, index)
            if closed:
                streams.close_stream(tx, closed, now)
            if opened:
                streams.open_stream(tx, updated, now)

        await self.db.write(write, bulk=bool(created_indexes or deleted_indexes))  # an index is filled or emptied whole
        self._tables[(table.account, table.region, table.name)] = updated
        body = self._describe(updated)
        body["TableStatus"] = "UPDATING" if (created_indexes or deleted_indexes or params.get("ProvisionedThroughput") or billing) else "ACTIVE"
        for index in body.get("GlobalSecondaryIndexes", ()):
            if index["IndexName"] in created_indexes:
                index["IndexStatus"] = "CREATING"
        return {"TableDescription": body}

    # -- tags

    def _table_by_arn(self, ctx: RequestContext, arn: str | None) -> Table:
        for table in self._tables.values():
            if table.arn == arn:
                return table
        raise ResourceNotFoundException(f"Requested resource not found: ResourceArn: {arn} not found")

    async def _save_tags(self, table: Table) -> None:
        await self.db.write(lambda tx: store.save_table(tx, table))

    async def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        table = self._table_by_arn(ctx, params.get("ResourceArn"))
        for tag in params.get("Tags") or []:
            table.tags[tag["Key"]] = tag["Value"]
        await self._save_tags(table)
        return {}

    async def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        table = self._table_by_arn(ctx, params.get("ResourceArn"))
        for key in params.get("TagKeys") or []:
            table.tags.pop(key, None)
        await self._save_tags(table)
        return {}

    def list_tags_of_resource(self, ctx: RequestContext, params: dict) -> dict:
        table = self._table_by_arn(ctx, params.get("ResourceArn"))
        return {"Tags": [{"Key": k, "Value": v} for k, v in table.tags.items()]}

    def describe_limits(self, ctx: RequestContext, params: dict) -> dict:
        return {"AccountMaxReadCapacityUnits": 80000, "AccountMaxWriteCapacityUnits": 80000,
                "TableMaxReadCapacityUnits": 40000, "TableMaxWriteCapacityUnits": 40000}

    def describe_endpoints(self, ctx: RequestContext, params: dict) -> dict:
        return {"Endpoints": [{"Address": f"dynamodb.{ctx.region}.amazonaws.com", "CachePeriodInMinutes": 1440}]}
