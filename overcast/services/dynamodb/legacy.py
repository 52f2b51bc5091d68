"""The pre-expression parameters (Expected, KeyConditions, QueryFilter, ScanFilter,
AttributeUpdates, ConditionalOperator) translated into the same ASTs the expressions produce."""

from __future__ import annotations

from overcast.services.dynamodb.errors import ValidationException
from overcast.services.dynamodb.types import validate_value

_ARITY = {"EQ": 1, "NE": 1, "LE": 1, "LT": 1, "GE": 1, "GT": 1, "NOT_NULL": 0, "NULL": 0,
          "CONTAINS": 1, "NOT_CONTAINS": 1, "BEGINS_WITH": 1, "BETWEEN": 2}
_CMP = {"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}


def _value(v: dict) -> tuple:
    return ("value", validate_value(v), "")


def condition_to_ast(name: str, spec: dict) -> tuple:
    op = spec.get("ComparisonOperator")
    values = spec.get("AttributeValueList") or []
    path = ("path", (name,))
    if op == "IN":
        if not values:
            raise ValidationException(
                "One or more parameter values were invalid: Invalid number of argument(s) for the IN ComparisonOperator")
        return ("in", path, tuple(_value(v) for v in values))
    if op not in _ARITY:
        raise ValidationException(
            f"1 validation error detected: Value '{op}' at 'comparisonOperator' failed to satisfy constraint: "
            "Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]")
    if len(values) != _ARITY[op]:
        raise ValidationException(
            f"One or more parameter values were invalid: Invalid number of argument(s) for the {op} ComparisonOperator")
    if op in _CMP:
        # Legacy NE, like the expression form, is satisfied by a missing attribute.
        return ("cmp", _CMP[op], path, _value(values[0]))
    if op == "NULL":
        return ("func", "attribute_not_exists", (path,))
    if op == "NOT_NULL":
        return ("func", "attribute_exists", (path,))
    if op == "CONTAINS":
        return ("func", "contains", (path, _value(values[0])))
    if op == "NOT_CONTAINS":
        return ("not", ("func", "contains", (path, _value(values[0]))))
    if op == "BEGINS_WITH":
        return ("func", "begins_with", (path, _value(values[0])))
    return ("between", path, _value(values[0]), _value(values[1]))


def _combine(nodes: list[tuple], operator: str | None) -> tuple | None:
    if not nodes:
        return None
    joined = nodes[0]
    word = "or" if (operator or "AND").upper() == "OR" else "and"
    for node in nodes[1:]:
        joined = (word, joined, node)
    return joined


def expected_to_ast(expected: dict, operator: str | None) -> tuple | None:
    nodes = []
    for name, spec in expected.items():
        if "ComparisonOperator" in spec:
            if "Value" in spec:
                raise ValidationException(
                    "One or more parameter values were invalid: Value and AttributeValueList cannot be used together for Attribute: " + name)
            nodes.append(condition_to_ast(name, spec))
            continue
        exists = spec.get("Exists", True)
        if "Value" in spec:
            if exists is False:
                raise ValidationException(
                    f"One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: {name}")
            nodes.append(("cmp", "=", ("path", (name,)), _value(spec["Value"])))
        elif exists is False:
            nodes.append(("func", "attribute_not_exists", (("path", (name,)),)))
        else:
            raise ValidationException(
                f"One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: {name}")
    return _combine(nodes, operator)


def filter_to_ast(conditions: dict, operator: str | None) -> tuple | None:
    return _combine([condition_to_ast(name, spec) for name, spec in conditions.items()], operator)


def attribute_updates_to_clauses(updates: dict, key_names: tuple[str, ...]) -> dict[str, list]:
    clauses: dict[str, list] = {}
    for name, spec in updates.items():
        if name in key_names:
            raise ValidationException(
                f"One or more parameter values were invalid: Cannot update attribute {name}. This attribute is part of the key")
        action = (spec.get("Action") or "PUT").upper()
        path = ("path", (name,))
        value = spec.get("Value")
        if action == "PUT":
            if value is None:
                raise ValidationException(
                    "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified")
            clauses.setdefault("SET", []).append((path, _value(value)))
        elif action == "DELETE":
            if value is None:
                clauses.setdefault("REMOVE", []).append(path)
            else:
                clauses.setdefault("DELETE", []).append((path, _value(value)))
        elif action == "ADD":
            if value is None:
                raise ValidationException(
                    "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified")
            clauses.setdefault("ADD", []).append((path, _value(value)))
    return clauses
