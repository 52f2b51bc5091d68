"""The service's records: a table's metadata and its secondary indexes."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

# A global index's key may have up to this many HASH and as many RANGE attributes.
MAX_KEY_ATTRIBUTES_OF_A_KIND = 4


@dataclass
class IndexMeta:
    """A secondary index. A global index's key may have up to four HASH and four RANGE
    attributes (multi-attribute keys); a local index, like a table, has one of each at most."""
    name: str
    hash_keys: tuple[str, ...]
    range_keys: tuple[str, ...]
    projection_type: str  # ALL, KEYS_ONLY, INCLUDE
    non_key_attributes: tuple[str, ...] = ()
    is_global: bool = True

    @property
    def key_names(self) -> tuple[str, ...]:
        return self.hash_keys + self.range_keys

    @property
    def multi_attribute(self) -> bool:
        return len(self.hash_keys) > 1 or len(self.range_keys) > 1


@dataclass(frozen=True)
class VectorIndexMeta:
    """A vector index (vectors.py): the attribute holding each item's vector, its search schema
    (at most one HASH attribute, any number of INLINE_FILTER ones) and what it projects."""
    name: str
    attribute: str
    dimensions: int
    distance: str  # COSINE, EUCLIDEAN, DOT_PRODUCT
    hash_key: str | None
    filters: tuple[str, ...]
    projection_type: str
    non_key_attributes: tuple[str, ...] = ()

    @property
    def schema_names(self) -> tuple[str, ...]:
        return ((self.hash_key,) if self.hash_key else ()) + self.filters


@dataclass
class Table:
    """A table as stored: the DescribeTable body (without counts) plus what the engine needs."""

    id: int
    account: str
    region: str
    name: str
    description: dict[str, Any]
    tags: dict[str, str] = field(default_factory=dict)
    ttl: dict[str, Any] = field(default_factory=dict)  # {"AttributeName": ..., "Enabled": bool}
    pitr: dict[str, Any] = field(default_factory=dict)
    # Resource-based policies by the ARN they are attached to (the table's, its streams'); see
    # resource_policies.py. Copies of a Table are made with dataclasses.replace, so none is lost.
    policies: dict[str, dict[str, str]] = field(default_factory=dict)
    # CloudWatch Contributor Insights by index name ("" for the table): mode and when it last
    # changed (features.py); a resource absent here has it disabled and never changed.
    insights: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Global tables (replicas.py). A replica is a table of its own in another Region: its own
    # metadata row (`row_id`) over the item store it shares with the rest of its group (`id`).
    # `replication` is the group as stored in every member's metadata ({} for a lone table).
    row_id: int | None = None
    replication: dict[str, Any] = field(default_factory=dict)
    # Derived from the group when it is loaded or changes, never stored: the other members'
    # streams, which every change is also written to (AWS writes replicated changes into each
    # Region's stream), and whether any other member keeps point-in-time history of the shared items.
    peer_streams: tuple[tuple[str, str, str], ...] = ()  # (stream ARN, view type, Region)
    peers_keep_history: bool = False

    @property
    def meta_id(self) -> int:
        """The row of dynamodb_tables holding this table's own metadata."""
        return self.id if self.row_id is None else self.row_id

    @property
    def keeps_history(self) -> bool:
        return bool(self.pitr.get("Enabled")) or self.peers_keep_history

    @property
    def arn(self) -> str:
        return self.description["TableArn"]

    @property
    def key_schema(self) -> list[dict]:
        return self.description["KeySchema"]

    # Derived views are cached: a Table is replaced, never edited, when its description changes.
    @cached_property
    def attribute_types(self) -> dict[str, str]:
        return {a["AttributeName"]: a["AttributeType"] for a in self.description["AttributeDefinitions"]}

    @cached_property
    def hash_key(self) -> str:
        return _hash_key_of(self.key_schema)

    @cached_property
    def range_key(self) -> str | None:
        return _key_of(self.key_schema, "RANGE")

    @cached_property
    def key_names(self) -> tuple[str, ...]:
        return tuple(k["AttributeName"] for k in self.key_schema)

    @property
    def stream_spec(self) -> dict | None:
        spec = self.description.get("StreamSpecification")
        return spec if spec and spec.get("StreamEnabled") else None

    @property
    def stream_arn(self) -> str | None:
        return self.description.get("LatestStreamArn") if self.stream_spec else None

    def indexes(self) -> list[IndexMeta]:
        return self._indexes

    @cached_property
    def _indexes(self) -> list[IndexMeta]:
        result = []
        for kind, is_global in (("GlobalSecondaryIndexes", True), ("LocalSecondaryIndexes", False)):
            for index in self.description.get(kind, ()):
                projection = index.get("Projection", {})
                result.append(IndexMeta(
                    name=index["IndexName"],
                    hash_keys=_keys_of(index["KeySchema"], "HASH"),
                    range_keys=_keys_of(index["KeySchema"], "RANGE"),
                    projection_type=projection.get("ProjectionType", "ALL"),
                    non_key_attributes=tuple(projection.get("NonKeyAttributes", ())),
                    is_global=is_global,
                ))
        return result

    def vector_indexes(self) -> list[VectorIndexMeta]:
        return self._vector_indexes

    @cached_property
    def _vector_indexes(self) -> list[VectorIndexMeta]:
        result = []
        for index in self.description.get("VectorIndexes", ()):
            schema = index.get("SearchSchema") or ()
            projection = index.get("Projection", {})
            result.append(VectorIndexMeta(
                name=index["IndexName"], attribute=index["VectorAttribute"]["AttributeName"],
                dimensions=index["Dimensions"], distance=index["DistanceFunction"],
                hash_key=next((e["AttributeName"] for e in schema if e["SearchSchemaElementType"] == "HASH"), None),
                filters=tuple(e["AttributeName"] for e in schema if e["SearchSchemaElementType"] == "INLINE_FILTER"),
                projection_type=projection.get("ProjectionType", "ALL"),
                non_key_attributes=tuple(projection.get("NonKeyAttributes", ())),
            ))
        return result

    def vector_index(self, name: str) -> VectorIndexMeta | None:
        return next((index for index in self.vector_indexes() if index.name == name), None)

    def index(self, name: str) -> IndexMeta | None:
        for index in self.indexes():
            if index.name == name:
                return index
        return None


def _hash_key_of(schema: list[dict]) -> str:
    name = _key_of(schema, "HASH")
    if name is None:  # CreateTable and UpdateTable refuse such a schema before it is stored
        raise ValueError("key schema without a HASH key")
    return name


def _keys_of(schema: list[dict], key_type: str) -> tuple[str, ...]:
    return tuple(element["AttributeName"] for element in schema if element["KeyType"] == key_type)


def _key_of(schema: list[dict], key_type: str) -> str | None:
    for element in schema:
        if element["KeyType"] == key_type:
            return element["AttributeName"]
    return None
