"""Applies a parsed UpdateExpression to an item, reading every operand from the item before it."""

from __future__ import annotations

import copy
from decimal import Decimal

from overcast.services.dynamodb.errors import ValidationException
from overcast.services.dynamodb.expressions.evaluator import operand_value, resolve
from overcast.services.dynamodb.types import (
    DECIMAL_CONTEXT,
    format_number,
    in_set_order,
    parse_number,
    value_size,
    values_equal,
)

_BAD_PATH = "The document path provided in the update expression is invalid for update"
_MISSING_ATTR = "The provided expression refers to an attribute that does not exist in the item"


# The parser rejects literal operands of the wrong type; an attribute of the wrong type found in
# the item fails here, with DynamoDB's message for that case.
_WRONG_TYPE = "An operand in the update expression has an incorrect data type"


def compute(node: tuple, item: dict) -> dict:
    kind = node[0]
    if kind in ("value", "path"):
        value = operand_value(item, node)
        if value is None:
            raise ValidationException(_MISSING_ATTR)
        return value
    if kind == "if_not_exists":
        existing = resolve(item, node[1][1])
        return existing if existing is not None else compute(node[2], item)
    if kind == "list_append":
        a, b = compute(node[1], item), compute(node[2], item)
        for side in (a, b):
            if "L" not in side:
                raise ValidationException(_WRONG_TYPE)
        return {"L": a["L"] + b["L"]}
    if kind in ("+", "-"):
        a, b = compute(node[1], item), compute(node[2], item)
        for side in (a, b):
            if "N" not in side:
                raise ValidationException(_WRONG_TYPE)
        x, y = Decimal(a["N"]), Decimal(b["N"])
        result = DECIMAL_CONTEXT.add(x, y) if kind == "+" else DECIMAL_CONTEXT.subtract(x, y)
        return {"N": format_number(parse_number(str(result)))}
    raise AssertionError(kind)


def apply_update(clauses: dict[str, list], original: dict) -> dict:
    item = copy.deepcopy(original)
    # Every value is computed from the item as it was before the update.
    sets = [(target[1], compute(value, original)) for target, value in clauses.get("SET", ())]
    for path, value in sets:
        _assign(item, path, value)
    removals = sorted((p[1] for p in clauses.get("REMOVE", ())), key=_removal_order, reverse=True)
    for path in removals:
        _remove(item, path)
    for target, value_node in clauses.get("ADD", ()):
        _add(item, target[1], value_node[1])
    for target, value_node in clauses.get("DELETE", ()):
        _delete(item, target[1], value_node[1])
    return item


def _removal_order(path: tuple) -> tuple:
    # Removing list elements from the highest index down keeps the lower indexes valid.
    return tuple((1, e) if isinstance(e, int) else (0, 0) for e in path)


def _parent(item: dict, path: tuple) -> dict | list | None:
    """The container (attribute map or list) that holds the last element of path."""
    if len(path) == 1:
        return item
    parent = resolve(item, path[:-1])
    if parent is None:
        return None
    last = path[-1]
    if isinstance(last, int):
        return parent.get("L")
    return parent.get("M")


def _assign(item: dict, path: tuple, value: dict) -> None:
    container = _parent(item, path)
    last = path[-1]
    if isinstance(last, int):
        if not isinstance(container, list):
            raise ValidationException(_BAD_PATH)
        if last >= len(container):
            container.append(value)
        else:
            container[last] = value
    else:
        if not isinstance(container, dict):
            raise ValidationException(_BAD_PATH)
        container[last] = value


def _remove(item: dict, path: tuple) -> None:
    """Removing a missing attribute or list element does nothing, but the path up to it must
    exist and be of the right kind (a map before a name, a list before an index)."""
    container = _parent(item, path)
    last = path[-1]
    if isinstance(last, int):
        if not isinstance(container, list):
            raise ValidationException(_BAD_PATH)
        if last < len(container):
            del container[last]
    else:
        if not isinstance(container, dict):
            raise ValidationException(_BAD_PATH)
        container.pop(last, None)


def _add(item: dict, path: tuple, value: dict) -> None:
    kind, inner = next(iter(value.items()))
    # The parser lets only numbers and sets through; the legacy AttributeUpdates also adds lists
    # (appending) and reaches here with any type.
    if kind not in ("N", "SS", "NS", "BS", "L"):
        raise ValidationException(f"One or more parameter values were invalid: ADD action is not supported for the type {kind}")
    existing = resolve(item, path)
    if existing is None:
        _assign(item, path, copy.deepcopy(value))
        return
    existing_kind = next(iter(existing))
    if existing_kind != kind:
        raise ValidationException("An operand in the update expression has an incorrect data type")
    if kind == "N":
        total = DECIMAL_CONTEXT.add(Decimal(existing["N"]), Decimal(inner))
        _assign(item, path, {"N": format_number(parse_number(str(total)))})
    elif kind == "L":
        _assign(item, path, {"L": existing["L"] + copy.deepcopy(inner)})
    else:
        merged = list(existing[kind])
        for element in inner:
            if not any(values_equal({kind[0]: element}, {kind[0]: e}) for e in merged):
                merged.append(element)
        _assign(item, path, {kind: in_set_order(kind, merged)})


def _delete(item: dict, path: tuple, value: dict) -> None:
    kind, inner = next(iter(value.items()))
    if kind not in ("SS", "NS", "BS"):  # only the legacy AttributeUpdates gets here with another type
        raise ValidationException(
            f"One or more parameter values were invalid: DELETE action with value is not supported for the type {kind}")
    existing = resolve(item, path)
    if existing is None:
        if not isinstance(_parent(item, path), dict if isinstance(path[-1], str) else list):
            raise ValidationException(_BAD_PATH)
        return
    if next(iter(existing)) != kind:
        raise ValidationException("An operand in the update expression has an incorrect data type")
    remaining = [e for e in existing[kind] if not any(values_equal({kind[0]: e}, {kind[0]: x}) for x in inner)]
    if remaining:
        _assign(item, path, {kind: in_set_order(kind, remaining)})
    else:
        _remove(item, path)


# -- what a standalone UpdateItem is charged against the 400 KB limit
#
# UpdateItem measures a statement, not only the item it leaves: max(the finished item, 3 bytes
# for the update plus each clause's charge) may not pass 409,600 bytes, checked before the
# condition. A clause is charged for what the request writes (its target's name and the values it
# carries), never for the key or the attributes it leaves alone, so at a short key the ceiling sits
# a few bytes under 400 KB. The figures are DynamoDB's as paritysuite/dynamodb-conformance bisected
# them in 22 of 33 Regions, us-east-1 among them (tests/tier3/limits/itemSizeBySurface.test.ts);
# TransactWriteItems, PartiQL and AttributeUpdates measure the finished item alone.
_UPDATE_BASE = 3
_WRITE_CLAUSE = 19  # SET and ADD: plus the target and what is written
_REMOVE_CLAUSE = 1  # REMOVE and DELETE: plus the target
_FUNCTION_COST = {"+": 34, "-": 37, "if_not_exists": 39, "list_append": 37}


def _element_bytes(element: str | int) -> int:
    return len(str(element)) if isinstance(element, int) else len(element.encode("utf-8"))


def _target_cost(path: tuple) -> int:
    first, *rest = path
    return _element_bytes(first) + sum(4 + _element_bytes(element) for element in rest)


def _operand_cost(node: tuple) -> int:
    kind = node[0]
    if kind == "value":
        return value_size(node[1])
    if kind == "path":
        return 1 + sum(14 + _element_bytes(element) for element in node[1])
    return _FUNCTION_COST[kind] + _operand_cost(node[1]) + _operand_cost(node[2])


def statement_charge(clauses: dict[str, list]) -> int:
    """What an UpdateExpression's clauses cost, by the rules above."""
    charge = _UPDATE_BASE
    for target, value in clauses.get("SET", ()):
        charge += _WRITE_CLAUSE + _target_cost(target[1]) + _operand_cost(value)
    for target, value in clauses.get("ADD", ()):
        charge += _WRITE_CLAUSE + _target_cost(target[1]) + value_size(value[1])
    for target in clauses.get("REMOVE", ()):
        charge += _REMOVE_CLAUSE + _target_cost(target[1])
    for target, _ in clauses.get("DELETE", ()):
        charge += _REMOVE_CLAUSE + _target_cost(target[1])
    return charge
