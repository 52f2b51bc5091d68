"""Patch operations (op, path, value, from) as API Gateway interprets them.

Paths are JSON-pointer-like with `~1` standing for `/` inside a segment
(`/requestTemplates/application~1json`). Values always travel as strings and are converted by
what the field is: a boolean field takes "true"/"false", a number field a numeral. A map field
takes `/field/key`; a list field takes `add`/`remove` of `/field/item` (binaryMediaTypes);
an object field takes `/field/member` (throttle/rateLimit).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from overcast.services.apigateway.errors import BadRequest, enum_problem, validation_failed

# A field's kind: "str", "bool", "int", "float", "json" (a string holding JSON kept as text),
# ("map", value kind), ("list", item kind) or ("object", {member: kind}).
FieldKind = Any
Spec = dict[str, FieldKind]
# Handles a path the spec does not know; returns True when it did.
Custom = Callable[[dict[str, Any], str, list[str], Any], bool]


def unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def split_path(path: str) -> list[str]:
    if not path.startswith("/"):
        raise BadRequest(f"Invalid patch path {path}")
    return [unescape(s) for s in path[1:].split("/")]


def coerce(kind: FieldKind, value: Any, path: str) -> Any:
    if value is None:
        return None
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text not in ("true", "false"):
            raise BadRequest(f"Invalid boolean value '{value}' for path {path}")
        return text == "true"
    if kind == "int":
        try:
            return int(value)
        except (TypeError, ValueError):
            raise BadRequest(f"Invalid numeric value '{value}' for path {path}") from None
    if kind == "float":
        try:
            return float(value)
        except (TypeError, ValueError):
            raise BadRequest(f"Invalid numeric value '{value}' for path {path}") from None
    return value


def _invalid(op: str, path: str, spec: Spec) -> BadRequest:
    allowed = ", ".join(f"/{name}" for name in spec)
    return BadRequest(f"Invalid patch path '{path}' specified for op '{op}'. Must be one of: [{allowed}]")


OPS = ("add", "remove", "move", "test", "replace", "copy")


def op_problems(operations: list[dict[str, Any]] | None, input_shape: str) -> list[str]:
    """AWS validates every op against its enum before anything else and names each bad one:
    'Value 'x' at 'updateRestApiInput.patchOperations.1.member.op' ...' (ValidationException)."""
    return [enum_problem(operation.get("op"), f"{input_shape}.patchOperations.{index}.member.op", ", ".join(OPS))
            for index, operation in enumerate(operations or [], start=1) if operation.get("op") not in OPS]


def check_ops(operations: list[dict[str, Any]] | None, input_shape: str) -> None:
    problems = op_problems(operations, input_shape)
    if problems:
        raise validation_failed(*problems)


def check_replace_only(operations: list[dict[str, Any]] | None, allowed: list[str]) -> None:
    """Resources, models and request validators take only `replace` of a few fields; AWS answers
    other ops and unknown paths with these messages (two spaces after 'path' are AWS's)."""
    for operation in operations or []:
        op, path = operation.get("op"), operation.get("path")
        if op != "replace":
            raise BadRequest(f"Invalid patch path  '{path}' specified for op '{op}'. Please choose supported operations")
        if path not in allowed:
            raise BadRequest(f"Invalid patch path  '{path}' specified for op '{op}'. Must be one of: [{', '.join(allowed)}]")


def apply_patch(doc: dict[str, Any], operations: list[dict[str, Any]] | None, spec: Spec,
                custom: Custom | None = None, input_shape: str | None = None) -> dict[str, Any]:
    """Apply all operations or none: AWS rejects a patch whole, so the changes are made on a copy
    that replaces `doc`'s contents only when every operation succeeded."""
    if input_shape is not None:
        check_ops(operations, input_shape)
    work = copy.deepcopy(doc)
    _apply_all(work, operations, spec, custom)
    doc.clear()
    doc.update(work)
    return doc


def _apply_all(doc: dict[str, Any], operations: list[dict[str, Any]] | None, spec: Spec,
               custom: Custom | None) -> None:
    for operation in operations or []:
        op = operation.get("op", "")
        path = operation.get("path", "")
        value = operation.get("value")
        if op not in ("add", "remove", "replace", "move", "copy", "test"):
            raise BadRequest("Invalid patch operation specified. Must be 'add'|'remove'|'replace'|'move'|'copy'|'test'")
        segments = split_path(path)
        if custom is not None and custom(doc, op, segments, operation):
            continue
        if op == "test":
            continue
        if op in ("copy", "move"):
            source = split_path(operation.get("from") or "")
            value = _get(doc, source)
            if value is None:
                raise BadRequest(f"Invalid patch path {operation.get('from')}")
            if op == "move":
                _apply(doc, "remove", source, None, spec, operation.get("from") or "")
            op = "add"
        _apply(doc, op, segments, value, spec, path)


def _get(doc: dict[str, Any], segments: list[str]) -> Any:
    cur: Any = doc
    for seg in segments:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(seg)
    return cur


def _member_dict(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """doc[name] as a dict to change in place, made when absent (or present as null)."""
    target = doc.get(name)
    if target is None:
        target = doc[name] = {}
    return target


def _apply(doc: dict[str, Any], op: str, segments: list[str], value: Any, spec: Spec, path: str) -> None:
    name = segments[0]
    if name not in spec:
        raise _invalid(op, path, spec)
    kind = spec[name]
    rest = segments[1:]
    if isinstance(kind, tuple):
        container, inner = kind
        if not rest and container != "list":
            # A whole map or object can only be removed through its own path.
            if op != "remove":
                raise _invalid(op, path, spec)
            doc.pop(name, None)
            return
        if container == "map":
            key = "/".join(rest)
            target = _member_dict(doc, name)
            if op == "remove":
                if key not in target:
                    raise BadRequest(f"Invalid patch path {path}")
                target.pop(key)
            else:
                target[key] = coerce(inner, value, path)
            return
        if container == "list":
            items = doc.get(name) or []
            if not rest:
                if op == "remove":
                    doc.pop(name, None)
                elif op == "add" and value is not None:
                    items.append(coerce(inner, value, path))
                    doc[name] = items
                else:
                    raise _invalid(op, path, spec)
                return
            item = "/".join(rest)
            if op == "add":
                if item not in items:
                    items.append(coerce(inner, item, path))
            elif op == "remove":
                if item in items:
                    items.remove(item)
            elif op == "replace":
                items = [coerce(inner, value, path) if x == item else x for x in items]
            doc[name] = items
            return
        if container == "object":
            member = rest[0]
            if member not in inner:
                raise _invalid(op, path, {f"{name}/{m}": k for m, k in inner.items()})
            target = _member_dict(doc, name)
            if op == "remove":
                target.pop(member, None)
            else:
                target[member] = coerce(inner[member], value, path)
            return
    if rest:
        raise _invalid(op, path, spec)
    if op == "remove":
        doc.pop(name, None)
    else:
        doc[name] = coerce(kind, value, path)
