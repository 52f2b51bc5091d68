"""SearchVectors: exact nearest neighbours in a vector index, by its distance function.

The search reads the packed vectors of one partition of the index (all of it without a HASH
element in the search schema, that value's rows with one), scores each, keeps the TopK best and
only then reads their projected attributes: its cost grows with the partition, not the table.

What the answer means is the API reference's (botocore's model): COSINE scores 1 - cosine
similarity (0 identical to 2 opposite) and EUCLIDEAN the distance, smallest first; DOT_PRODUCT
the dot product, largest first. The refusals are DynamoDB's words where the parity suite
recorded them (paritysuite/dynamodb-conformance tests/tier3/error-messages/searchVectors.test.ts)
or the Developer Guide quotes them ("Troubleshooting vector indexes"); the others are marked
"worded here". ScyllaDB's Alternator tests, run against DynamoDB, give the rest: the vector
attribute comes back only when a ProjectionExpression names it (then as the index's float32
copy), and a projected attribute an entry does not hold is simply left out.
"""

from __future__ import annotations

import heapq
import math
import struct
from collections.abc import Iterator
from operator import mul
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.dynamodb import codec
from overcast.services.dynamodb.errors import ValidationException
from overcast.services.dynamodb.expressions.parser import parse_condition
from overcast.services.dynamodb.expressions.projection import project
from overcast.services.dynamodb.keys import encode_key_value
from overcast.services.dynamodb.models import Table, VectorIndexMeta
from overcast.services.dynamodb.requests import check_key_paths, expression_context, projection_from
from overcast.services.dynamodb.types import parse_number, values_equal
from overcast.services.dynamodb.vectors import as_attribute, fits_float32, unpack

MAX_TOP_K = 100
_PAGE = 512  # index rows scored per read
_EXPRESSIONS = ("ProjectionExpression", "SearchConditionExpression")
_INVALID_VECTOR = ("Search vector contains invalid values. All values in the search vector must be a 32-bit "
                   "floating-point number attribute")
_COMPARATOR = "Invalid SearchConditionExpression: Invalid comparator used in SearchConditionExpression"


def _search_vector(raw: Any) -> list[float]:
    """The query vector: every element a number within float32's range (an `L` around the
    numbers, a string or 1E+39 is refused alike); float32's precision is not asked for."""
    numbers = []
    for element in raw if isinstance(raw, list) else ():
        text = element.get("N") if isinstance(element, dict) and len(element) == 1 else None
        if not isinstance(text, str):
            raise ValidationException(_INVALID_VECTOR)
        try:
            number = float(parse_number(text))
        except ValidationException:
            raise ValidationException(_INVALID_VECTOR) from None
        if not fits_float32(number):
            raise ValidationException(_INVALID_VECTOR)
        numbers.append(struct.unpack("<f", struct.pack("<f", number))[0])
    return numbers


def _conditions(node: tuple, index: VectorIndexMeta, found: list[tuple[str, dict]]) -> None:
    """The equalities an AND of equalities states, as (attribute, value), left to right."""
    tag = node[0]
    if tag == "and":
        _conditions(node[1], index, found)
        _conditions(node[2], index, found)
        return
    if tag in ("or", "not"):
        # Worded here: the Developer Guide's troubleshooting page says only = (and AND) for now.
        raise ValidationException("Invalid SearchConditionExpression: Invalid operator used in SearchConditionExpression")
    if tag == "func":
        raise ValidationException("Invalid SearchConditionExpression: Invalid function used in SearchConditionExpression")  # worded here
    if tag != "cmp" or node[1] != "=":
        raise ValidationException(_COMPARATOR)
    left, right = node[2], node[3]
    if left[0] != "path":
        left, right = right, left
    if left[0] != "path" or right[0] != "value":
        raise ValidationException(_COMPARATOR)  # worded here for two paths or two values
    path = left[1]
    name = path[0]
    if len(path) > 1:
        # Worded here: only top-level attributes may be named (the API reference).
        raise ValidationException("Invalid SearchConditionExpression: Only top-level attributes from the SearchSchema "
                                  "can be used in SearchConditionExpression")
    if name not in index.schema_names:
        raise ValidationException("SearchConditionExpression must not contain any attributes that is not in SearchSchema. "
                                  f"Invalid attribute: {name}")
    found.append((name, right[1]))


def _scorer(distance: str, query: list[float]) -> Any:
    """A function of a vector's float32 values giving its score, and whether lower is better."""
    if distance == "DOT_PRODUCT":
        return lambda v: sum(map(mul, v, query))
    if distance == "EUCLIDEAN":
        return lambda v: math.sqrt(sum((a - b) * (a - b) for a, b in zip(v, query, strict=True)))
    query_norm = math.sqrt(sum(x * x for x in query))

    def cosine(v: tuple[float, ...]) -> float:
        norm = math.sqrt(sum(x * x for x in v)) * query_norm
        # A zero vector has no direction: scored as orthogonal to everything (worded here; not recorded).
        if not norm:
            return 1.0
        # Within the documented 0..2: rounding takes identical vectors a hair below 0.
        return min(2.0, max(0.0, 1.0 - sum(map(mul, v, query)) / norm))
    return cosine


class SearchVectorsMixin:
    """SearchVectors; the Provider supplies _table and self.db."""

    def search_vectors(self, ctx: RequestContext, params: dict) -> dict:
        top_k = params.get("TopK")
        if isinstance(top_k, int) and top_k > MAX_TOP_K:
            raise ValidationException(
                f"Provided TopK value '{top_k}' is out of valid range. The value must be between 1 and {MAX_TOP_K} inclusive")
        expressions = expression_context(params, _EXPRESSIONS)
        text = params.get("SearchConditionExpression")
        condition = parse_condition(text, "SearchConditionExpression", expressions) if text is not None else None
        projection = projection_from(params, expressions)
        expressions.check_unused()
        table: Table = self._table(ctx, params.get("TableName"))  # type: ignore[attr-defined]
        name = params.get("IndexName")
        index = table.vector_index(name) if isinstance(name, str) else None
        if index is None:
            # The Developer Guide's words ("Troubleshooting vector indexes").
            raise ValidationException(f"The table does not have the specified index: {name}")
        query = _search_vector(params.get("SearchVector"))
        if len(query) != index.dimensions:
            raise ValidationException(
                f"Input search vector dimension {len(query)} does not match vector index dimension {index.dimensions}")
        equalities: list[tuple[str, dict]] = []
        if condition is not None:
            _conditions(condition, index, equalities)
        vhash = b""
        if index.hash_key is not None:
            if condition is None:
                raise ValidationException("SearchConditionExpression must be provided when SearchSchema has a HASH key")
            wanted = [value for attribute, value in equalities if attribute == index.hash_key]
            if not wanted:
                # Worded here: the API reference says the HASH attribute's value must be given.
                raise ValidationException("SearchConditionExpression must contain an equality condition on the HASH "
                                          f"key of SearchSchema: {index.hash_key}")
            if not all(values_equal(value, wanted[0]) for value in wanted) or table.attribute_types[index.hash_key] not in wanted[0]:
                return self._answer(params, [], index, 0)  # no item is in that partition
            vhash = encode_key_value(wanted[0])
        check_key_paths(table, projection or [])
        filters = [(attribute, value) for attribute, value in equalities if attribute != index.hash_key]
        best, scanned = self._nearest(table, index, vhash, query, filters, top_k or 1)
        return self._answer(params, self._results(table, index, vhash, best, projection), index, scanned)

    def _nearest(self, table: Table, index: VectorIndexMeta, vhash: bytes, query: list[float],
                 filters: list[tuple[str, dict]], top_k: int) -> tuple[list[tuple[float, bytes, bytes, bytes]], int]:
        """The TopK best (score, pk, sk, vector) of a partition, best first; and how many were
        scored. The partition is read a page at a time and only the TopK best are kept, so a
        search holds a page and TopK vectors, whatever the partition's size."""
        score = _scorer(index.distance, query)
        sign = -1.0 if index.distance == "DOT_PRODUCT" else 1.0  # smallest first either way

        def order(candidate: tuple) -> tuple:
            return candidate[0], candidate[1], candidate[2]

        best: list[tuple[float, bytes, bytes, bytes]] = []
        scanned = 0
        for rows in self._partition_pages(table, index, vhash, with_items=bool(filters)):
            page = []
            for row in rows:
                if filters:
                    entry = codec.loads(row[3])
                    if not all(values_equal(entry.get(attribute), value) for attribute, value in filters):
                        continue
                page.append((sign * score(unpack(row[2])), row[0], row[1], row[2]))
            scanned += len(page)
            best = heapq.nsmallest(top_k, best + page, key=order)
        return [(sign * s, pk, sk, vector) for s, pk, sk, vector in best], scanned

    def _partition_pages(self, table: Table, index: VectorIndexMeta, vhash: bytes, with_items: bool) -> Iterator[list[tuple]]:
        """A partition's (pk, sk, vector[, item]) rows in key order, _PAGE at a time, each page
        sought after the last one's key (pk = last AND sk > last, then pk > last)."""
        select = (f"SELECT pk, sk, vector{', item' if with_items else ''} FROM dynamodb_vector_items "
                  "WHERE table_id = ? AND index_name = ? AND vhash = ?")
        where = (table.id, index.name, vhash)
        db = self.db  # type: ignore[attr-defined]
        rows = db.fetchall(f"{select} ORDER BY pk, sk LIMIT {_PAGE}", where)
        while rows:
            yield rows
            if len(rows) < _PAGE:
                return
            pk, sk = rows[-1][0], rows[-1][1]
            rows = db.fetchall(f"{select} AND pk = ? AND sk > ? ORDER BY pk, sk LIMIT {_PAGE}", (*where, pk, sk))
            if len(rows) < _PAGE:
                rows += db.fetchall(f"{select} AND pk > ? ORDER BY pk, sk LIMIT {_PAGE - len(rows)}", (*where, pk))

    def _results(self, table: Table, index: VectorIndexMeta, vhash: bytes,
                 best: list[tuple[float, bytes, bytes, bytes]], projection: list[tuple] | None) -> list[dict]:
        results = []
        for score, pk, sk, vector in best:
            row = self.db.fetchone(  # type: ignore[attr-defined]
                "SELECT item FROM dynamodb_vector_items WHERE table_id = ? AND index_name = ? AND vhash = ? AND pk = ? AND sk = ?",
                (table.id, index.name, vhash, pk, sk))
            entry = codec.loads(row[0]) if row else {}
            if projection is not None:
                if any(path[0] == index.attribute for path in projection):
                    entry[index.attribute] = as_attribute(vector)
                entry = project(entry, projection)
            results.append({"Item": entry, "Score": _finite(score)})
        return results

    def _answer(self, params: dict, results: list[dict], index: VectorIndexMeta, scanned: int) -> dict:
        body: dict[str, Any] = {"SearchResults": results}
        if params.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
            # The same bare shape under TOTAL and INDEXES (paritysuite consumedCapacity.test.ts);
            # DynamoDB's figure varies between identical searches, so this one is only a model:
            # the query vector and each vector compared, 4 bytes a dimension.
            body["ConsumedCapacity"] = {"VectorSearchRequestBytes": float(4 * index.dimensions * (1 + scanned))}
        return body


def _finite(score: float) -> float:
    """JSON has no infinity: a score past a double's range is answered as the largest double."""
    if math.isfinite(score):
        return score
    return math.copysign(1.7976931348623157e308, score) if not math.isnan(score) else 0.0
