"""Evaluates condition and filter ASTs against an item (DynamoDB's semantics)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from overcast.services.dynamodb.types import compare_scalars, values_equal

_MISSING = None


def resolve(item: dict[str, Any] | None, path: tuple) -> dict | None:
    """The AttributeValue at a document path, or None when any step is missing."""
    if item is None:
        return None
    first = path[0]
    if not isinstance(first, str):
        return None
    current = item.get(first)
    for element in path[1:]:
        if current is None:
            return None
        if isinstance(element, int):
            items = current.get("L")
            if items is None or element >= len(items):
                return None
            current = items[element]
        else:
            entries = current.get("M")
            if entries is None:
                return None
            current = entries.get(element)
    return current


def operand_value(item: dict | None, node: tuple) -> dict | None:
    kind = node[0]
    if kind == "value":
        return node[1]
    if kind == "path":
        return resolve(item, node[1])
    if kind == "size":
        return size_of(resolve(item, node[1][1]))
    raise AssertionError(kind)


def size_of(value: dict | None) -> dict | None:
    if value is None:
        return None
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return {"N": str(len(inner))}
    if kind in ("B", "SS", "NS", "BS", "L", "M"):
        return {"N": str(len(inner))}
    return None


def evaluate(node: tuple, item: dict | None) -> bool:
    kind = node[0]
    if kind == "and":
        return evaluate(node[1], item) and evaluate(node[2], item)
    if kind == "or":
        return evaluate(node[1], item) or evaluate(node[2], item)
    if kind == "not":
        return not evaluate(node[1], item)
    if kind == "cmp":
        return compare(node[1], operand_value(item, node[2]), operand_value(item, node[3]))
    if kind == "between":
        x = operand_value(item, node[1])
        low = operand_value(item, node[2])
        high = operand_value(item, node[3])
        if x is None or low is None or high is None:
            return False
        a = compare_scalars(x, low)
        b = compare_scalars(x, high)
        return a is not None and b is not None and a >= 0 and b <= 0
    if kind == "in":
        x = operand_value(item, node[1])
        return x is not None and any(values_equal(x, operand_value(item, o)) for o in node[2])
    if kind == "func":
        return call(node[1], node[2], item)
    raise AssertionError(kind)


def compare(op: str, a: dict | None, b: dict | None) -> bool:
    if op == "=":
        return values_equal(a, b)
    if op == "<>":
        # A missing operand is unequal to everything, even to another missing operand.
        if a is None or b is None:
            return True
        return not values_equal(a, b)
    if a is None or b is None:
        return False
    order = compare_scalars(a, b)
    if order is None:
        return False
    if op == "<":
        return order < 0
    if op == "<=":
        return order <= 0
    if op == ">":
        return order > 0
    return order >= 0


def call(name: str, args: tuple, item: dict | None) -> bool:
    target = operand_value(item, args[0])
    if name == "attribute_exists":
        return target is not None
    if name == "attribute_not_exists":
        return target is None
    if target is None:
        return False
    other = operand_value(item, args[1])
    if other is None:
        return False
    if name == "attribute_type":
        return other.get("S") == next(iter(target))
    kind, inner = next(iter(target.items()))
    other_kind, other_inner = next(iter(other.items()))
    if name == "begins_with":
        return kind == other_kind and kind in ("S", "B") and inner.startswith(other_inner)
    if name == "contains":
        if kind == "S" and other_kind == "S":
            return other_inner in inner
        if kind == "B" and other_kind == "B":
            return other_inner in inner
        if kind in ("SS", "BS") and other_kind == kind[0]:
            return other_inner in inner
        if kind == "NS" and other_kind == "N":
            return Decimal(other_inner) in {Decimal(n) for n in inner}
        if kind == "L":
            return any(values_equal(element, other) for element in inner)
        return False
    raise AssertionError(name)
