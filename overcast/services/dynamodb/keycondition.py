"""Turns a KeyConditionExpression (or legacy KeyConditions) into a partition and a byte range."""

from __future__ import annotations

from dataclasses import dataclass

from overcast.services.dynamodb import legacy
from overcast.services.dynamodb.errors import ValidationException, invalid
from overcast.services.dynamodb.expressions.parser import ExpressionContext, parse_condition
from overcast.services.dynamodb.keys import encode_key_value

_LABEL = "KeyConditionExpression"


@dataclass
class KeyRange:
    partition: bytes
    partition_value: dict
    low: bytes | None = None
    low_inclusive: bool = True
    high: bytes | None = None
    high_inclusive: bool = True


def _flatten(node: tuple, out: list[tuple]) -> None:
    if node[0] == "and":
        _flatten(node[1], out)
        _flatten(node[2], out)
    elif node[0] in ("or", "not"):
        raise ValidationException(f"Invalid operator used in KeyConditionExpression: {node[0].upper()}")
    else:
        out.append(node)


def _prefix_end(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string that starts with prefix."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])


def _split(node: tuple) -> tuple[str, str, list[dict]]:
    """(attribute, operator, values) of one key condition."""
    kind = node[0]
    if kind == "cmp":
        op, left, right = node[1], node[2], node[3]
        if left[0] == "value" and right[0] == "path":
            left, right = right, left
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
        if op == "<>":
            raise ValidationException("Invalid operator used in KeyConditionExpression: <>")
        if "size" in (left[0], right[0]):
            raise ValidationException("KeyConditionExpressions cannot contain nested operations")
        if left[0] == right[0] == "path":
            raise ValidationException("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition")
        if left[0] != "path":
            raise ValidationException("Invalid condition in KeyConditionExpression: No key attribute specified")
        return _attribute(left), op, [right[1]]
    if kind == "between":
        if node[1][0] != "path":
            raise ValidationException(
                "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand")
        if node[2][0] != "value" or node[3][0] != "value":
            raise ValidationException("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition")
        return _attribute(node[1]), "BETWEEN", [node[2][1], node[3][1]]
    if kind == "func":
        if node[1] != "begins_with":
            raise ValidationException(f"Invalid operator used in KeyConditionExpression: {node[1]}")
        if node[2][0][0] != "path":
            raise ValidationException(
                "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand")
        if node[2][1][0] != "value":
            raise ValidationException("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition")
        return _attribute(node[2][0]), "begins_with", [node[2][1][1]]
    if kind == "in":
        raise ValidationException("Invalid operator used in KeyConditionExpression: IN")
    raise ValidationException("Query key condition not supported")


def _attribute(path_node: tuple) -> str:
    path = path_node[1]
    if len(path) != 1 or not isinstance(path[0], str):
        raise ValidationException("KeyConditionExpressions cannot have conditions on nested attributes")
    return path[0]


def parse_key_condition(params: dict, ctx: ExpressionContext, hash_key: str, range_key: str | None,
                        types: dict[str, str]) -> KeyRange:
    text = params.get("KeyConditionExpression")
    if text is not None:
        if params.get("KeyConditions"):
            raise ValidationException(
                "Can not use both expression and non-expression parameters in the same request: "
                "Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}")
        nodes: list[tuple] = []
        _flatten(parse_condition(text, _LABEL, ctx), nodes)
    elif params.get("KeyConditions"):
        nodes = [legacy.condition_to_ast(name, spec) for name, spec in params["KeyConditions"].items()]
    else:
        raise ValidationException("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
    conditions: dict[str, tuple[str, list[dict]]] = {}
    for node in nodes:
        name, op, values = _split(node)
        if name in conditions:
            raise ValidationException("KeyConditionExpressions must only contain one condition per key")
        conditions[name] = (op, values)
    if hash_key not in conditions:
        raise ValidationException(f"Query condition missed key schema element: {hash_key}")
    for name in conditions:
        if name not in (hash_key, range_key):
            raise ValidationException(f"Query condition missed key schema element: {range_key or hash_key}")
    op, values = conditions[hash_key]
    if op != "=":
        raise ValidationException("Query key condition not supported")
    for name, (_, values_) in conditions.items():
        for value in values_:
            if types[name] not in value:
                raise invalid("Condition parameter type does not match schema type")
    partition_value = values[0]
    result = KeyRange(encode_key_value(partition_value), partition_value)
    if range_key and range_key in conditions:
        op, values = conditions[range_key]
        encoded = [encode_key_value(v) for v in values]
        if op == "=":
            result.low = result.high = encoded[0]
        elif op == "<":
            result.high, result.high_inclusive = encoded[0], False
        elif op == "<=":
            result.high = encoded[0]
        elif op == ">":
            result.low, result.low_inclusive = encoded[0], False
        elif op == ">=":
            result.low = encoded[0]
        elif op == "BETWEEN":
            if encoded[0] > encoded[1]:
                raise ValidationException(
                    "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
                    f"lower bound operand: AttributeValue: {_show(values[0])}, upper bound operand: AttributeValue: {_show(values[1])}")
            result.low, result.high = encoded
        elif op == "begins_with":
            if types[range_key] == "N":
                raise ValidationException(
                    "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N")
            result.low = encoded[0]
            end = _prefix_end(encoded[0])
            if end is not None:
                result.high, result.high_inclusive = end, False
    return result


def _show(value: dict) -> str:
    kind, inner = next(iter(value.items()))
    return f"{{{kind}:{inner}}}"
