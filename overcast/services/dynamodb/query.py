"""Query and Scan: walk a key range page by page, apply the 1 MB limit before the filter."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.dynamodb import capacity, codec, legacy, store
from overcast.services.dynamodb.errors import ValidationException, in_older_value_words, invalid
from overcast.services.dynamodb.expressions.evaluator import evaluate
from overcast.services.dynamodb.expressions.parser import ExpressionContext, parse_condition
from overcast.services.dynamodb.expressions.projection import project
from overcast.services.dynamodb.keycondition import (
    KeyRange,
    check_start_within,
    key_range,
    read_key_conditions,
)
from overcast.services.dynamodb.keys import SCAN_HASH_SPACE, encode_key_tuple, encode_key_value, scan_hash
from overcast.services.dynamodb.models import IndexMeta, Table
from overcast.services.dynamodb.requests import check_key_paths, expression_context, projection_from
from overcast.services.dynamodb.types import item_size, validate_value

PAGE_BYTES = 1024 * 1024
_BATCH = 256


# Expression parameters and the legacy ones DynamoDB refuses beside any of them, in its order.
_QUERY_EXPRESSIONS = ("ProjectionExpression", "FilterExpression", "KeyConditionExpression")
_QUERY_LEGACY = ("AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions")
_SCAN_EXPRESSIONS = ("ProjectionExpression", "FilterExpression")
_SCAN_LEGACY = ("AttributesToGet", "ScanFilter", "ConditionalOperator")


@dataclass
class Plan:
    table: Table
    index: IndexMeta | None
    filter: tuple | None
    projection: list[tuple] | None
    select: str
    limit: int | None
    fetch_base: bool  # LSI read for attributes outside its projection: the base item is fetched
    base_for_filter: bool = False  # ...and the filter reads attributes only the base item has
    base_for_output: bool = False  # ...and the output wants attributes only the base item has


@dataclass
class Request:
    """What Query and Scan check before looking the table up, as DynamoDB does."""
    filter: tuple | None
    projection: list[tuple] | None
    limit: int | None


def _check_limit(params: dict, querying: bool) -> int | None:
    """Query names the member `Limit` and leaves its value out, where Scan still says `Value '0'
    at 'limit'` (DynamoDB's newer validation wording reached Query everywhere, Scan in a few
    Regions only: paritysuite's query.test.ts and scan.test.ts, 2026)."""
    limit = params.get("Limit")
    if limit is not None and limit < 1:
        where = "Value at 'Limit'" if querying else f"Value '{limit}' at 'limit'"
        raise ValidationException(
            f"1 validation error detected: {where} failed to satisfy constraint: Member must have value greater than or equal to 1")
    return limit


def _reject_mixed(params: dict, expressions: tuple[str, ...], legacy_members: tuple[str, ...]) -> None:
    """Any legacy parameter beside any expression parameter is refused, all named in the message.
    KeyConditions is the exception: it may go with FilterExpression or ProjectionExpression."""
    used = [m for m in expressions if params.get(m) is not None]
    if not used:
        return
    old = [m for m in legacy_members if params.get(m) is not None
           and (m != "KeyConditions" or params.get("KeyConditionExpression") is not None)]
    if old:
        raise ValidationException(
            "Can not use both expression and non-expression parameters in the same request: "
            f"Non-expression parameters: {{{', '.join(old)}}} Expression parameters: {{{', '.join(used)}}}")


def _read_request(params: dict, expression_members: tuple[str, ...], legacy_members: tuple[str, ...],
                  legacy_filter: str, key_conditions: bool = False) -> tuple[Request, dict | None]:
    """The table-independent part of a Query or Scan: mixed parameters, expression names and
    values, the legacy filter, the key conditions (Query), the filter, the projection."""
    _reject_mixed(params, expression_members, legacy_members)
    ctx = expression_context(params, expression_members)
    condition = None
    if params.get(legacy_filter):
        member = legacy_filter[0].lower() + legacy_filter[1:]
        condition = legacy.filter_to_ast(params[legacy_filter], params.get("ConditionalOperator"), member)
    try:
        conditions = read_key_conditions(params, ctx) if key_conditions else None
    except ValidationException as error:
        if "Syntax error" not in error.message:
            _unused_names_first(params, expression_members, ctx)
        raise
    if params.get("FilterExpression") is not None:
        condition = parse_condition(params["FilterExpression"], "FilterExpression", ctx)
    projection = projection_from(params, ctx)
    ctx.check_unused()
    return Request(condition, projection, _check_limit(params, key_conditions)), conditions


def _unused_names_first(params: dict, expression_members: tuple[str, ...], ctx: ExpressionContext) -> None:
    """A name no expression mentions is refused before what the key condition means is (moto's
    aws_verified test_query_unused_attribute_name: `#0 = x` beside an unused #count): each name
    is counted as used wherever its token appears, as the parsers would have marked it."""
    texts = [params[member] for member in expression_members if isinstance(params.get(member), str)]
    for name in ctx.names or {}:
        if any(re.search(re.escape(name) + r"(?![A-Za-z0-9_])", text) for text in texts):
            ctx.used_names.add(name)
    if ctx.names and len(ctx.used_names) < len(ctx.names):
        ctx.check_unused()


def _plan(table: Table, params: dict, request: Request, querying: bool) -> Plan:
    """What to read and return. Its Select refusals carry the one-error envelope for Query and
    not for Scan (moto's AWS-verified test_dynamodb_select.py)."""
    envelope = "1 validation error detected: " if querying else ""
    index = None
    index_name = params.get("IndexName")
    if index_name is not None:
        index = table.index(index_name)
        if index is None and table.vector_index(index_name) is not None:
            # Worded here (Alternator's tests, against DynamoDB, match "index type").
            raise ValidationException(f"Unsupported index type: {index_name} is a vector index; read it with SearchVectors")
        if index is None:
            raise ValidationException(f"The table does not have the specified index: {index_name}")
        if index.is_global and params.get("ConsistentRead"):
            raise ValidationException("Consistent reads are not supported on global secondary indexes")
    condition, projection = request.filter, request.projection
    select = params.get("Select")
    if select is None:
        select = "SPECIFIC_ATTRIBUTES" if projection is not None else (
            "ALL_PROJECTED_ATTRIBUTES" if index is not None else "ALL_ATTRIBUTES")
    elif select == "SPECIFIC_ATTRIBUTES":
        if projection is None:
            raise ValidationException(
                envelope + "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")
    elif projection is not None:
        member = "ProjectionExpression" if params.get("ProjectionExpression") is not None else "AttributesToGet"
        wanted = "only the Count" if select == "COUNT" else select
        raise ValidationException(f"{envelope}Cannot specify the {member} when choosing to get {wanted}")
    if select == "ALL_PROJECTED_ATTRIBUTES" and index is None:
        raise ValidationException(envelope + "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
    plan = Plan(table, index, condition, projection, select, request.limit, False)
    if index is not None and index.projection_type != "ALL":
        if select == "ALL_ATTRIBUTES" and index.is_global:
            raise invalid(
                f"Select type ALL_ATTRIBUTES is not supported for global secondary index {index.name} because its projection type is not ALL")
        projected = store.projected_names(table, index)
        beyond = outside_projection(index, projected, projection)
        if not index.is_global:
            # A local index reads what its projection lacks from the base table.
            plan.base_for_output = select == "ALL_ATTRIBUTES" or beyond
            plan.base_for_filter = condition is not None and bool(path_heads(condition) - projected)
        plan.fetch_base = plan.base_for_output or plan.base_for_filter
    return plan


def outside_projection(index: IndexMeta, projected: set[str], projection: list[tuple] | None) -> bool:
    """Whether a read of a KEYS_ONLY or INCLUDE index (holding `projected`) asks for attributes
    it does not hold: a local index then fetches them from the table; a global one refuses,
    naming them."""
    if not projection:
        return False
    missing = list(dict.fromkeys(path[0] for path in projection if path[0] not in projected))
    if missing and index.is_global:
        raise invalid(f"Global secondary index {index.name} does not project [{', '.join(missing)}]")
    return bool(missing)


def _paths(node: Any, found: list[tuple] | None = None) -> list[tuple]:
    """The document paths an expression AST reads."""
    found = [] if found is None else found
    if isinstance(node, tuple) and node:
        if node[0] == "path" and len(node) > 1 and isinstance(node[1], tuple):
            if node[1] and isinstance(node[1][0], str):
                found.append(node[1])
            return found
        # A tagged node's operands follow its tag; a bare tuple (a function's arguments) is all operands.
        for child in node[1:] if isinstance(node[0], str) else node:
            _paths(child, found)
    return found


def path_heads(node: Any) -> set[str]:
    """The top-level attribute names an expression AST reads."""
    return {path[0] for path in _paths(node)}


def _start_key_names(table: Table, index: IndexMeta | None) -> list[str]:
    names = list(table.key_names)
    if index is not None:
        names += [n for n in index.key_names if n not in names]
    return names


def _check_start_shape(plan: Plan, raw: Any, on_index_message: str) -> dict | None:
    """A starting key names exactly the table's key and the index's; its values are validated.
    Query, and Scan of an index, say only that the key is invalid; a Scan of the table adds why."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) != set(_start_key_names(plan.table, plan.index)):
        raise ValidationException(on_index_message)
    return {name: validate_value(value) for name, value in raw.items()}


def _check_start_types(plan: Plan, start: dict | None, names: Sequence[str]) -> None:
    types = plan.table.attribute_types
    for name in names:
        if start is not None and types[name] not in start[name]:
            raise ValidationException("The provided starting key is invalid: The provided key element does not match the schema")


def _start_key(plan: Plan, raw: Any) -> dict | None:
    """A starting key checked whole, with one message (PartiQL's NextToken decodes to one)."""
    message = "The provided starting key is invalid: The provided key element does not match the schema"
    start = _check_start_shape(plan, raw, message)
    _check_start_types(plan, start, _start_key_names(plan.table, plan.index))
    return start


def _encode(table: Table, index: IndexMeta | None, key: dict) -> tuple:
    pk = encode_key_value(key[table.hash_key])
    sk = encode_key_value(key[table.range_key]) if table.range_key else b""
    if index is None:
        return pk, sk
    ipk = encode_key_tuple([key[name] for name in index.hash_keys])
    isk = encode_key_tuple([key[name] for name in index.range_keys])
    return ipk, isk, pk, sk


class QueryMixin:
    def query(self, ctx: RequestContext, params: dict) -> dict:
        request, conditions = _read_request(params, _QUERY_EXPRESSIONS, _QUERY_LEGACY, "QueryFilter", key_conditions=True)
        assert conditions is not None  # asked for
        table = self._table(ctx, params.get("TableName"))
        plan = _plan(table, params, request, querying=True)
        index = plan.index
        if index is not None:
            hash_keys, range_keys = index.hash_keys, index.range_keys
        else:
            hash_keys, range_keys = (table.hash_key,), (table.range_key,) if table.range_key else ()
        start = _check_start_shape(plan, params.get("ExclusiveStartKey"), "The provided starting key is invalid")
        key_range_ = key_range(conditions, hash_keys, range_keys, table.attribute_types, start,
                               legacy_form=params.get("KeyConditionExpression") is None)
        # The table's key attributes outside the queried schema, then where the key lies.
        _check_start_types(plan, start, [n for n in table.key_names if n not in hash_keys + range_keys])
        if start is not None:
            check_start_within(key_range_, hash_keys, range_keys, any(n in conditions for n in range_keys), start)
        check_key_paths(table, plan.projection or [])
        if plan.filter is not None:
            label = "Filter Expression" if params.get("FilterExpression") is not None else "QueryFilter"
            _reject_key_in_filter(plan.filter, hash_keys + range_keys, label)
            check_key_paths(table, _paths(plan.filter))
        forward = params.get("ScanIndexForward", True) is not False
        rows = self._query_rows(plan, key_range_, start, forward)
        return self._run_page(plan, rows, params)

    @in_older_value_words
    def scan(self, ctx: RequestContext, params: dict) -> dict:
        segment, total = params.get("Segment"), params.get("TotalSegments")
        if segment is not None and (segment < 0 or segment > 999999):
            raise ValidationException(
                f"1 validation error detected: Value '{segment}' at 'segment' failed to satisfy constraint: "
                + ("Member must have value greater than or equal to 0" if segment < 0 else "Member must have value less than or equal to 999999"))
        if total is not None and (total < 1 or total > 1000000):
            raise ValidationException(
                f"1 validation error detected: Value '{total}' at 'totalSegments' failed to satisfy constraint: "
                + ("Member must have value greater than or equal to 1" if total < 1 else "Member must have value less than or equal to 1000000"))
        if segment is not None and total is None:
            raise ValidationException(
                "The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
        if total is not None and segment is None:
            raise ValidationException(
                "The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
        if segment is not None and segment >= total:
            raise ValidationException(
                f"The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {segment} is not less than TotalSegments: {total}")
        request, _ = _read_request(params, _SCAN_EXPRESSIONS, _SCAN_LEGACY, "ScanFilter")
        table = self._table(ctx, params.get("TableName"))
        plan = _plan(table, params, request, querying=False)
        table_message = "The provided starting key is invalid: The provided key element does not match the schema"
        start = _check_start_shape(plan, params.get("ExclusiveStartKey"),
                                   "The provided starting key is invalid" if plan.index else table_message)
        _check_start_types(plan, start, _start_key_names(table, plan.index))
        if start is not None and total is not None and total > 1 and _segment_of(plan, start, total) != segment:
            raise ValidationException(
                "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. "
                f"TotalSegments: {total} Segment: {segment}")
        check_key_paths(table, plan.projection or [])
        check_key_paths(table, _paths(plan.filter) if plan.filter is not None else [])
        rows = self._scan_rows(plan, start, segment or 0, total or 1)
        return self._run_page(plan, rows, params)

    # -- row sources: each yields (key tuple, size, item text) in DynamoDB's order, lazily

    def _query_rows(self, plan: Plan, key_range: KeyRange, start: dict | None, forward: bool) -> Iterator[list[tuple]]:
        table, index = plan.table, plan.index
        if index is None:
            base = "SELECT pk, sk, size, item FROM dynamodb_items WHERE table_id = ? AND shash = ? AND pk = ?"
            args: list[Any] = [table.id, scan_hash(key_range.partition), key_range.partition]
            order_cols, sort_col = ["sk"], "sk"
        else:
            base = ("SELECT ipk, isk, pk, sk, size, item FROM dynamodb_index_items "
                    "WHERE table_id = ? AND index_name = ? AND ipk = ?")
            args = [table.id, index.name, key_range.partition]
            order_cols, sort_col = ["isk", "pk", "sk"], "isk"
        direction = "ASC" if forward else "DESC"
        batch = _batch_size(plan)
        order = " ORDER BY " + ", ".join(f"{c} {direction}" for c in order_cols) + f" LIMIT {batch}"
        cursor: list | None = None
        if start is not None:
            encoded = _encode(table, index, start)
            cursor = list(encoded[1:2]) if index is None else list(encoded[1:])
        while True:
            low, low_inclusive = key_range.low, key_range.low_inclusive
            high, high_inclusive = key_range.high, key_range.high_inclusive
            if cursor is not None and index is not None:
                # Index rows can share an index sort key (all of them, on an index without one):
                # the page resumes after (isk, pk, sk), within the key condition's range.
                bounds = []
                if low is not None:
                    bounds.append((f"isk {'>=' if low_inclusive else '>'} ?", low))
                if high is not None:
                    bounds.append((f"isk {'<=' if high_inclusive else '<'} ?", high))
                rows = self._rows_after(base, args, ("isk", "pk", "sk"), cursor, batch, bounds, forward)
                yield rows
                if len(rows) < batch:
                    return
                cursor = list(rows[-1][1:4])
                continue
            sql, sql_args = base, list(args)
            if cursor is not None:
                # The cursor becomes the range's near bound, so each page starts where the last ended.
                if forward and (low is None or cursor[0] >= low):
                    low, low_inclusive = cursor[0], False
                elif not forward and (high is None or cursor[0] <= high):
                    high, high_inclusive = cursor[0], False
            if low is not None:
                sql += f" AND {sort_col} {'>=' if low_inclusive else '>'} ?"
                sql_args.append(low)
            if high is not None:
                sql += f" AND {sort_col} {'<=' if high_inclusive else '<'} ?"
                sql_args.append(high)
            rows = self.db.fetchall(sql + order, sql_args)
            yield rows
            if len(rows) < batch:
                return
            last = rows[-1]
            cursor = [last[1]] if index is None else [last[1], last[2], last[3]]

    def _scan_rows(self, plan: Plan, start: dict | None, segment: int, total: int) -> Iterator[list[tuple]]:
        table, index = plan.table, plan.index
        batch = _batch_size(plan)
        if index is None:
            low = segment * SCAN_HASH_SPACE // total
            high = (segment + 1) * SCAN_HASH_SPACE // total
            cursor: list | None = None
            if start is not None:
                pk, sk = _encode(table, None, start)
                cursor = [scan_hash(pk), pk, sk]
                if cursor[0] < low:
                    cursor = None  # a key from before this segment: the segment's start
            while True:
                if cursor is None:
                    rows = self.db.fetchall(
                        "SELECT shash, pk, sk, size, item FROM dynamodb_items WHERE table_id = ? AND shash >= ? "
                        f"AND shash < ? ORDER BY shash, pk, sk LIMIT {batch}", (table.id, low, high))
                else:
                    rows = self._rows_after("SELECT shash, pk, sk, size, item FROM dynamodb_items WHERE table_id = ?",
                                            [table.id], ("shash", "pk", "sk"), cursor, batch,
                                            [("shash < ?", high)])
                yield [row[1:] for row in rows]
                if len(rows) < batch:
                    return
                cursor = list(rows[-1][:3])
        else:
            cursor = list(_encode(table, index, start)) if start is not None else None
            while True:
                select = "SELECT ipk, isk, pk, sk, size, item FROM dynamodb_index_items WHERE table_id = ? AND index_name = ?"
                if cursor is None:
                    rows = self.db.fetchall(select + f" ORDER BY ipk, isk, pk, sk LIMIT {batch}", (table.id, index.name))
                else:
                    rows = self._rows_after(select, [table.id, index.name], ("ipk", "isk", "pk", "sk"), cursor, batch)
                yield [row for row in rows if total == 1 or scan_hash(row[0]) * total // SCAN_HASH_SPACE == segment]
                if len(rows) < batch:
                    return
                cursor = list(rows[-1][:4])

    def _rows_after(self, select: str, args: list[Any], columns: tuple[str, ...], cursor: list, limit: int,
                    bounds: Sequence[tuple[str, Any]] = (), forward: bool = True) -> list[tuple]:
        """Up to `limit` rows that follow `cursor` in `columns` order (that precede it, walking
        backwards), within `bounds`. SQLite does not seek an index by a row-value comparison (it
        filters with it), so `(a, b, c) > (x, y, z)` would walk a whole partition from its start
        for every page: asked instead as the runs that follow in key order (a = x AND b = y AND
        c > z, then a = x AND b > y, then a > x), each a seek."""
        direction, after = ("ASC", ">") if forward else ("DESC", "<")
        order = " ORDER BY " + ", ".join(f"{column} {direction}" for column in columns)
        rows: list[tuple] = []
        for depth in range(len(columns) - 1, -1, -1):
            conditions = [f"{column} = ?" for column in columns[:depth]] + [f"{columns[depth]} {after} ?"]
            values = [*args, *cursor[:depth + 1]]
            for condition, value in bounds:
                conditions.append(condition)
                values.append(value)
            rows += self.db.fetchall(f"{select} AND {' AND '.join(conditions)}{order} LIMIT {limit - len(rows)}",
                                     values)
            if len(rows) >= limit:
                break
        return rows

    def _run_page(self, plan: Plan, batches: Iterator[list[tuple]], params: dict) -> dict:
        table, index = plan.table, plan.index
        items: list[dict] = []
        scanned = 0
        page_bytes = 0
        last_item: dict | None = None
        stopped = False
        mode, consistent = params.get("ReturnConsumedCapacity"), bool(params.get("ConsistentRead"))
        sizing, table_units = capacity.wanted(mode), 0.0
        for rows in batches:
            for row, item in zip(rows, codec.loads_many([row[-1] for row in rows]), strict=True):
                scanned += 1
                page_bytes += row[-2]
                last_item = item
                base = self._base_item(table, row[-4], row[-3]) if plan.fetch_base else None
                if base is not None and sizing:
                    # Each item fetched from the table costs the table a read of its own.
                    table_units += capacity.read_units(item_size(base), consistent)
                if plan.filter is None or evaluate(plan.filter, (base or item) if plan.base_for_filter else item):
                    items.append((base or item) if plan.base_for_output else item)
                # DynamoDB counts Limit and the 1 MB page in items read, before the filter.
                if (plan.limit is not None and scanned >= plan.limit) or page_bytes >= PAGE_BYTES:
                    stopped = True
                    break
            if stopped:
                break
        result: dict[str, Any] = {"Count": len(items), "ScannedCount": scanned}
        if plan.select != "COUNT":
            if plan.projection is not None:
                items = [project(item, plan.projection) for item in items]
            result["Items"] = items
        if stopped and last_item is not None:
            result["LastEvaluatedKey"] = {n: last_item[n] for n in _start_key_names(table, index)}
        used = capacity.consumed(table, capacity.read_units(page_bytes, consistent), mode, read=True,
                                 index=index, table_units=table_units)
        if used:
            result["ConsumedCapacity"] = used
        return result

    def _base_item(self, table: Table, pk: bytes, sk: bytes) -> dict | None:
        row = self.db.fetchone(store.ITEM_BY_KEY, (table.id, scan_hash(pk), pk, sk))
        return codec.loads(row[0]) if row else None


def _batch_size(plan: Plan) -> int:
    return min(_BATCH, plan.limit) if plan.limit else _BATCH


def _segment_of(plan: Plan, start: dict, total: int) -> int:
    """The parallel-scan segment a starting key belongs to, as _scan_rows divides the table."""
    if plan.index is not None:
        return scan_hash(_encode(plan.table, plan.index, start)[0]) * total // SCAN_HASH_SPACE
    shash = scan_hash(encode_key_value(start[plan.table.hash_key]))
    segment = shash * total // SCAN_HASH_SPACE
    # _scan_rows gives segment s the hashes from s*SPACE//total up to (s+1)*SPACE//total.
    while segment + 1 < total and shash >= (segment + 1) * SCAN_HASH_SPACE // total:
        segment += 1
    while segment > 0 and shash < segment * SCAN_HASH_SPACE // total:
        segment -= 1
    return segment


def _reject_key_in_filter(node: tuple, keys: tuple, label: str) -> None:
    """A Query's filter may not read the queried key schema's attributes (label: "Filter
    Expression" or "QueryFilter", as DynamoDB names them)."""
    heads = path_heads(node)
    for name in keys:  # the hash key is named before the range key
        if name in heads:
            raise ValidationException(
                f"{label} can only contain non-primary key attributes: Primary key attribute: {name}")
