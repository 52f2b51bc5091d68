"""PutItem, GetItem, UpdateItem, DeleteItem."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.dynamodb import capacity, legacy
from overcast.services.dynamodb.errors import (
    ResourceNotFoundException,
    ValidationException,
    current_value_words,
)
from overcast.services.dynamodb.expressions.parser import parse_update
from overcast.services.dynamodb.expressions.projection import project
from overcast.services.dynamodb.expressions.update import statement_charge
from overcast.services.dynamodb.models import Table
from overcast.services.dynamodb.requests import (
    check_item,
    check_key_paths,
    condition_from,
    expression_context,
    key_of,
    projection_from,
    reject_mixed,
    reports_old_on_failure,
    return_values,
    validate_key,
    validate_put_item,
)
from overcast.services.dynamodb.types import MAX_ITEM_SIZE, item_size, validate_item_sized, validate_value
from overcast.services.dynamodb.writes import Write

_CONDITION_MEMBERS = ("ConditionExpression",)
_EXPRESSION_TYPE_MISMATCH = "An operand in the update expression has an incorrect data type"


# Members after which a put has no condition, expression attributes or failure option to read:
# with nothing else in the request, it skips those steps (none of which could fail).
_PLAIN_PUT_MEMBERS = frozenset({"TableName", "Item", "ReturnValues", "ReturnConsumedCapacity",
                                "ReturnItemCollectionMetrics"})


def prepare_put(table: Table, params: dict) -> Write:
    if _PLAIN_PUT_MEMBERS.issuperset(params):
        item, size = validate_item_sized(params.get("Item"))
        size = check_item(table, item, size=size)
        # check_item found every key attribute in the item.
        names = table.key_names
        key = {names[0]: item[names[0]]} if len(names) == 1 else {name: item[name] for name in names}
        return Write.plain_put(table, key, item, size)
    ctx = expression_context(params, _CONDITION_MEMBERS)
    item, size = validate_put_item(table, params.get("Item"))
    condition = condition_from(params, ctx)
    ctx.check_unused()
    return Write(table, key_of(table, item), "put", item=item, condition=condition,
                 return_old_on_failure=reports_old_on_failure(params), new_size=size)


def prepare_delete(table: Table, params: dict) -> Write:
    ctx = expression_context(params, _CONDITION_MEMBERS)
    key = validate_key(table, params.get("Key"))
    condition = condition_from(params, ctx)
    ctx.check_unused()
    return Write(table, key, "delete", condition=condition, return_old_on_failure=reports_old_on_failure(params))


def prepare_check(table: Table, params: dict) -> Write:
    ctx = expression_context(params, _CONDITION_MEMBERS)
    key = validate_key(table, params.get("Key"))
    if params.get("ConditionExpression") is None:  # an empty one is refused by the parser, in its words
        raise ValidationException(
            "1 validation error detected: Value null at 'transactItems.1.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null")
    condition = condition_from(params, ctx)
    ctx.check_unused()
    return Write(table, key, "check", condition=condition, return_old_on_failure=reports_old_on_failure(params))


def prepare_update(table: Table, params: dict) -> Write:
    ctx = expression_context(params, ("UpdateExpression", "ConditionExpression"))
    key = validate_key(table, params.get("Key"))
    reject_mixed(params, [("AttributeUpdates", "UpdateExpression"), ("Expected", "UpdateExpression"),
                          ("AttributeUpdates", "ConditionExpression")])
    clauses: dict[str, list] = {}
    if params.get("UpdateExpression") is not None:
        clauses = parse_update(params["UpdateExpression"], ctx)
    elif params.get("AttributeUpdates"):
        clauses = legacy.attribute_updates_to_clauses(params["AttributeUpdates"], table.key_names)
    for word, actions in clauses.items():
        for action in actions:
            path = action[1] if word == "REMOVE" else action[0][1]
            if path[0] in table.key_names:
                raise ValidationException(
                    f"One or more parameter values were invalid: Cannot update attribute {path[0]}. This attribute is part of the key")
    condition = condition_from(params, ctx)
    ctx.check_unused()
    return Write(table, key, "update", clauses=clauses, condition=condition, return_old_on_failure=reports_old_on_failure(params))


# What each operation checks of a request without its table. DynamoDB validates a request's own
# values and expressions before it looks the table up, so a request naming a missing table is
# refused for them rather than reported not found (dynalite's suite runs its validation cases
# against absent tables; paritysuite/dynamodb-conformance, tests/tier3/validation-ordering/
# deepRequests.test.ts). Only a miss runs these: the common path is not slowed.

def _check_key_values(key: Any) -> None:
    if isinstance(key, dict):
        for value in key.values():
            validate_value(value)


def _check_put_request(params: dict) -> None:
    ctx = expression_context(params, _CONDITION_MEMBERS)
    validate_item_sized(params.get("Item"))
    condition_from(params, ctx)
    ctx.check_unused()


def _check_delete_request(params: dict) -> None:
    ctx = expression_context(params, _CONDITION_MEMBERS)
    _check_key_values(params.get("Key"))
    condition_from(params, ctx)
    ctx.check_unused()


def _check_update_request(params: dict) -> None:
    ctx = expression_context(params, ("UpdateExpression", "ConditionExpression"))
    _check_key_values(params.get("Key"))
    reject_mixed(params, [("AttributeUpdates", "UpdateExpression"), ("Expected", "UpdateExpression"),
                          ("AttributeUpdates", "ConditionExpression")])
    if params.get("UpdateExpression") is not None:
        parse_update(params["UpdateExpression"], ctx)
    elif params.get("AttributeUpdates"):
        legacy.attribute_updates_to_clauses(params["AttributeUpdates"], ())
    condition_from(params, ctx)
    ctx.check_unused()


def check_check_request(params: dict) -> None:
    """A transaction's ConditionCheck, without its table."""
    ctx = expression_context(params, ("ConditionExpression",))
    _check_key_values(params.get("Key"))
    condition_from(params, ctx)
    ctx.check_unused()


# Each kind of transaction action's checks without its table (see transactions.py).
CHECK_WITHOUT_TABLE = {"Put": _check_put_request, "Delete": _check_delete_request, "Update": _check_update_request,
                       "ConditionCheck": check_check_request}


def _check_get_request(params: dict) -> None:
    ctx = expression_context(params, ("ProjectionExpression",))
    _check_key_values(params.get("Key"))
    projection_from(params, ctx)
    ctx.check_unused()


def updated_paths(clauses: dict[str, list]) -> list[tuple]:
    paths = []
    for word, actions in clauses.items():
        for action in actions:
            paths.append(action[1] if word == "REMOVE" else action[0][1])
    return paths


class ItemsMixin:
    async def put_item(self, ctx: RequestContext, params: dict) -> dict:
        return await self._replace_or_delete(ctx, params, prepare_put)

    async def delete_item(self, ctx: RequestContext, params: dict) -> dict:
        return await self._replace_or_delete(ctx, params, prepare_delete)

    def _item_table(self, ctx: RequestContext, params: dict, check_request: Callable[[dict], None]) -> Table:
        """The request's table; when there is none, the request's own errors come first."""
        try:
            return self._table(ctx, params.get("TableName"))
        except ResourceNotFoundException:
            check_request(params)
            raise

    async def _replace_or_delete(self, ctx: RequestContext, params: dict, prepare: Callable[[Table, dict], Write]) -> dict:
        mode = return_values(params, ("NONE", "ALL_OLD"))
        with current_value_words():
            table = self._item_table(ctx, params, _check_put_request if prepare is prepare_put else _check_delete_request)
            write = prepare(table, params)
        write.keep_old = mode == "ALL_OLD" or params.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES")
        now = self._now()
        old, new = await self.db.write(lambda tx: write.run(tx, now))
        result: dict[str, Any] = {}
        if mode == "ALL_OLD" and old is not None:
            result["Attributes"] = old
        self._add_write_metrics(result, table, write.key, old, new, params)
        return result

    async def update_item(self, ctx: RequestContext, params: dict) -> dict:
        mode = return_values(params, ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"))
        with current_value_words():
            table = self._item_table(ctx, params, _check_update_request)
            write = prepare_update(table, params)
        # UpdateItem alone also charges the statement against the limit (update.statement_charge).
        if params.get("UpdateExpression") is not None and statement_charge(write.clauses or {}) > MAX_ITEM_SIZE:
            raise ValidationException("Item size to update has exceeded the maximum allowed size")
        now = self._now()
        try:
            old, new = await self.db.write(lambda tx: write.run(tx, now))
        except ValidationException as error:
            # AttributeUpdates words an ADD or DELETE against a value of another type in its own
            # way (dynalite's suite, checked against DynamoDB).
            if params.get("AttributeUpdates") and error.message == _EXPRESSION_TYPE_MISMATCH:
                raise ValidationException("Type mismatch for attribute to update") from None
            raise
        result: dict[str, Any] = {}
        attributes = None
        if mode == "ALL_OLD":
            attributes = old
        elif mode == "ALL_NEW":
            attributes = new
        elif mode in ("UPDATED_OLD", "UPDATED_NEW"):
            source = old if mode == "UPDATED_OLD" else new
            attributes = project(source, updated_paths(write.clauses or {})) if source else None
        if attributes:
            result["Attributes"] = attributes
        self._add_write_metrics(result, table, write.key, old, new, params)
        return result

    def get_item(self, ctx: RequestContext, params: dict) -> dict:
        table = self._item_table(ctx, params, _check_get_request)
        expressions = expression_context(params, ("ProjectionExpression",))
        key = validate_key(table, params.get("Key"))
        paths = projection_from(params, expressions)
        expressions.check_unused()
        if paths is not None:
            check_key_paths(table, paths)
        item = self._read_item(table, key)
        result: dict[str, Any] = {}
        if item is not None:
            result["Item"] = project(item, paths) if paths is not None else item
        mode = params.get("ReturnConsumedCapacity")
        if mode is not None:
            used = capacity.consumed(table, capacity.read_units(_size(item), bool(params.get("ConsistentRead"))),
                                     mode, read=True)
            if used:
                result["ConsumedCapacity"] = used
        return result

    def _add_write_metrics(self, result: dict, table: Table, key: dict, old: dict | None, new: dict | None, params: dict) -> None:
        used = capacity.write_capacity(table, old, new, params.get("ReturnConsumedCapacity"))
        if used:
            result["ConsumedCapacity"] = used
        metrics = capacity.collection_metrics(table, key, params.get("ReturnItemCollectionMetrics"))
        if metrics:
            result["ItemCollectionMetrics"] = metrics


def _size(item: dict | None) -> int:
    return item_size(item) if item else 0
