"""The pre-expression parameters (Expected, KeyConditions, QueryFilter, ScanFilter,
AttributeUpdates, ConditionalOperator) translated into the same ASTs the expressions produce."""

from __future__ import annotations

from overcast.services.dynamodb.errors import InvalidRequest, ValidationException
from overcast.services.dynamodb.keys import encode_key_value
from overcast.services.dynamodb.types import validate_value

_ARITY = {"EQ": 1, "NE": 1, "LE": 1, "LT": 1, "GE": 1, "GT": 1, "NOT_NULL": 0, "NULL": 0,
          "CONTAINS": 1, "NOT_CONTAINS": 1, "BEGINS_WITH": 1, "BETWEEN": 2}
_CMP = {"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}
_ENUM = "[IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"
_INVALID = "One or more parameter values were invalid: "
# The argument types DynamoDB accepts per operator in KeyConditions, QueryFilter and ScanFilter
# (Expected is not checked this way). Ordering operators take scalars only; the CONTAINS pair
# refuses sets and documents. Only what dynalite's suite checked against DynamoDB is refused.
_SCALARS = frozenset(("S", "N", "B"))
_ALLOWED_TYPES = {"LT": _SCALARS, "LE": _SCALARS, "GT": _SCALARS, "GE": _SCALARS, "IN": _SCALARS,
                  "BETWEEN": _SCALARS, "BEGINS_WITH": frozenset(("S", "B"))}
_REFUSED_TYPES = {"CONTAINS": frozenset(("SS", "NS", "BS", "M", "L")),
                  "NOT_CONTAINS": frozenset(("SS", "NS", "BS", "M", "L"))}


def _value(v: dict) -> tuple:
    return ("value", validate_value(v), "")


def _kind(value: dict) -> str:
    return next(iter(value)) if isinstance(value, dict) and value else ""


def check_operator(name: str, op: str | None, member: str) -> str:
    """ComparisonOperator present and in the enum (the message names the member's path)."""
    if op is None:
        raise ValidationException(
            f"1 validation error detected: Value null at '{member}.{name}.member.comparisonOperator' "
            "failed to satisfy constraint: Member must not be null")
    if op != "IN" and op not in _ARITY:
        raise ValidationException(
            f"1 validation error detected: Value '{op}' at '{member}.{name}.member.comparisonOperator' "
            f"failed to satisfy constraint: Member must satisfy enum value set: {_ENUM}")
    return op


def _check_values(op: str, values: list, check_types: bool) -> list[dict]:
    if (op == "IN" and not values) or (op != "IN" and len(values) != _ARITY[op]):
        raise InvalidRequest(f"{_INVALID}Invalid number of argument(s) for the {op} ComparisonOperator")
    checked = [validate_value(v) for v in values]
    kinds = [_kind(v) for v in checked]
    if any(kind != kinds[0] for kind in kinds):
        raise InvalidRequest(f"{_INVALID}AttributeValues inside AttributeValueList must be of same type")
    if check_types:
        allowed, refused = _ALLOWED_TYPES.get(op), _REFUSED_TYPES.get(op, frozenset())
        for kind in kinds:
            if (allowed is not None and kind not in allowed) or kind in refused:
                raise InvalidRequest(f"{_INVALID}ComparisonOperator {op} is not valid for {kind} AttributeValue type")
    if op == "BETWEEN" and kinds[0] in _SCALARS and encode_key_value(checked[0]) > encode_key_value(checked[1]):
        raise ValidationException(
            "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound")
    return checked


def checked_condition(name: str, spec: dict, member: str, check_types: bool = True,
                      values: list | None = None) -> tuple[str, list[dict]]:
    """A legacy Condition's operator and its validated values. `member` names the parameter in
    DynamoDB's messages (keyConditions, queryFilter, scanFilter, expected)."""
    op = check_operator(name, spec.get("ComparisonOperator"), member)
    if values is None:
        values = spec.get("AttributeValueList") or []
    return op, _check_values(op, values, check_types)


def condition_to_ast(name: str, spec: dict, member: str = "queryFilter", check_types: bool = True,
                     values: list | None = None) -> tuple:
    """One legacy Condition as an expression AST."""
    op, checked = checked_condition(name, spec, member, check_types, values)
    path = ("path", (name,))
    operands = [("value", v, "") for v in checked]
    if op == "IN":
        return ("in", path, tuple(operands))
    if op in _CMP:
        # Legacy NE, like the expression form, is satisfied by a missing attribute.
        return ("cmp", _CMP[op], path, operands[0])
    if op == "NULL":
        return ("func", "attribute_not_exists", (path,))
    if op == "NOT_NULL":
        return ("func", "attribute_exists", (path,))
    if op == "CONTAINS":
        return ("func", "contains", (path, operands[0]))
    if op == "NOT_CONTAINS":
        return ("not", ("func", "contains", (path, operands[0])))
    if op == "BEGINS_WITH":
        return ("func", "begins_with", (path, operands[0]))
    return ("between", path, operands[0], operands[1])


def _combine(nodes: list[tuple], operator: str | None) -> tuple | None:
    if not nodes:
        return None
    joined = nodes[0]
    word = "or" if (operator or "AND").upper() == "OR" else "and"
    for node in nodes[1:]:
        joined = (word, joined, node)
    return joined


def expected_to_ast(expected: dict, operator: str | None) -> tuple | None:
    """Expected as DynamoDB reads it: a ComparisonOperator with a Value or an AttributeValueList
    (never both), or Exists/Value without one."""
    nodes = []
    for name, spec in expected.items():
        if "AttributeValueList" in spec and "Value" in spec:
            raise InvalidRequest(f"{_INVALID}Value and AttributeValueList cannot be used together for Attribute: {name}")
        if "ComparisonOperator" in spec:
            if "Exists" in spec:
                raise InvalidRequest(f"{_INVALID}Exists and ComparisonOperator cannot be used together for Attribute: {name}")
            op = check_operator(name, spec["ComparisonOperator"], "expected")
            if op not in ("NULL", "NOT_NULL") and "AttributeValueList" not in spec and "Value" not in spec:
                raise InvalidRequest(
                    f"{_INVALID}Value or AttributeValueList must be used with ComparisonOperator: {op} for Attribute: {name}")
            values = spec.get("AttributeValueList") or ([spec["Value"]] if spec.get("Value") is not None else [])
            nodes.append(condition_to_ast(name, spec, "expected", check_types=False, values=values))
            continue
        if "AttributeValueList" in spec:
            raise InvalidRequest(f"{_INVALID}AttributeValueList can only be used with a ComparisonOperator for Attribute: {name}")
        exists = spec.get("Exists")
        if exists is False:
            if spec.get("Value") is not None:
                raise InvalidRequest(f"{_INVALID}Value cannot be used when Exists is false for Attribute: {name}")
            nodes.append(("func", "attribute_not_exists", (("path", (name,)),)))
        elif spec.get("Value") is None:
            shown = "null" if exists is None else "true"
            raise InvalidRequest(f"{_INVALID}Value must be provided when Exists is {shown} for Attribute: {name}")
        else:
            nodes.append(("cmp", "=", ("path", (name,)), _value(spec["Value"])))
    return _combine(nodes, operator)


def filter_to_ast(conditions: dict, operator: str | None, member: str) -> tuple | None:
    """QueryFilter or ScanFilter (`member`: queryFilter, scanFilter) as one AST."""
    return _combine([condition_to_ast(name, spec, member) for name, spec in conditions.items()], operator)


def attribute_updates_to_clauses(updates: dict, key_names: tuple[str, ...]) -> dict[str, list]:
    clauses: dict[str, list] = {}
    for name, spec in updates.items():
        if name in key_names:
            raise ValidationException(
                f"One or more parameter values were invalid: Cannot update attribute {name}. This attribute is part of the key")
        action = spec.get("Action") or "PUT"
        if action not in ("PUT", "ADD", "DELETE"):
            # The model's enum constraint, case and all (a lowercase 'put' is refused too).
            raise ValidationException(
                f"1 validation error detected: Value '{action}' at 'attributeUpdates.{name}.member.action' "
                "failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]")
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
                operand = _value(value)
                # Refused with the request, before any condition is evaluated (dynalite's suite).
                if _kind(operand[1]) not in ("SS", "NS", "BS"):
                    raise ValidationException(
                        f"{_INVALID}DELETE action with value is not supported for the type {_kind(operand[1])}")
                clauses.setdefault("DELETE", []).append((path, operand))
        elif action == "ADD":
            if value is None:
                raise ValidationException(
                    "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified")
            operand = _value(value)
            if _kind(operand[1]) not in ("N", "SS", "NS", "BS", "L"):
                raise ValidationException(f"{_INVALID}ADD action is not supported for the type {_kind(operand[1])}")
            clauses.setdefault("ADD", []).append((path, operand))
    return clauses
