"""Turns a KeyConditionExpression (or legacy KeyConditions) into a partition and a byte range."""

from __future__ import annotations

from dataclasses import dataclass

from overcast.services.dynamodb import legacy
from overcast.services.dynamodb.errors import ValidationException, invalid
from overcast.services.dynamodb.expressions.parser import ExpressionContext, parse_condition
from overcast.services.dynamodb.keys import COMPONENT_END, encode_key_tuple, encode_key_value, key_component
from overcast.services.dynamodb.models import MAX_KEY_ATTRIBUTES_OF_A_KIND
from overcast.services.dynamodb.types import unordered_operand

_LABEL = "KeyConditionExpression"
_INVALID = "Invalid KeyConditionExpression: "


def _check_ordered_operands(node: tuple, values: list[dict]) -> None:
    """An ordering comparison or BETWEEN takes ordered values only, the operator named as written
    (paritysuite/dynamodb-conformance, queryKeyConditionOperands.test.ts)."""
    operator = "BETWEEN" if node[0] == "between" else node[1] if node[0] == "cmp" else None
    if operator in ("<", "<=", ">", ">=", "BETWEEN"):
        message = unordered_operand(operator, values)
        if message is not None:
            raise ValidationException(_INVALID + message)


@dataclass
class KeyRange:
    partition: bytes
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


Span = tuple[bytes | None, bool, bytes | None, bool]  # low, low included, high, high included; None: open


def sort_key_span(op: str, encoded: list[bytes]) -> Span:
    """The encoded sort keys one condition selects (=, <, <=, >, >=, BETWEEN, begins_with);
    Query's key range and PartiQL's overlap check read conditions the same way."""
    if op == "=":
        return encoded[0], True, encoded[0], True
    if op == "<":
        return None, True, encoded[0], False
    if op == "<=":
        return None, True, encoded[0], True
    if op == ">":
        return encoded[0], False, None, True
    if op == ">=":
        return encoded[0], True, None, True
    if op == "BETWEEN":
        return encoded[0], True, encoded[1], True
    end = _prefix_end(encoded[0])  # begins_with
    return encoded[0], True, end, end is None


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


# Legacy KeyConditions operators and their expression forms; the rest cannot use an index.
_LEGACY_KEY_OPERATORS = {"EQ": "=", "LT": "<", "LE": "<=", "GT": ">", "GE": ">=", "BETWEEN": "BETWEEN",
                         "BEGINS_WITH": "begins_with"}


@dataclass
class KeyCondition:
    op: str  # =, <, <=, >, >=, BETWEEN, begins_with; or a legacy operator no index can serve
    values: list[dict]


def read_key_conditions(params: dict, ctx: ExpressionContext) -> dict[str, KeyCondition]:
    """The key conditions by attribute, checked as far as DynamoDB checks them before it looks
    the table up (operators, operand types, nesting, one condition per key; for the legacy
    KeyConditions, one or two conditions: an expression's count is judged against the schema in
    key_range)."""
    text = params.get("KeyConditionExpression")
    conditions: dict[str, KeyCondition] = {}
    if text is not None:
        nodes: list[tuple] = []
        _flatten(parse_condition(text, _LABEL, ctx), nodes)
        for node in nodes:
            name, op, values = _split(node)
            _check_ordered_operands(node, values)
            if name in conditions:
                raise ValidationException(_INVALID + "KeyConditionExpressions must only contain one condition per key")
            conditions[name] = KeyCondition(op, values)
        return conditions
    if params.get("KeyConditions") is not None:
        for name, spec in params["KeyConditions"].items():
            op, values = legacy.checked_condition(name, spec, "keyConditions")
            conditions[name] = KeyCondition(_LEGACY_KEY_OPERATORS.get(op, op), values)
    else:
        raise ValidationException("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
    # Refused before the table is looked up (dynalite's suite, recorded against DynamoDB). More
    # than two can be right only on a multi-attribute global index: key_range judges those.
    most = 2 * MAX_KEY_ATTRIBUTES_OF_A_KIND if params.get("IndexName") is not None else 2
    if not conditions or len(conditions) > most:
        raise ValidationException("Conditions can be of length 1 or 2 only")
    return conditions


def key_range(conditions: dict[str, KeyCondition], hash_keys: tuple[str, ...], range_keys: tuple[str, ...],
              types: dict[str, str], start: dict | None, legacy_form: bool = False) -> KeyRange:
    """The partition and sort-key range the conditions select on the queried key schema (a
    multi-attribute index's too: every HASH attribute by equality, RANGE attributes as a prefix).
    The starting key's parts on that schema are checked in the same walk, key by key, as DynamoDB
    checks them (so a starting key's hash is judged before a missing range condition)."""
    key_names = hash_keys + range_keys
    if legacy_form and len(conditions) > 2 and len(key_names) <= 2:
        raise ValidationException("Conditions can be of length 1 or 2 only")
    # Past two conditions, DynamoDB counts them against the schema's key attributes (two on a
    # hash-only key stay "Query key condition not supported", below).
    if len(conditions) > max(2, len(key_names)):
        raise ValidationException(f"The number of query conditions ({len(conditions)}) exceeds the number of key "
                                  f"attributes defined in the schema ({len(key_names)})")
    lacking_hash: list[str] = []  # of a multi-attribute partition key: absent, or not by equality
    for position, name in enumerate(key_names):
        is_hash = position < len(hash_keys)
        if start is not None:
            if name not in start:
                raise ValidationException("The provided starting key is invalid")
            if types[name] not in start[name]:
                raise ValidationException("The provided starting key is invalid: The provided key element does not match the schema")
        if is_hash and not range_keys and len(conditions) > len(hash_keys):
            raise ValidationException("Query key condition not supported")
        if position == len(hash_keys) and lacking_hash:
            _refuse_lacking(lacking_hash, "HASH")
        condition = conditions.get(name)
        if condition is None:
            if is_hash and len(hash_keys) > 1:
                lacking_hash.append(name)
            # A condition beside the hash that names no key attribute names the first one missed.
            elif is_hash or len(conditions) > len(hash_keys) + sum(n in conditions for n in range_keys):
                raise ValidationException(f"Query condition missed key schema element: {name}")
            continue
        if condition.op not in _LEGACY_KEY_OPERATORS.values():
            raise ValidationException("Attempted conditional constraint is not an indexable operation")
        if any(types[name] not in value for value in condition.values):
            raise invalid("Condition parameter type does not match schema type")
        if is_hash and condition.op != "=":
            if len(hash_keys) == 1:
                raise ValidationException("Query key condition not supported")
            lacking_hash.append(name)
    if lacking_hash:
        _refuse_lacking(lacking_hash, "HASH")
    named = [name for name in range_keys if name in conditions]
    if named:
        last = named[-1]
        lacking = [name for name in range_keys[:range_keys.index(last)]
                   if name not in conditions or conditions[name].op != "="]
        if lacking:
            _refuse_lacking(lacking, "RANGE", last)
    result = KeyRange(encode_key_tuple([conditions[name].values[0] for name in hash_keys]))
    if named:
        condition = conditions[named[-1]]
        op, values = condition.op, condition.values
        encoded = [encode_key_value(v) for v in values]
        if op == "BETWEEN" and encoded[0] > encoded[1]:  # the legacy form was refused before, with its own message
            raise ValidationException(
                _INVALID + "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
                f"lower bound operand: AttributeValue: {_show(values[0])}, upper bound operand: AttributeValue: {_show(values[1])}")
        if op == "begins_with" and types[named[-1]] == "N":
            raise ValidationException(
                _INVALID + "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N")
        if len(range_keys) == 1:
            span = sort_key_span(op, encoded)
        else:
            prefix = b"".join(key_component(encode_key_value(conditions[name].values[0])) + COMPONENT_END
                              for name in named[:-1])
            span = _composite_span(prefix, op, encoded)
        result.low, result.low_inclusive, result.high, result.high_inclusive = span
    return result


def _refuse_lacking(names: list[str], kind: str, later: str | None = None) -> None:
    """A multi-attribute key's attributes that need an equality and lack one. The RANGE wording is
    recorded against DynamoDB (paritysuite multiAttributeGsiKey); for HASH attributes only that
    it names HASH and equality is (ScyllaDB's test_gsi_composite_keys, run against DynamoDB)."""
    message = f"{kind} key attributes {', '.join(names)} must have equality conditions specified in the query"
    if later is not None:
        message += f" because a condition is present on key attribute {later}"
    raise ValidationException(message)


def _composite_span(prefix: bytes, op: str, encoded: list[bytes]) -> Span:
    """The multi-attribute sort keys that start with `prefix` (the equalities before the last
    RANGE attribute named, each a whole component) and whose next component meets `op`."""
    def whole(value: bytes) -> bytes:
        return prefix + key_component(value) + COMPONENT_END

    def starting_with(head: bytes) -> Span:
        return head, True, _prefix_end(head), False

    if op == "=":
        return starting_with(whole(encoded[0]))
    if op == "begins_with":
        return starting_with(prefix + key_component(encoded[0]))
    inside = _prefix_end(prefix)  # None: the RANGE attributes are open above
    if op == "<":
        return prefix or None, True, whole(encoded[0]), False
    if op == "<=":
        return prefix or None, True, _prefix_end(whole(encoded[0])), False
    if op == ">":
        return _prefix_end(whole(encoded[0])), True, inside, False
    if op == ">=":
        return whole(encoded[0]), True, inside, False
    return whole(encoded[0]), True, _prefix_end(whole(encoded[1])), False  # BETWEEN


def check_start_within(key_range_: KeyRange, hash_keys: tuple[str, ...], range_keys: tuple[str, ...],
                       has_range_condition: bool, start: dict) -> None:
    """A starting key must lie inside what the key conditions select (DynamoDB's messages; with a
    sort-key condition the sort key is judged first)."""
    same_partition = encode_key_tuple([start[name] for name in hash_keys]) == key_range_.partition
    if not has_range_condition:
        if not same_partition:
            raise ValidationException("The provided starting key is outside query boundaries based on provided conditions")
        return
    value = encode_key_tuple([start[name] for name in range_keys])
    low, high = key_range_.low, key_range_.high
    if (low is not None and (value < low or (value == low and not key_range_.low_inclusive))) or \
            (high is not None and (value > high or (value == high and not key_range_.high_inclusive))):
        raise ValidationException("The provided starting key does not match the range key predicate")
    if not same_partition:
        raise ValidationException("The query can return at most one row and cannot be restarted")


def _show(value: dict) -> str:
    kind, inner = next(iter(value.items()))
    return f"{{{kind}:{inner}}}"
