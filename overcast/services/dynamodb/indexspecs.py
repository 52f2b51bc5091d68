"""What a secondary index's definition must be, as CreateTable, UpdateTable and the restores
check it: key schemas (a table's or a local index's one HASH and at most one RANGE attribute; a
global index's multi-attribute keys, up to four of each), projections and provisioned throughput."""

from __future__ import annotations

from typing import Any

from overcast.services.dynamodb.errors import ValidationException, invalid
from overcast.services.dynamodb.models import MAX_KEY_ATTRIBUTES_OF_A_KIND
from overcast.services.dynamodb.warmth import ask_warmth, set_on_demand_limits

MAX_CAPACITY_UNITS = 1_000_000_000_000  # what DynamoDB reads as a provisioned capacity at all


# KeySchema positions as DynamoDB's KeySchema messages name them ("The second KeySchemaElement").
_ORDINALS = {2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth"}


def check_key_schema(schema: list[dict], defined: dict[str, str], global_index: bool = False) -> None:
    """A table's or a local index's key schema (one HASH, then at most one RANGE), or a global
    index's (multi-attribute keys: up to four HASH, then up to four RANGE attributes)."""
    if not schema:
        raise ValidationException("1 validation error detected: Value null at 'keySchema' failed to satisfy constraint: Member must not be null")
    if not global_index and len(schema) > 2:
        raise ValidationException(
            f"1 validation error detected: Value '{schema}' at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2")
    if schema[0].get("KeyType") != "HASH":
        raise ValidationException("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    if global_index:
        for position, element in enumerate(schema[1:], start=2):
            if element.get("KeyType") not in ("HASH", "RANGE"):
                ordinal = _ORDINALS.get(position, f"{position}th")
                raise ValidationException(f"Invalid KeySchema: The {ordinal} KeySchemaElement is not a RANGE key type")
    elif len(schema) == 2:
        if schema[1].get("KeyType") != "RANGE":
            raise ValidationException("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
        if schema[0]["AttributeName"] == schema[1]["AttributeName"]:
            raise ValidationException("Both the Hash Key and the Range Key element in the KeySchema have the same name")
    missing = [k["AttributeName"] for k in schema if k["AttributeName"] not in defined]
    if missing:
        keys = ", ".join(k["AttributeName"] for k in schema)
        raise invalid(
            f"Some index key attributes are not defined in AttributeDefinitions. Keys: [{keys}], "
            f"AttributeDefinitions: [{', '.join(defined)}]")
    for element in schema:
        if defined[element["AttributeName"]] not in ("S", "N", "B"):
            raise invalid(
                f"Member must satisfy enum value set: [B, N, S] for attribute: {element['AttributeName']}")


def check_global_index_schema(schema: list[dict], defined: dict[str, str]) -> None:
    """Every check a global index's key schema gets at CreateTable, for one defined elsewhere (a
    restore's GlobalSecondaryIndexOverride, keyed on the backup's attribute definitions)."""
    check_key_schema(schema, defined, global_index=True)
    check_multi_attribute_schema(schema)


def check_multi_attribute_schema(schema: list[dict]) -> None:
    """A global index's HASH attributes, then its RANGE attributes, at most four of each, no
    attribute twice (ack-api-quirks' records of DynamoDB's answers). DynamoDB judges the
    attribute definitions first, so callers run this after those checks."""
    kinds = [element.get("KeyType") for element in schema]
    for kind in ("HASH", "RANGE"):
        if kinds.count(kind) > MAX_KEY_ATTRIBUTES_OF_A_KIND:
            raise invalid(f"The KeySchema exceeds the maximum allowed number of {kind} key attributes")
    first_range = kinds.index("RANGE") if "RANGE" in kinds else len(kinds)
    if "HASH" in kinds[first_range:]:
        raise invalid("All HASH key attributes must precede RANGE key attributes in the KeySchema")
    names = [element["AttributeName"] for element in schema]
    if len(set(names)) < len(names):
        raise ValidationException("The KeySchema contains multiple key attributes with the same name")


def checked_throughput(spec: dict) -> dict:
    """A provisioned throughput as DescribeTable shows it, once the billing mode allows it."""
    for member in ("ReadCapacityUnits", "WriteCapacityUnits"):
        if int(spec.get(member, 0)) < 1:
            raise ValidationException(
                f"1 validation error detected: Value '{spec.get(member)}' at 'provisionedThroughput.{member[0].lower() + member[1:]}' failed to satisfy constraint: Member must have value greater than or equal to 1")
    for member in ("ReadCapacityUnits", "WriteCapacityUnits"):
        if int(spec[member]) > MAX_CAPACITY_UNITS:  # dynalite's createTable suite, recorded against DynamoDB
            raise ValidationException(f"Given value {spec[member]} for {member} is out of bounds")
    return {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": int(spec["ReadCapacityUnits"]),
            "WriteCapacityUnits": int(spec["WriteCapacityUnits"])}


ON_DEMAND = {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0}


def table_throughput(spec: dict | None, billing: str) -> dict:
    if billing == "PAY_PER_REQUEST":
        if spec:
            raise invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
        return dict(ON_DEMAND)
    if not spec:
        raise invalid("ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
    return checked_throughput(spec)


# CreateTable and UpdateTable word the same index throughput mistakes differently.
_INDEX_THROUGHPUT_MESSAGES = {
    "create": ("ProvisionedThroughput should not be specified for index: {} when BillingMode is PAY_PER_REQUEST",
               "ProvisionedThroughput is not specified for index: {}"),
    "update": ("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: {} when BillingMode is PAY_PER_REQUEST",
               "ProvisionedThroughput must be specified for index: {}"),
}


def index_throughput(spec: dict | None, billing: str, index_name: str, operation: str) -> dict:
    on_demand_given, provisioned_missing = _INDEX_THROUGHPUT_MESSAGES[operation]
    if billing == "PAY_PER_REQUEST":
        if spec:
            raise invalid(on_demand_given.format(index_name))
        return dict(ON_DEMAND)
    if not spec:
        raise invalid(provisioned_missing.format(index_name))
    return checked_throughput(spec)


def checked_projection(spec: dict | None) -> dict:
    spec = dict(spec or {})
    kind = spec.get("ProjectionType")
    if kind is None:
        raise invalid("Unknown ProjectionType: null")
    result: dict[str, Any] = {"ProjectionType": kind}
    non_key = spec.get("NonKeyAttributes")
    if kind == "INCLUDE":
        if not non_key:
            raise invalid("ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
        seen: set[str] = set()
        for name in non_key:
            if name in seen:
                raise invalid(f"Duplicate element in NonKeyAttributes: {name}")
            seen.add(name)
        result["NonKeyAttributes"] = list(non_key)
    elif non_key:
        raise invalid(f"ProjectionType is {kind}, but NonKeyAttributes is specified")
    return result


def build_gsi(spec: dict, defined: dict[str, str], billing: str, table_arn: str, status: str,
              operation: str = "create") -> dict:
    name = spec["IndexName"]
    check_key_schema(spec.get("KeySchema") or [], defined, global_index=True)
    projection = checked_projection(spec.get("Projection"))
    index = {
        "IndexName": name,
        "KeySchema": spec["KeySchema"],
        "Projection": projection,
        "IndexStatus": status,
        "ProvisionedThroughput": index_throughput(spec.get("ProvisionedThroughput"), billing, name, operation),
        "IndexArn": f"{table_arn}/index/{name}",
    }
    index_settings(index, spec, billing == "PAY_PER_REQUEST")
    return index


def index_settings(index: dict, spec: dict, on_demand: bool) -> None:
    """A global index's WarmThroughput and OnDemandThroughput, as a create or update asks."""
    if spec.get("WarmThroughput") is not None:
        ask_warmth(index, spec["WarmThroughput"], on_demand, f"index {index['IndexName']}")
    if spec.get("OnDemandThroughput") is not None:
        set_on_demand_limits(index, spec["OnDemandThroughput"], on_demand, f"index {index['IndexName']}")
