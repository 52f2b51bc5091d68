"""ExecuteStatement, BatchExecuteStatement and ExecuteTransaction on top of the item engine."""

from __future__ import annotations

import base64
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.dynamodb import capacity, codec, store
from overcast.services.dynamodb.errors import (
    ConditionalCheckFailedException,
    DuplicateItemException,
    InvalidAttributeValue,
    ResourceNotFoundException,
    ValidationException,
    in_older_value_words,
)
from overcast.services.dynamodb.expressions.projection import project
from overcast.services.dynamodb.items import updated_paths
from overcast.services.dynamodb.keycondition import KeyRange, Span, sort_key_span
from overcast.services.dynamodb.keys import encode_key_value
from overcast.services.dynamodb.models import IndexMeta, Table
from overcast.services.dynamodb.partiql.parser import NOT_WELL_FORMED, Statement, parse_statement
from overcast.services.dynamodb.query import Plan, _start_key, outside_projection, path_heads
from overcast.services.dynamodb.requests import check_item, key_of, reports_old_on_failure
from overcast.services.dynamodb.transactions import check_client_request_token, digest_of, write_result
from overcast.services.dynamodb.types import item_size, validate_item
from overcast.services.dynamodb.writes import Write

_KEY_REQUIRED = "Where clause does not contain a mandatory equality on all key attributes"
# DynamoDB's words (nubo-db and paritysuite dynamodb-conformance suites, captured against DynamoDB).
_NO_SUCH_INDEX = "The table does not have the specified index"
_GSI_CONSISTENT = "Strongly consistent read is not supported on Global Secondary Indexes"
_MULTI_ATTRIBUTE_INDEX = ("PartiQL statements cannot be executed on tables with multi-attribute HASH keys or "
                          "multi-attribute RANGE keys.")
_BATCH_SELECT_KEY = "Select statements within BatchExecuteStatement must specify the primary key in the where clause."
_TRANSACTION_SELECT_KEY = "Select statements within ExecuteTransaction must specify the primary key in the where clause."
_MIXED_TRANSACTION = "ExecuteTransaction API does not support both read and write operations in the same request."
_INDEX_READ_IN_TRANSACTION = "Reads on indices are not supported within transactions."


def _in_statement(position: int, error: ValidationException) -> ValidationException:
    """ExecuteTransaction names the statement a refusal is about."""
    return ValidationException(f"Validation failed in TransactStatements[{position}]: {error.message}")


def _outside_transaction(statement: Statement) -> Statement:
    """EXISTS(...) is a transaction's condition check; elsewhere it is no statement at all."""
    if statement.exists:
        raise ValidationException(NOT_WELL_FORMED + "Unsupported statement")
    return statement


def _check_delete_returning(statement: Statement) -> None:
    if statement.kind == "DELETE" and statement.returning not in (None, "ALL_OLD"):
        scope, _, which = statement.returning.partition("_")
        raise ValidationException(f"Invalid returning clause: RETURNING {scope} {which} *. "
                                  "Only RETURNING ALL OLD * is allowed in DELETE statements.")


def _list_bounds(entries: list, member: str, most: int) -> None:
    """The model's length bounds on a list of statements (an empty list prints as '[]')."""
    if not entries:
        raise ValidationException(
            f"1 validation error detected: Value '[]' at '{member}' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1")
    if len(entries) > most:
        raise ValidationException(
            f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {most}")


def _conjuncts(node: tuple | None) -> list[tuple]:
    if node is None:
        return []
    if node[0] == "and":
        return _conjuncts(node[1]) + _conjuncts(node[2])
    return [node]


def _join(nodes: list[tuple]) -> tuple | None:
    result = None
    for node in nodes:
        result = node if result is None else ("and", result, node)
    return result


def _equalities(nodes: list[tuple]) -> dict[str, tuple[dict, tuple]]:
    """attribute -> (value, node) for every top-level `attr = value` conjunct."""
    found: dict[str, tuple[dict, tuple]] = {}
    for node in nodes:
        if node[0] == "cmp" and node[1] == "=":
            left, right = node[2], node[3]
            if left[0] == "value" and right[0] == "path":
                left, right = right, left
            if left[0] == "path" and right[0] == "value" and len(left[1]) == 1:
                found.setdefault(left[1][0], (right[1], node))
    return found


_OVERLAPPING_RANGES = "Overlapping conditions with range keys are not supported in where clause"


def _disjuncts(node: tuple | None) -> list[tuple | None]:
    if node is not None and node[0] == "or":
        return _disjuncts(node[1]) + _disjuncts(node[2])
    return [node]


# A comparison with the sort key on its right, turned around.
_MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _sort_key_spans(nodes: list[tuple], range_key: str, kind: str) -> list[Span] | None:
    """The spans of sort keys a branch's conjuncts select (keycondition.sort_key_span); None when
    no conjunct names the sort key positively (a negated or <> condition filters; it selects no
    span)."""
    spans: list[Span] | None = None

    def value_of(operand: tuple) -> bytes | None:
        return encode_key_value(operand[1]) if operand[0] == "value" and kind in operand[1] else None

    def is_key(operand: tuple) -> bool:
        return operand[0] == "path" and operand[1] == (range_key,)

    for node in nodes:
        found: list[Span] = []
        if node[0] == "cmp" and node[1] != "<>":
            op, left, right = node[1], node[2], node[3]
            if is_key(right) and not is_key(left):
                left, right, op = right, left, _MIRRORED.get(op, op)
            bound = value_of(right) if is_key(left) else None
            if bound is not None:
                found = [sort_key_span(op, [bound])]
        elif node[0] == "between" and is_key(node[1]):
            low, high = value_of(node[2]), value_of(node[3])
            if low is not None and high is not None:
                found = [sort_key_span("BETWEEN", [low, high])]
        elif node[0] == "in" and is_key(node[1]):
            found = [sort_key_span("=", [point]) for point in map(value_of, node[2]) if point is not None]
        elif node[0] == "func" and node[1] == "begins_with" and is_key(node[2][0]):
            prefix = value_of(node[2][1])
            if prefix is not None:
                found = [sort_key_span("begins_with", [prefix])]
        if found:
            spans = found if spans is None else [s for a in spans for b in found if (s := _within(a, b))]
    return spans


def _within(a: Span, b: Span) -> Span | None:
    """The part of two spans both cover, or None."""
    if a[0] is None or (b[0] is not None and (b[0], not b[1]) > (a[0], not a[1])):
        low, low_in = b[0], b[1]
    else:
        low, low_in = a[0], a[1]
    if a[2] is None or (b[2] is not None and (b[2], b[3]) < (a[2], a[3])):
        high, high_in = b[2], b[3]
    else:
        high, high_in = a[2], a[3]
    if low is not None and high is not None and (low > high or (low == high and not (low_in and high_in))):
        return None
    return (low, low_in, high, high_in)


def _refuse_overlapping_branches(table: Table, where: tuple | None) -> None:
    """OR branches that select overlapping sort-key spans of one partition are refused
    (paritysuite whereOverlap.test.ts; a negated or <> sort-key condition selects no span)."""
    branches = _disjuncts(where)
    if len(branches) < 2 or table.range_key is None:
        return
    kind = table.attribute_types[table.range_key]
    seen: list[tuple[dict, list[Span]]] = []
    for branch in branches:
        nodes = _conjuncts(branch)
        partition = _equalities(nodes).get(table.hash_key)
        spans = _sort_key_spans(nodes, table.range_key, kind) if partition is not None else None
        if partition is None or not spans:
            continue
        for other_partition, other_spans in seen:
            if other_partition == partition[0] and any(_within(a, b) for a in spans for b in other_spans):
                raise ValidationException(_OVERLAPPING_RANGES)
        seen.append((partition[0], spans))


def _split_key(table: Table, where: tuple | None) -> tuple[dict, tuple | None]:
    nodes = _conjuncts(where)
    equalities = _equalities(nodes)
    key, used = {}, []
    for name in table.key_names:
        if name not in equalities:
            raise ValidationException(_KEY_REQUIRED)
        value, node = equalities[name]
        if table.attribute_types[name] not in value:
            raise ValidationException(_KEY_REQUIRED)
        key[name] = value
        used.append(node)
    return key, _join([n for n in nodes if not any(n is u for u in used)])


def _key_only(table: Table, where: tuple | None) -> dict:
    """The key a batch's or a transaction's SELECT reads: its WHERE may name the key and nothing
    else (a condition beside it is refused, paritysuite partiqlFunctions captures)."""
    key, rest = _split_key(table, where)
    if rest is not None:
        raise ValidationException(_KEY_REQUIRED)
    return key


def _exists(table: Table) -> tuple:
    return ("func", "attribute_exists", (("path", (table.hash_key,)),))


def _key_schema(table: Table, index: IndexMeta | None) -> tuple[str, str | None]:
    """The hash and range key a SELECT reads by (an index's: one of each, multi-attribute
    indexes being refused, _readable_index)."""
    if index is None:
        return table.hash_key, table.range_key
    return index.hash_keys[0], index.range_keys[0] if index.range_keys else None


def _readable_index(table: Table, name: str) -> IndexMeta:
    """The index a SELECT names. A multi-attribute global index is refused ahead of everything
    the statement's WHERE, key types or projection could be refused for (paritysuite
    partiqlMultiAttributeIndex, recorded against AWS)."""
    index = table.index(name)
    if index is None:
        raise ValidationException(_NO_SUCH_INDEX)
    if index.multi_attribute:
        raise ValidationException(_MULTI_ATTRIBUTE_INDEX)
    return index


def _direction(statement: Statement, table: Table, index: IndexMeta | None, queried: bool) -> bool:
    """Whether a SELECT reads its partition in ascending order: ORDER BY may name only the key
    attributes of the table (or index) read, and needs an equality on its partition key, since
    results are ordered within one partition, as a Query orders them."""
    if not statement.order_by:
        return True
    if statement.where is None:
        raise ValidationException("Must have WHERE clause in the statement when using ORDER BY clause.")
    hash_key, range_key = _key_schema(table, index)
    for name, _ in statement.order_by:
        if name not in (hash_key, range_key):
            raise ValidationException(f"Attribute {name} in ORDER BY clause must be part of the primary key")
    if not queried:
        raise ValidationException(
            "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause.")
    # With one partition, only the sort key's direction changes the order.
    return not any(descending for name, descending in statement.order_by if name == range_key)


def _check_index_reach(plan: Plan, statement: Statement, queried: bool) -> None:
    """A read of a KEYS_ONLY or INCLUDE index for attributes it does not hold: a local index
    fetches them from the table (as Query does); a global one refuses, and so does either when a
    keyed read filters on them."""
    index = plan.index
    assert index is not None
    projected = store.projected_names(plan.table, index)
    unprojected = sorted(path_heads(statement.where) - projected) if statement.where is not None else []
    if queried and unprojected:
        raise ValidationException(f"One or more parameter values were invalid: Secondary index {index.name} "
                                  f"does not project one or more filter attributes: [{', '.join(unprojected)}]")
    if unprojected and not index.is_global:
        plan.base_for_filter = plan.fetch_base = True  # a local index's unkeyed read filters on the table's item
    if outside_projection(index, projected, statement.projection):
        plan.base_for_output = plan.fetch_base = True


class PartiqlMixin:
    def _partiql_table(self, ctx: RequestContext, statement: Statement) -> Table:
        table = self._tables.get((ctx.account_id, ctx.region, statement.table))
        if table is None:
            raise ResourceNotFoundException()
        return table

    def _partiql_write(self, ctx: RequestContext, statement: Statement, old_on_failure: bool = False) -> Write:
        table = self._partiql_table(ctx, statement)
        _check_delete_returning(statement)
        if statement.kind == "INSERT":
            item = validate_item(statement.item)
            check_item(table, item)
            return Write(table, key_of(table, item), "put", item=item,
                         condition=("func", "attribute_not_exists", (("path", (table.hash_key,)),)),
                         failure_code="DuplicateItem", failure_message="Duplicate primary key exists in table")
        if statement.exists and statement.index:
            raise ValidationException(_INDEX_READ_IN_TRANSACTION)
        if statement.refusal is not None:
            raise statement.refusal
        key, rest = _split_key(table, statement.where)
        if statement.kind == "UPDATE":
            clauses: dict[str, list] = {}
            if statement.sets:
                clauses["SET"] = statement.sets
            if statement.removes:
                clauses["REMOVE"] = statement.removes
            # set_add and set_delete do what UpdateItem's ADD and DELETE do to a set.
            if statement.set_adds:
                clauses["ADD"] = statement.set_adds
            if statement.set_deletes:
                clauses["DELETE"] = statement.set_deletes
            targets = [s[0] for s in statement.sets + statement.set_adds + statement.set_deletes] + statement.removes
            for target in targets:
                if target[1][0] in table.key_names:
                    raise ValidationException(
                        f"One or more parameter values were invalid: Cannot update attribute {target[1][0]}. This attribute is part of the key")
            condition = _exists(table) if rest is None else ("and", _exists(table), rest)
            return Write(table, key, "update", clauses=clauses, condition=condition,
                         return_old_on_failure=old_on_failure)
        if statement.kind == "DELETE":
            return Write(table, key, "delete", condition=rest, return_old_on_failure=old_on_failure)
        if statement.exists:
            if rest is None:
                raise ValidationException("EXISTS() must contain a single item read with additional condition")
            return Write(table, key, "check", condition=rest, return_old_on_failure=old_on_failure)
        raise ValidationException("Unsupported operation in this context")

    async def _run_partiql_write(self, ctx: RequestContext, statement: Statement, old_on_failure: bool = False,
                                 capacity_mode: str | None = None,
                                 tallies: dict[int, capacity.Tally] | None = None) -> dict:
        """Run one write statement; its capacity goes into `tallies` when given (a batch's),
        else into the answer when asked for."""
        write = self._partiql_write(ctx, statement, old_on_failure)
        now = self._now()
        try:
            old, new = await self.db.write(lambda tx: write.run(tx, now))
        except ConditionalCheckFailedException:
            if statement.kind == "INSERT":
                raise DuplicateItemException("Duplicate primary key exists in table") from None
            raise
        returning = statement.returning
        source = old if returning in ("ALL_OLD", "MODIFIED_OLD") else new if returning in ("ALL_NEW", "MODIFIED_NEW") else None
        if source is not None and returning in ("MODIFIED_OLD", "MODIFIED_NEW"):
            # Only the attributes the statement set or removed, as UpdateItem's UPDATED_OLD/UPDATED_NEW.
            source = project(source, updated_paths(write.clauses or {}))
        result: dict[str, Any] = {"Items": [source] if source else []}
        if tallies is not None:
            capacity.tally_of(tallies, write.table).add_write(old, new)
            return result
        used = capacity.write_capacity(write.table, old, new, capacity_mode)
        if used:
            result["ConsumedCapacity"] = used
        return result

    def _run_select(self, ctx: RequestContext, statement: Statement, params: dict) -> dict:
        table = self._partiql_table(ctx, statement)
        index = None
        if statement.index:
            index = _readable_index(table, statement.index)
        if statement.refusal is not None:
            raise statement.refusal
        if index is not None and index.is_global and params.get("ConsistentRead"):
            raise ValidationException(_GSI_CONSISTENT)
        limit = params.get("Limit")
        if limit is not None and limit < 1:
            raise ValidationException(
                f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
                "Member must have value greater than or equal to 1")
        if index is None:
            _refuse_overlapping_branches(table, statement.where)
        plan = Plan(table, index, statement.where, statement.projection, "SPECIFIC_ATTRIBUTES", limit, False)
        start = None
        if params.get("NextToken"):
            try:
                start = _start_key(plan, codec.loads(base64.b64decode(params["NextToken"]).decode()))
            except (ValueError, UnicodeDecodeError):
                raise ValidationException("Invalid NextToken") from None
        hash_key = _key_schema(table, index)[0]
        equalities = _equalities(_conjuncts(statement.where))
        partition = equalities.get(hash_key)
        queried = partition is not None and table.attribute_types[hash_key] in partition[0]
        forward = _direction(statement, table, index, queried)
        if index is not None and index.projection_type != "ALL":
            _check_index_reach(plan, statement, queried)
        if partition is not None and queried:
            rows = self._query_rows(plan, KeyRange(encode_key_value(partition[0])), start, forward)
        else:
            rows = self._scan_rows(plan, start, 0, 1)
        # Limit and paging as a Query's; ConsistentRead and ReturnConsumedCapacity read from params.
        page = self._run_page(plan, rows, params)
        result: dict[str, Any] = {"Items": page.get("Items", [])}
        if "ConsumedCapacity" in page:
            result["ConsumedCapacity"] = page["ConsumedCapacity"]
        if "LastEvaluatedKey" in page:
            result["NextToken"] = base64.b64encode(codec.dumps(page["LastEvaluatedKey"]).encode()).decode()
        return result

    @in_older_value_words  # parameters are read as the older value layer reads them
    async def execute_statement(self, ctx: RequestContext, params: dict) -> dict:
        old_on_failure = reports_old_on_failure(params)
        statement = _outside_transaction(parse_statement(params.get("Statement", ""), params.get("Parameters")))
        if statement.kind == "SELECT":
            return self._run_select(ctx, statement, params)
        return await self._run_partiql_write(ctx, statement, old_on_failure, params.get("ReturnConsumedCapacity"))

    async def batch_execute_statement(self, ctx: RequestContext, params: dict) -> dict:
        statements = params.get("Statements") or []
        _list_bounds(statements, "statements", 25)
        mode = params.get("ReturnConsumedCapacity")
        tallies: dict[int, capacity.Tally] = {}
        responses = []
        for entry in statements:
            response: dict[str, Any] = {}
            try:
                old_on_failure = reports_old_on_failure(entry)
                statement = _outside_transaction(parse_statement(entry.get("Statement", ""), entry.get("Parameters")))
                response["TableName"] = statement.table
                if statement.kind == "SELECT":
                    table = self._partiql_table(ctx, statement)
                    index = table.index(statement.index) if statement.index else None
                    if index is not None and index.multi_attribute:  # ahead of the key-only rule
                        raise ValidationException(_MULTI_ATTRIBUTE_INDEX)
                    if statement.refusal is not None:
                        raise statement.refusal
                    try:
                        key = _key_only(table, statement.where)
                    except ValidationException:
                        response.pop("TableName")
                        raise ValidationException(_BATCH_SELECT_KEY) from None
                    item = self._read_item(table, key)
                    if item is not None:
                        response["Item"] = project(item, statement.projection) if statement.projection else item
                    capacity.tally_of(tallies, table).add_read(item_size(item) if item else 0,
                                                               bool(entry.get("ConsistentRead")))
                else:
                    written = await self._run_partiql_write(ctx, statement, old_on_failure, mode, tallies)
                    if written["Items"]:  # RETURNING: the item, as ExecuteStatement returns it
                        response["Item"] = written["Items"][0]
            except DuplicateItemException as error:
                response["Error"] = {"Code": "DuplicateItem", "Message": error.message}
            except ConditionalCheckFailedException as error:
                response["Error"] = {"Code": "ConditionalCheckFailed", "Message": error.message}
                if error.item is not None:  # BatchStatementError.Item, asked for with ALL_OLD
                    response["Error"]["Item"] = error.item
            except ResourceNotFoundException as error:
                response["Error"] = {"Code": "ResourceNotFound", "Message": error.message}
            except InvalidAttributeValue as error:
                response["Error"] = {"Code": "ValidationError", "Message": error.in_older_words().message}
            except ValidationException as error:
                response["Error"] = {"Code": "ValidationError", "Message": error.message}
            responses.append(response)
        result: dict[str, Any] = {"Responses": responses}
        if capacity.wanted(mode):
            result["ConsumedCapacity"] = [tally.report(mode) for tally in tallies.values()]
        return result

    @in_older_value_words
    async def execute_transaction(self, ctx: RequestContext, params: dict) -> dict:
        entries = params.get("TransactStatements") or []
        _list_bounds(entries, "transactStatements", 100)
        check_client_request_token(params)
        failure_modes = [reports_old_on_failure(e) for e in entries]
        statements = []
        for position, entry in enumerate(entries):
            try:
                statements.append(parse_statement(entry.get("Statement", ""), entry.get("Parameters")))
            except InvalidAttributeValue:
                raise  # a parameter's value: answered as such, without the statement's place
            except ValidationException as error:
                raise _in_statement(position, error) from None
        for position, statement in enumerate(statements):
            if statement.returning is not None:
                raise _in_statement(position, ValidationException(
                    "RETURNING clause is not supported in ExecuteTransaction."))
        selects = [s for s in statements if s.kind == "SELECT" and not s.exists]
        if selects and len(selects) != len(statements):
            raise ValidationException(_MIXED_TRANSACTION)
        if selects:
            reads = []
            for position, statement in enumerate(statements):
                table = self._partiql_table(ctx, statement)
                if statement.index:
                    raise _in_statement(position, ValidationException(
                        _INDEX_READ_IN_TRANSACTION))
                if statement.refusal is not None:
                    raise _in_statement(position, statement.refusal)
                try:
                    reads.append((table, _key_only(table, statement.where)))
                except ValidationException:
                    raise _in_statement(position, ValidationException(_TRANSACTION_SELECT_KEY)) from None
            responses = []
            tallies: dict[int, capacity.Tally] = {}
            for (table, _), statement, item in zip(reads, statements, self._read_snapshot(reads), strict=True):
                responses.append({"Item": project(item, statement.projection) if statement.projection else item} if item else {})
                # A transactional read costs twice a strongly consistent one, as in TransactGetItems.
                capacity.tally_of(tallies, table).add_read(item_size(item) if item else 0, True, factor=2)
            result: dict[str, Any] = {"Responses": responses}
            mode = params.get("ReturnConsumedCapacity")
            if capacity.wanted(mode):
                result["ConsumedCapacity"] = [tally.report(mode) for tally in tallies.values()]
            return result
        writes = []
        for position, (statement, mode) in enumerate(zip(statements, failure_modes, strict=True)):
            try:
                writes.append(self._partiql_write(ctx, statement, mode))
            except ValidationException as error:
                raise _in_statement(position, error) from None
        identities = [w.identity for w in writes]
        if len(set(identities)) != len(identities):
            raise ValidationException("Transaction request cannot include multiple operations on one item")
        token = params.get("ClientRequestToken")
        outcomes = await self._commit_transaction(ctx, writes, token, digest_of(entries) if token else "")
        # A transaction of writes answers an empty Responses list, not one entry a statement
        # (paritysuite/dynamodb-conformance, tests/tier2/partiql/writeResponses.test.ts).
        return {"Responses": [], **write_result(params, writes, outcomes)}
