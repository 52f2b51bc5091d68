"""Validation shared by the item operations: keys, items, expression parameters, ReturnValues."""

from __future__ import annotations

import re
from typing import Any

from overcast.services.dynamodb import legacy, vectors
from overcast.services.dynamodb.errors import InvalidRequest, ValidationException, invalid
from overcast.services.dynamodb.expressions.parser import (
    ExpressionContext,
    parse_condition,
    parse_projection,
)
from overcast.services.dynamodb.models import Table
from overcast.services.dynamodb.types import MAX_ITEM_SIZE, item_size, validate_item_sized, validate_value

MAX_HASH_KEY = 2048
_PLACEHOLDER = re.compile(r"^[#:][0-9a-zA-Z_]+$")
MAX_RANGE_KEY = 1024
# A string of at most this many characters is within either key limit whatever its UTF-8 size.
SHORT_KEY = MAX_RANGE_KEY // 4


def check_key_paths(table: Table, paths: list[tuple]) -> None:
    """Key attributes are scalars: a path into one ('pk.a', 'pk[0]') is refused, the table's keys
    named first, then the indexes' (dynalite's validateKeyPaths, checked against DynamoDB). For
    projections (GetItem, Query, Scan) and filters."""
    nested = {path[0] for path in paths if len(path) > 1}
    if not nested:
        return
    prefix = "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: "
    for name in table.key_names:
        if name in nested:
            raise ValidationException(f"{prefix}Key: {name}")
    for index in table.indexes():
        for name in index.key_names:
            if name in nested:
                raise ValidationException(f"{prefix}IndexKey: {name}")


def reports_old_on_failure(params: dict) -> bool:
    """ReturnValuesOnConditionCheckFailure of a statement (ExecuteStatement, or one entry of
    BatchExecuteStatement or ExecuteTransaction): whether a failed condition reports the item."""
    value = params.get("ReturnValuesOnConditionCheckFailure") or "NONE"
    if value not in ("NONE", "ALL_OLD"):
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: "
            "Member must satisfy enum value set: [ALL_OLD, NONE]")
    return value == "ALL_OLD"


def checked_limit(value: Any, maximum: int) -> int:
    """A Limit member of 1 to `maximum` (`maximum` when absent); 0 is refused, not taken as
    absent. ListBackups, ListStreams and GetRecords."""
    if value is None:
        return maximum
    if value < 1 or value > maximum:
        bound = "greater than or equal to 1" if value < 1 else f"less than or equal to {maximum}"
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at 'limit' failed to satisfy constraint: Member must have value {bound}")
    return value


def expression_context(params: dict, expression_members: tuple[str, ...]) -> ExpressionContext:
    """Check ExpressionAttributeNames/Values as DynamoDB does before it parses any expression.

    expression_members lists the operation's expression parameters in the order DynamoDB names
    them in its messages (UpdateItem: UpdateExpression, ConditionExpression)."""
    names = params.get("ExpressionAttributeNames")
    values = params.get("ExpressionAttributeValues")
    if names is None and values is None:
        return ExpressionContext()  # the common case, and nothing to check
    used = [m for m in expression_members if params.get(m) is not None]
    if names is not None and not used:
        raise InvalidRequest("ExpressionAttributeNames can only be specified when using expressions")
    value_members = [m for m in expression_members if m != "ProjectionExpression"]
    if values is not None and value_members and not any(params.get(m) is not None for m in value_members):
        if value_members == ["ConditionExpression"]:
            # PutItem and DeleteItem: without naming the member (paritysuite/dynamodb-conformance
            # putItem/deleteItem.test.ts, us-east-1 and eu-west-2).
            raise InvalidRequest("ExpressionAttributeValues can only be specified when using expressions")
        raise ValidationException(
            f"ExpressionAttributeValues can only be specified when using expressions: {' and '.join(value_members)} are null")
    if names is not None:
        if not names:
            raise InvalidRequest("ExpressionAttributeNames must not be empty")
        for key in names:
            if not _PLACEHOLDER.match(key) or key[0] != "#":
                raise ValidationException(f'ExpressionAttributeNames contains invalid key: Syntax error; key: "{key}"')
        for key, name in names.items():  # every key's syntax first, then the values
            if name == "":
                raise ValidationException(f"ExpressionAttributeNames contains invalid value: Empty attribute name for key {key}")
    context = ExpressionContext(names, values)
    if values is not None:
        if not values:
            raise InvalidRequest("ExpressionAttributeValues must not be empty")
        for key in values:
            if not _PLACEHOLDER.match(key) or key[0] != ":":
                raise ValidationException(f'ExpressionAttributeValues contains invalid key: Syntax error; key: "{key}"')
        for key in values:
            context.checked_value(key)
    return context


def reject_mixed(params: dict, pairs: list[tuple[str, str]]) -> None:
    """DynamoDB refuses a legacy parameter and its expression counterpart in one request."""
    # Each named once, though pairs share members (Expected and ConditionalOperator both pair with ConditionExpression).
    legacy_used = list(dict.fromkeys(old for old, _ in pairs if params.get(old) is not None))
    modern_used = list(dict.fromkeys(new for _, new in pairs if params.get(new) is not None))
    if legacy_used and modern_used:
        raise ValidationException(
            "Can not use both expression and non-expression parameters in the same request: "
            f"Non-expression parameters: {{{', '.join(legacy_used)}}} Expression parameters: {{{', '.join(modern_used)}}}")


def condition_from(params: dict, ctx: ExpressionContext) -> tuple | None:
    """ConditionExpression, or the legacy Expected map, as one AST (None when unconditional)."""
    text = params.get("ConditionExpression")
    if text is None and params.get("Expected") is None:
        return None  # unconditional, and nothing mixed (every pair includes ConditionExpression)
    reject_mixed(params, [("Expected", "ConditionExpression"), ("ConditionalOperator", "ConditionExpression")])
    if text is not None:
        return parse_condition(text, "ConditionExpression", ctx)
    if params.get("Expected"):
        return legacy.expected_to_ast(params["Expected"], params.get("ConditionalOperator"))
    return None


def projection_from(params: dict, ctx: ExpressionContext) -> list[tuple] | None:
    text = params.get("ProjectionExpression")
    if text is None and params.get("AttributesToGet") is None:
        return None
    reject_mixed(params, [("AttributesToGet", "ProjectionExpression")])
    if text is not None:
        return [node[1] for node in parse_projection(text, ctx)]
    names = params.get("AttributesToGet")
    if names:
        duplicates = [n for i, n in enumerate(names) if n in names[:i]]
        if duplicates:
            raise ValidationException(f"One or more parameter values were invalid: Duplicate value in attribute name: {duplicates[0]}")
        return [(name,) for name in names]
    return None


def validate_key(table: Table, key: Any, index_label: str = "") -> dict:
    """A Key parameter: exactly the table's key attributes, of the declared types."""
    if not isinstance(key, dict):
        raise ValidationException("The provided key element does not match the schema")
    names = table.key_names
    if len(key) != len(names) or any(n not in key for n in names):
        raise ValidationException("The provided key element does not match the schema")
    types = table.attribute_types
    result = {}
    for name in names:
        value = key[name]
        # Fast path for the usual short string key: already valid and in its final form.
        if types[name] == "S" and type(value) is dict and len(value) == 1:
            inner = value.get("S")
            if type(inner) is str and 0 < len(inner) <= SHORT_KEY:
                result[name] = value
                continue
        value = validate_value(value)
        if types[name] not in value:
            raise ValidationException("The provided key element does not match the schema")
        _check_key_value(name, value, name == table.hash_key)
        result[name] = value
    return result


def _check_key_value(name: str, value: dict, is_hash: bool) -> None:
    kind, inner = next(iter(value.items()))
    if kind in ("S", "B") and len(inner) == 0:
        raise ValidationException(
            f"One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {'string' if kind == 'S' else 'binary'} value. Key: {name}")
    size = len(inner.encode("utf-8")) if kind == "S" else len(inner)
    if is_hash and size > MAX_HASH_KEY:
        raise invalid(f"Size of hashkey has exceeded the maximum size limit of{MAX_HASH_KEY} bytes")
    if not is_hash and size > MAX_RANGE_KEY:
        raise invalid(f"Aggregated size of all range keys has exceeded the size limit of {MAX_RANGE_KEY} bytes")


def validate_put_item(table: Table, raw: Any) -> tuple[dict, int]:
    """The item, normalised, and its size (which the write stores, so it is measured once)."""
    item, size = validate_item_sized(raw)
    return item, check_item(table, item, size=size)


def check_item(table: Table, item: dict, updating: bool = False, size: int | None = None) -> int:
    """An item about to be stored: keys present and typed, index keys typed, size in bounds.
    Returns the item's size (`size`, when the caller measured it already)."""
    types = table.attribute_types
    for key_name in table.key_names:
        value = item.get(key_name)
        if value is None:
            raise invalid(f"Missing the key {key_name} in the item")
        kind, inner = next(iter(value.items()))
        if kind != types[key_name]:
            raise invalid(f"Type mismatch for key {key_name} expected: {types[key_name]} actual: {kind}")
        # The usual short string key is within every limit: no call for it.
        if kind != "S" or not 0 < len(inner) <= SHORT_KEY:
            _check_key_value(key_name, value, key_name == table.hash_key)
    for index in table.indexes():
        for name in index.key_names:
            if name in table.key_names:
                continue
            value = item.get(name)
            if value is None:
                continue
            kind, inner = next(iter(value.items()))
            if kind != types[name]:
                raise invalid(
                    f"Type mismatch for Index Key {name} Expected: {types[name]} Actual: {kind} IndexName: {index.name}")
            if kind in ("S", "B") and len(inner) == 0:
                if updating:
                    raise ValidationException(
                        "One or more parameter values are not valid. The update expression attempted to update a secondary "
                        "index key to a value that is not supported. The AttributeValue for a key attribute cannot contain "
                        "an empty string value.")
                raise ValidationException(
                    "One or more parameter values are not valid. A value specified for a secondary index key is not supported. "
                    f"The AttributeValue for a key attribute cannot contain an empty string value. IndexName: {index.name}, IndexKey: {name}")
    if table.vector_indexes():
        vectors.check_item(table, item, updating)
    if size is None:
        size = item_size(item)
    if size > MAX_ITEM_SIZE:
        raise ValidationException("Item size to update has exceeded the maximum allowed size" if updating
                                  else "Item size has exceeded the maximum allowed size")
    return size


_RETURN_VALUES = ("ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW")  # in DynamoDB's order


def return_values(params: dict, allowed: tuple[str, ...]) -> str:
    """ReturnValues, checked before the table is looked up: a value outside the enum is refused as
    the model's constraint, one of the enum that the operation does not take (PutItem and DeleteItem
    take ALL_OLD and NONE) in DynamoDB's own words, enveloped (paritysuite/dynamodb-conformance,
    tests/tier3/error-messages/deleteItem.test.ts and validation-ordering/deepRequests.test.ts)."""
    value = params.get("ReturnValues")
    if value is None:
        return "NONE"
    if value not in allowed:
        if value not in _RETURN_VALUES:
            raise ValidationException(
                f"1 validation error detected: Value '{value}' at 'returnValues' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(_RETURN_VALUES)}]")
        raise ValidationException("1 validation error detected: ReturnValues can only be ALL_OLD or NONE")
    return value


def key_of(table: Table, item: dict) -> dict:
    return {name: item[name] for name in table.key_names if name in item}
