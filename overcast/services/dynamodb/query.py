"""Query and Scan: walk a key range page by page, apply the 1 MB limit before the filter."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.dynamodb import capacity, codec, legacy, store
from overcast.services.dynamodb.errors import ValidationException, invalid
from overcast.services.dynamodb.expressions.evaluator import evaluate
from overcast.services.dynamodb.expressions.parser import ExpressionContext, parse_condition
from overcast.services.dynamodb.expressions.projection import project
from overcast.services.dynamodb.keycondition import KeyRange, parse_key_condition
from overcast.services.dynamodb.keys import SCAN_HASH_SPACE, encode_key_value, scan_hash
from overcast.services.dynamodb.models import IndexMeta, Table
from overcast.services.dynamodb.requests import expression_context, projection_from, reject_mixed
from overcast.services.dynamodb.types import validate_value

PAGE_BYTES = 1024 * 1024
_BATCH = 256


@dataclass
class Plan:
    table: Table
    index: IndexMeta | None
    filter: tuple | None
    projection: list[tuple] | None
    select: str
    limit: int | None
    fetch_base: bool  # LSI queried for attributes outside its projection


def _check_limit(params: dict) -> int | None:
    limit = params.get("Limit")
    if limit is not None and limit < 1:
        raise ValidationException(
            f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1")
    return limit


def _plan(table: Table, params: dict, ctx: ExpressionContext, filter_member: str, legacy_filter: str) -> Plan:
    index = None
    index_name = params.get("IndexName")
    if index_name is not None:
        index = table.index(index_name)
        if index is None:
            raise ValidationException(f"The table does not have the specified index: {index_name}")
        if index.is_global and params.get("ConsistentRead"):
            raise ValidationException("Consistent reads are not supported on global secondary indexes")
    reject_mixed(params, [(legacy_filter, filter_member), ("ConditionalOperator", filter_member)])
    condition = None
    if params.get(filter_member) is not None:
        condition = parse_condition(params[filter_member], filter_member, ctx)
    elif params.get(legacy_filter):
        condition = legacy.filter_to_ast(params[legacy_filter], params.get("ConditionalOperator"))
    projection = projection_from(params, ctx)
    select = params.get("Select")
    if select is None:
        select = "SPECIFIC_ATTRIBUTES" if projection is not None else (
            "ALL_PROJECTED_ATTRIBUTES" if index is not None else "ALL_ATTRIBUTES")
    elif select == "SPECIFIC_ATTRIBUTES":
        if projection is None:
            raise ValidationException(
                "1 validation error detected: Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")
    elif projection is not None:
        member = "ProjectionExpression" if params.get("ProjectionExpression") is not None else "AttributesToGet"
        raise invalid(f"Cannot specify the {member} when choosing to get {select}")
    if select == "ALL_PROJECTED_ATTRIBUTES" and index is None:
        raise invalid("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
    fetch_base = False
    if index is not None and index.projection_type != "ALL" and select == "ALL_ATTRIBUTES":
        if index.is_global:
            raise invalid(
                f"Select type ALL_ATTRIBUTES is not supported for global secondary index {index.name} because its projection type is not ALL")
        fetch_base = True
    return Plan(table, index, condition, projection, select, _check_limit(params), fetch_base)


def _start_key(plan: Plan, raw: Any) -> dict | None:
    if raw is None:
        return None
    table, index = plan.table, plan.index
    names = list(table.key_names)
    if index is not None:
        names += [n for n in (index.hash_key, index.range_key) if n and n not in names]
    types = table.attribute_types
    if not isinstance(raw, dict) or set(raw) != set(names):
        raise ValidationException("The provided starting key is invalid: The provided key element does not match the schema")
    key = {}
    for name in names:
        value = validate_value(raw[name])
        if types[name] not in value:
            raise ValidationException("The provided starting key is invalid: The provided key element does not match the schema")
        key[name] = value
    return key


def _encode(table: Table, index: IndexMeta | None, key: dict) -> tuple:
    pk = encode_key_value(key[table.hash_key])
    sk = encode_key_value(key[table.range_key]) if table.range_key else b""
    if index is None:
        return pk, sk
    ipk = encode_key_value(key[index.hash_key])
    isk = encode_key_value(key[index.range_key]) if index.range_key else b""
    return ipk, isk, pk, sk


class QueryMixin:
    def query(self, ctx: RequestContext, params: dict) -> dict:
        table = self._table(ctx, params.get("TableName"))
        expressions = expression_context(params, ("FilterExpression", "KeyConditionExpression", "ProjectionExpression"))
        plan = _plan(table, params, expressions, "FilterExpression", "QueryFilter")
        index = plan.index
        hash_key = index.hash_key if index else table.hash_key
        range_key = index.range_key if index else table.range_key
        key_range = parse_key_condition(params, expressions, hash_key, range_key, table.attribute_types)
        if plan.filter is not None and params.get("FilterExpression") is not None:
            _reject_key_in_filter(plan.filter, (hash_key, range_key) if index is None else (hash_key, range_key))
        expressions.check_unused()
        start = _start_key(plan, params.get("ExclusiveStartKey"))
        forward = params.get("ScanIndexForward", True) is not False
        rows = self._query_rows(plan, key_range, start, forward)
        return self._run_page(plan, rows, params)

    def scan(self, ctx: RequestContext, params: dict) -> dict:
        table = self._table(ctx, params.get("TableName"))
        segment, total = params.get("Segment"), params.get("TotalSegments")
        if segment is not None and total is None:
            raise ValidationException(
                "The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
        if total is not None and segment is None:
            raise ValidationException(
                "The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
        if total is not None and (total < 1 or total > 1000000):
            raise ValidationException(
                f"1 validation error detected: Value '{total}' at 'totalSegments' failed to satisfy constraint: "
                + ("Member must have value greater than or equal to 1" if total < 1 else "Member must have value less than or equal to 1000000"))
        if segment is not None and segment >= total:
            raise ValidationException(
                f"The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {segment} is not less than TotalSegments: {total}")
        expressions = expression_context(params, ("FilterExpression", "ProjectionExpression"))
        plan = _plan(table, params, expressions, "FilterExpression", "ScanFilter")
        expressions.check_unused()
        start = _start_key(plan, params.get("ExclusiveStartKey"))
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
        for rows in batches:
            for row, item in zip(rows, codec.loads_many([row[-1] for row in rows]), strict=True):
                scanned += 1
                page_bytes += row[-2]
                last_item = item
                if plan.filter is None or evaluate(plan.filter, item):
                    if plan.fetch_base:
                        item = self._base_item(table, row[-4], row[-3]) or item
                    items.append(item)
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
            names = list(table.key_names)
            if index is not None:
                names += [n for n in (index.hash_key, index.range_key) if n and n not in names]
            result["LastEvaluatedKey"] = {n: last_item[n] for n in names}
        used = capacity.consumed(table, capacity.read_units(page_bytes, bool(params.get("ConsistentRead"))),
                                 params.get("ReturnConsumedCapacity"), read=True)
        if used:
            result["ConsumedCapacity"] = used
        return result

    def _base_item(self, table: Table, pk: bytes, sk: bytes) -> dict | None:
        row = self.db.fetchone(store.ITEM_BY_KEY, (table.id, scan_hash(pk), pk, sk))
        return codec.loads(row[0]) if row else None


def _batch_size(plan: Plan) -> int:
    return min(_BATCH, plan.limit) if plan.limit else _BATCH


def _reject_key_in_filter(node: tuple, keys: tuple) -> None:
    kind = node[0]
    if kind == "path":
        if node[1][0] in keys:
            raise ValidationException(
                f"Filter Expression can only contain non-primary key attributes: Primary key attribute: {node[1][0]}")
        return
    for child in node[1:]:
        if isinstance(child, tuple) and child and isinstance(child[0], str):
            _reject_key_in_filter(child, keys)
        elif isinstance(child, tuple):
            for element in child:
                if isinstance(element, tuple):
                    _reject_key_in_filter(element, keys)
