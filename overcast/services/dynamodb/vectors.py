"""Vector indexes: their definition (CreateTable's VectorIndexes, UpdateTable's
VectorIndexUpdates), what DescribeTable shows of them, the checks an item write passes, and the
index rows a write keeps in step (store.write_item calls write_rows).

A vector is stored in an item as a list of numbers (L of N) of the index's dimensions; the index
keeps it packed as little-endian float32 (4 bytes a dimension), beside the entry's projected
attributes, under the value of the search schema's HASH attribute, so that SearchVectors
(vectorsearch.py) reads one partition's vectors without parsing items.

Facts from AWS: the API reference in botocore's model (shapes VectorIndex, SearchSchemaElement,
VectorCapacity), the Developer Guide's vector index chapters (at most 5 vector indexes a table,
on-demand tables only, f32 precision, SearchSchema attributes declared in AttributeDefinitions,
writes with a wrong-length or wrong-typed vector refused, an item without the HASH attribute
left out of the index), the parity suite's recordings (paritysuite/dynamodb-conformance:
the vector write capacity formula), and ScyllaDB's Alternator tests run against DynamoDB
(test/alternator/test_vector.py: dimensions 1 to 4096 with fractions truncated, one HASH element
at most, no duplicate schema attributes, vector attribute not a key attribute, indexes on one
attribute agree on dimensions, 19 NonKeyAttributes at most, an existing item that does not fit
an index being created is skipped, not refused). Messages not recorded anywhere are marked
"worded here".
"""

from __future__ import annotations

import struct
from typing import Any

from overcast.services.dynamodb import codec
from overcast.services.dynamodb.errors import (
    LimitExceededException,
    ResourceNotFoundException,
    ValidationException,
    invalid,
)
from overcast.services.dynamodb.indexspecs import checked_projection
from overcast.services.dynamodb.keys import encode_key_value
from overcast.services.dynamodb.models import Table, VectorIndexMeta
from overcast.services.dynamodb.types import item_size
from overcast.storage.interface import Tx

MAX_DIMENSIONS = 4096
MAX_VECTOR_INDEXES = 5  # per table (the Developer Guide's comparison with secondary indexes)
MAX_PROJECTED = 20  # the vector attribute, INLINE_FILTER attributes and NonKeyAttributes together
_DISTANCES = ("COSINE", "DOT_PRODUCT", "EUCLIDEAN")
# The floor of VectorWriteRequestBytes (paritysuite consumedCapacity.test.ts, 2026-08-18 capture).
WRITE_BYTES_FLOOR = 1024


# -- definition

def build_vector_index(spec: dict, defined: dict[str, str], table_arn: str, key_names: set[str],
                       path: str) -> dict:
    """One VectorIndexes element (or a VectorIndexUpdates Create) as stored: checked against the
    attribute definitions `defined` and the key attributes `key_names` of the table and its
    secondary indexes. `path` is where the element sits in the request (for Coral-style words)."""
    name = spec["IndexName"]
    dimensions = _dimensions(spec.get("Dimensions"), path)
    distance = spec.get("DistanceFunction")
    if distance not in _DISTANCES:  # the model's enum refuses it first; kept for direct callers
        raise ValidationException(
            f"1 validation error detected: Value '{distance}' at '{path}.distanceFunction' failed to satisfy constraint: "
            "Member must satisfy enum value set: [COSINE, DOT_PRODUCT, EUCLIDEAN]")
    attribute = spec["VectorAttribute"]["AttributeName"]
    if attribute in key_names:
        # Worded here; DynamoDB's message names the attribute (Alternator's tests match 'v').
        raise invalid(f"The vector attribute '{attribute}' of vector index {name} cannot be a key attribute "
                      "of the table or of one of its indexes")
    schema = spec.get("SearchSchema")
    hashes: list[str] = []
    seen: set[str] = set()
    for element in schema or ():
        attribute_name = element["AttributeName"]
        if attribute_name in seen:
            raise invalid(f"Duplicate attribute in SearchSchema: {attribute_name}")  # worded here
        seen.add(attribute_name)
        if element["SearchSchemaElementType"] == "HASH":
            hashes.append(attribute_name)
    if len(hashes) > 1:
        raise invalid(f"SearchSchema of vector index {name} has more than one HASH element")  # worded here
    if any(element["AttributeName"] not in defined for element in schema or ()):
        raise ValidationException("One element in SearchSchema is not defined in attribute definitions")
    for element in schema or ():
        if defined[element["AttributeName"]] not in ("S", "N", "B"):
            raise invalid(f"Member must satisfy enum value set: [B, N, S] for attribute: {element['AttributeName']}")
    projection = checked_projection(spec.get("Projection"))
    filters = [e for e in schema or () if e["SearchSchemaElementType"] == "INLINE_FILTER"]
    projected = 1 + len(filters) + len(projection.get("NonKeyAttributes", ()))
    if projected > MAX_PROJECTED:
        # Worded here: the count is the Developer Guide's (the vector attribute counts as one, each
        # INLINE_FILTER as one); Alternator's tests match "projected attributes".
        raise invalid(f"The number of projected attributes of vector index {name} exceeds the limit of {MAX_PROJECTED}")
    index: dict[str, Any] = {"IndexName": name, "VectorAttribute": {"AttributeName": attribute}}
    if schema:
        index["SearchSchema"] = [{"AttributeName": e["AttributeName"], "SearchSchemaElementType": e["SearchSchemaElementType"]}
                                 for e in schema]
    index.update({"Projection": projection, "Dimensions": dimensions, "DistanceFunction": distance,
                  "IndexStatus": "ACTIVE", "IndexArn": f"{table_arn}/index/{name}"})
    return index


def _dimensions(value: Any, path: str) -> int:
    """Dimensions, 1 to 4096. (DynamoDB truncates a fraction, 6.7 to 6; the JSON protocol layer
    here refuses a fraction for a long member first, as a SerializationException.)"""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationException(f"1 validation error detected: Value '{value}' at '{path}.dimensions' failed to satisfy "
                                  "constraint: Member must not be null")
    if value < 1:
        raise ValidationException(f"1 validation error detected: Value '{value}' at '{path}.dimensions' failed to satisfy "
                                  "constraint: Member must have value greater than or equal to 1")
    if value > MAX_DIMENSIONS:
        # Worded here in Coral's form; the limit is DynamoDB's (Alternator's tests, against AWS).
        raise ValidationException(f"1 validation error detected: Value '{value}' at '{path}.dimensions' failed to satisfy "
                                  f"constraint: Member must have value less than or equal to {MAX_DIMENSIONS}")
    return value


def build_for_create(specs: list[dict] | None, defined: dict[str, str], table_arn: str, names: set[str],
                     billing: str, keyed: dict) -> list[dict]:
    """CreateTable's VectorIndexes as stored. `names`: the secondary indexes' names so far (a
    vector index may not share one: "Duplicate index name", as Alternator's tests record);
    `keyed`: the table's KeySchema and secondary indexes, whose key attributes no vector
    attribute may be."""
    if not specs:
        return []
    key_names = key_attribute_names(keyed)
    indexes = []
    for position, spec in enumerate(specs, 1):
        if spec["IndexName"] in names:
            raise invalid(f"Duplicate index name: {spec['IndexName']}")
        names.add(spec["IndexName"])
        indexes.append(build_vector_index(spec, defined, table_arn, key_names, f"vectorIndexes.{position}.member"))
    check_vector_indexes(indexes, billing)
    return indexes


def check_gsi_keys(spec: dict, description: dict) -> None:
    """A global index created by UpdateTable may not be keyed by a vector attribute (Alternator's
    tests, against DynamoDB; worded here)."""
    taken = vector_attribute_names(description)
    for element in spec.get("KeySchema") or ():
        if element.get("AttributeName") in taken:
            raise invalid(f"Attribute {element['AttributeName']} is the vector attribute of a vector index "
                          "and cannot be an index key")


def index_counts(db: Any, table_id: int, index_name: str) -> tuple[int, int]:
    """A vector index's ItemCount and IndexSizeBytes (entries billed as VectorWriteRequestBytes counts them)."""
    row = db.fetchone("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM dynamodb_vector_items WHERE table_id = ? AND index_name = ?",
                      (table_id, index_name))
    return (row[0], row[1]) if row else (0, 0)


def check_vector_indexes(indexes: list[dict], billing: str) -> None:
    """The rules that concern a table's vector indexes together: on-demand tables only, at most
    five, and indexes on one attribute agree on its dimensions."""
    if not indexes:
        return
    if billing != "PAY_PER_REQUEST":
        # Worded here; the rule is the Developer Guide's ("Requirements and limitations").
        raise invalid("Vector indexes are supported only on tables that use on-demand capacity mode (PAY_PER_REQUEST)")
    if len(indexes) > MAX_VECTOR_INDEXES:
        raise invalid(f"VectorIndex count exceeds the per-table limit of {MAX_VECTOR_INDEXES}")  # worded here
    dimensions: dict[str, int] = {}
    for index in indexes:
        attribute = index["VectorAttribute"]["AttributeName"]
        if dimensions.setdefault(attribute, index["Dimensions"]) != index["Dimensions"]:
            # Worded here; DynamoDB's names Dimensions (Alternator's tests).
            raise invalid(f"Vector indexes on attribute {attribute} must have the same Dimensions: "
                          f"{dimensions[attribute]} and {index['Dimensions']}")


def schema_attribute_names(description: dict) -> set[str]:
    """The attributes the vector indexes' search schemas declare (kept in AttributeDefinitions)."""
    return {element["AttributeName"] for index in description.get("VectorIndexes", ())
            for element in index.get("SearchSchema") or ()}


def key_attribute_names(description: dict) -> set[str]:
    """Every key attribute of the table and of its secondary indexes."""
    names = {k["AttributeName"] for k in description["KeySchema"]}
    for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        for index in description.get(kind, ()):
            names.update(k["AttributeName"] for k in index["KeySchema"])
    return names


def vector_attribute_names(description: dict) -> set[str]:
    return {index["VectorAttribute"]["AttributeName"] for index in description.get("VectorIndexes", ())}


def check_update_request(params: dict) -> None:
    """VectorIndexUpdates' own rules, before the table's state is looked at: one Create or
    Delete per element, and one element per request (with no GlobalSecondaryIndexUpdates beside
    it), as for online global index changes (Alternator's tests, against DynamoDB)."""
    updates = params.get("VectorIndexUpdates") or []
    for update in updates:
        actions = [a for a in ("Create", "Delete") if update.get(a) is not None]
        if len(actions) != 1:
            # Worded here, after the GlobalSecondaryIndexUpdate message.
            raise invalid("One of VectorIndexUpdate.Create, VectorIndexUpdate.Delete must be provided, and only one")
    online = [u for u in params.get("GlobalSecondaryIndexUpdates") or [] if u.get("Create") or u.get("Delete")]
    if len(updates) > 1 or (updates and online):
        raise LimitExceededException(
            "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table")


def apply_updates(description: dict, params: dict, defined: dict[str, str]) -> tuple[list[str], list[str]]:
    """Apply VectorIndexUpdates to `description` (a copy); the vector indexes created and deleted.
    `defined`: the table's attribute definitions with the request's."""
    created: list[str] = []
    deleted: list[str] = []
    for update in params.get("VectorIndexUpdates") or []:
        indexes = description.get("VectorIndexes", [])
        if update.get("Create") is not None:
            spec = update["Create"]
            taken = {i["IndexName"] for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "VectorIndexes")
                     for i in description.get(kind, ())}
            if spec["IndexName"] in taken:
                raise ValidationException("Attempting to create an index which already exists")
            if len(indexes) >= MAX_VECTOR_INDEXES:
                raise LimitExceededException("Subscriber limit exceeded: Number of vector indexes exceeds per-table limit "
                                             f"of {MAX_VECTOR_INDEXES}")  # worded here
            index = build_vector_index(spec, defined, description["TableArn"], key_attribute_names(description),
                                       "vectorIndexUpdates.1.member.create")
            description["VectorIndexes"] = [*indexes, index]
            check_vector_indexes(description["VectorIndexes"], _billing(description))
            created.append(index["IndexName"])
        else:
            name = update["Delete"]["IndexName"]
            if not any(i["IndexName"] == name for i in indexes):
                raise ResourceNotFoundException(f"Requested resource not found: Index: {name} not found")
            description["VectorIndexes"] = [i for i in indexes if i["IndexName"] != name]
            if not description["VectorIndexes"]:
                description.pop("VectorIndexes")
            deleted.append(name)
    return created, deleted


def _billing(description: dict) -> str:
    return (description.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")


def describe(body: dict, counts: Any) -> None:
    """DescribeTable's view of the vector indexes in `body`: each index's ItemCount and
    IndexSizeBytes (`counts(name)` gives them). An ACTIVE index shows no Backfilling."""
    for index in body.get("VectorIndexes", ()):
        count, size = counts(index["IndexName"])
        index["IndexSizeBytes"] = size
        index["ItemCount"] = count


def for_restore(description: dict, override: list[dict] | None, table_arn: str) -> None:
    """A restored table's vector indexes: the source's, or those VectorIndexOverride keeps
    (each must match one of the source's), under the new table's ARN; still on demand only."""
    indexes = description.get("VectorIndexes", [])
    if override is not None:
        source = {index["IndexName"]: index for index in indexes}
        kept = []
        for spec in override:
            index = source.get(spec.get("IndexName"))
            wanted = {k: v for k, v in spec.items() if k != "SearchSchema" or v}
            if index is None or any(index.get(k) != v for k, v in wanted.items()):
                # Worded here: the API reference says the indexes given must match the source's.
                raise invalid(f"VectorIndexOverride does not match a vector index of the source table: {spec.get('IndexName')}")
            kept.append(index)
        indexes = kept
    for index in indexes:
        index["IndexArn"] = f"{table_arn}/index/{index['IndexName']}"
        index["IndexStatus"] = "ACTIVE"
    if indexes:
        description["VectorIndexes"] = indexes
    else:
        description.pop("VectorIndexes", None)
    check_vector_indexes(indexes, _billing(description))


# -- items

def fits_float32(number: float) -> bool:
    """Whether a number rounds to a finite float32, as DynamoDB stores a vector's numbers (so
    float32's largest, printed 3.4028235E38, is one though a little above it as a decimal)."""
    try:
        struct.pack("<f", number)
    except OverflowError:
        return False
    return True


def _vector_of(value: Any, dimensions: int) -> tuple[list[float] | None, str | None]:
    """An attribute value as a vector of `dimensions` float32 numbers, or why it is not one."""
    if not isinstance(value, dict) or "L" not in value:
        kind = next(iter(value), "?") if isinstance(value, dict) else "?"
        return None, f"expected a list of numbers (L of N), got {kind}"
    elements = value["L"]
    numbers = []
    for position, element in enumerate(elements):
        text = element.get("N") if isinstance(element, dict) else None
        if text is None:
            return None, f"element {position} is not a number"
        number = float(text)  # a stored item's numbers are valid DynamoDB numbers already
        if not fits_float32(number):
            return None, f"element {position} is not a 32-bit floating-point number"
        numbers.append(number)
    if len(numbers) != dimensions:
        return None, f"dimensions {len(numbers)}"
    return numbers, None


def check_item(table: Table, item: dict, updating: bool) -> None:
    """What a write must satisfy for the table's vector indexes: a vector attribute present holds
    a vector of the index's dimensions (Developer Guide, "Troubleshooting vector indexes": such a
    write is refused), and search schema attributes present have their declared type (a HASH
    one no empty string), as global index keys do (Alternator's tests, against DynamoDB)."""
    types = table.attribute_types
    for index in table.vector_indexes():
        value = item.get(index.attribute)
        if value is not None:
            _, problem = _vector_of(value, index.dimensions)
            # Worded here: DynamoDB's words are not recorded ("Invalid parameter type" for a wrong type).
            if problem is not None and problem.startswith("dimensions"):
                raise invalid(f"Vector attribute {index.attribute} has {problem.split()[1]} dimensions, but vector index "
                              f"{index.name} has {index.dimensions}")
            if problem is not None:
                raise invalid(f"Invalid parameter type for vector attribute {index.attribute}: {problem}. "
                              f"IndexName: {index.name}")
        for name in index.schema_names:
            if name in table.key_names:
                continue
            schema_value = item.get(name)
            if schema_value is None:
                continue
            kind, inner = next(iter(schema_value.items()))
            if kind != types[name]:
                raise invalid(f"Type mismatch for Index Key {name} Expected: {types[name]} Actual: {kind} IndexName: {index.name}")
            if name == index.hash_key and kind in ("S", "B") and len(inner) == 0:
                if updating:
                    raise ValidationException(
                        "One or more parameter values are not valid. The update expression attempted to update a secondary "
                        "index key to a value that is not supported. The AttributeValue for a key attribute cannot contain "
                        "an empty string value.")
                raise ValidationException(
                    "One or more parameter values are not valid. A value specified for a secondary index key is not supported. "
                    f"The AttributeValue for a key attribute cannot contain an empty string value. IndexName: {index.name}, IndexKey: {name}")


def pack(numbers: list[float]) -> bytes:
    return struct.pack(f"<{len(numbers)}f", *numbers)


def unpack(blob: bytes) -> tuple[float, ...]:
    return struct.unpack(f"<{len(blob) // 4}f", blob)


def float32_text(number: float) -> str:
    """The shortest decimal that reads back as the same float32 (how the index returns a vector)."""
    if number == 0:
        return "0"
    for digits in range(6, 10):
        text = f"{number:.{digits}g}"
        if struct.unpack("<f", struct.pack("<f", float(text)))[0] == number:
            break
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}E{int(exponent)}"
    if "." in text and "E" not in text:
        text = text.rstrip("0").rstrip(".")
    return text


def as_attribute(blob: bytes) -> dict:
    return {"L": [{"N": float32_text(n)} for n in unpack(blob)]}


def projected(table: Table, index: VectorIndexMeta, item: dict) -> dict:
    """The attributes an index entry holds besides its vector: everything (ALL), or the table's
    keys, the search schema's attributes and the NonKeyAttributes."""
    if index.projection_type == "ALL":
        return {k: v for k, v in item.items() if k != index.attribute}
    keep = set(table.key_names) | set(index.schema_names) | set(index.non_key_attributes)
    keep.discard(index.attribute)
    return {k: v for k, v in item.items() if k in keep}


def entry(table: Table, index: VectorIndexMeta, item: dict | None) -> tuple[bytes, bytes, dict] | None:
    """An item as `index` holds it: (the HASH attribute's encoded value, the packed vector, the
    projected attributes), or None when the index leaves it out: no vector or one that does not
    fit, no HASH attribute, or a search schema attribute of another type (an item written before
    the index was created; later writes are checked)."""
    if item is None:
        return None
    value = item.get(index.attribute)
    if value is None:
        return None
    numbers, _ = _vector_of(value, index.dimensions)
    if numbers is None:
        return None
    types = table.attribute_types
    for name in index.schema_names:
        schema_value = item.get(name)
        if schema_value is not None and types.get(name) not in schema_value:
            return None
    vhash = b""
    if index.hash_key is not None:
        hash_value = item.get(index.hash_key)
        if hash_value is None:
            return None
        kind, inner = next(iter(hash_value.items()))
        if kind in ("S", "B") and len(inner) == 0:
            return None
        vhash = encode_key_value(hash_value)
    return vhash, pack(numbers), projected(table, index, item)


def billed_bytes(index: VectorIndexMeta, projected_item: dict) -> int:
    """An entry's size as VectorWriteRequestBytes counts it: its projected attributes, the vector
    attribute's name and 4 bytes a dimension (paritysuite consumedCapacity.test.ts)."""
    return item_size(projected_item) + len(index.attribute.encode("utf-8")) + 4 * index.dimensions


def write_request_bytes(table: Table, old: dict | None, new: dict | None) -> dict[str, float]:
    """VectorWriteRequestBytes of each vector index a write changes: the entry's billed size,
    at least 1024; an index whose entry stays the same is not charged (replication is by delta)."""
    result: dict[str, float] = {}
    for index in table.vector_indexes():
        before, after = entry(table, index, old), entry(table, index, new)
        if before == after:
            continue
        changed = after if after is not None else before
        assert changed is not None, "they differ, so one is an entry"
        result[index.name] = float(max(WRITE_BYTES_FLOOR, billed_bytes(index, changed[2])))
    return result


def billed_item_size(table: Table, item: dict) -> int:
    """An item's size as a write is billed: an attribute a vector index reads counts its name and
    4 bytes a dimension, not its numbers (paritysuite consumedCapacity.test.ts, 2026-10-09)."""
    size = item_size(item)
    counted: set[str] = set()
    for index in table.vector_indexes():
        value = item.get(index.attribute)
        if index.attribute in counted or value is None or _vector_of(value, index.dimensions)[0] is None:
            continue
        counted.add(index.attribute)
        size += 4 * index.dimensions - (item_size({index.attribute: value}) - len(index.attribute.encode("utf-8")))
    return size


# -- index rows (inside a write)

_UPSERT_ROW = (
    "INSERT INTO dynamodb_vector_items (table_id, index_name, vhash, pk, sk, vector, size, item) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (table_id, index_name, vhash, pk, sk) "
    "DO UPDATE SET vector = excluded.vector, size = excluded.size, item = excluded.item")
_DELETE_ROW = "DELETE FROM dynamodb_vector_items WHERE table_id = ? AND index_name = ? AND vhash = ? AND pk = ? AND sk = ?"


def write_rows(tx: Tx, table: Table, pk: bytes, sk: bytes, old: dict | None, new: dict | None) -> None:
    """Keep the vector indexes' rows of one item in step with its write."""
    for index in table.vector_indexes():
        before, after = entry(table, index, old), entry(table, index, new)
        if before == after:
            continue
        if before is not None and (after is None or after[0] != before[0]):
            tx.execute(_DELETE_ROW, (table.id, index.name, before[0], pk, sk))
        if after is not None:
            tx.execute(_UPSERT_ROW, (table.id, index.name, after[0], pk, sk, after[1],
                                     billed_bytes(index, after[2]), codec.dumps(after[2])))


def backfill(tx: Tx, table: Table, index_name: str) -> None:
    """Fill a vector index created on a table that already holds items; items that do not fit
    it are left out (Alternator's tests, against DynamoDB: the backfill skips them)."""
    index = table.vector_index(index_name)
    assert index is not None, "created just before"
    rows = tx.fetchall("SELECT pk, sk, item FROM dynamodb_items WHERE table_id = ?", (table.id,))
    for pk, sk, text in rows:
        found = entry(table, index, codec.loads(text))
        if found is not None:
            tx.execute(_UPSERT_ROW, (table.id, index.name, found[0], pk, sk, found[1],
                                     billed_bytes(index, found[2]), codec.dumps(found[2])))


def drop(tx: Tx, table_id: int, index_name: str | None = None) -> None:
    if index_name is None:
        tx.execute("DELETE FROM dynamodb_vector_items WHERE table_id = ?", (table_id,))
    else:
        tx.execute("DELETE FROM dynamodb_vector_items WHERE table_id = ? AND index_name = ?", (table_id, index_name))
