"""ProjectionExpression: keeps only the named document paths, preserving their structure."""

from __future__ import annotations

from overcast.services.dynamodb.expressions.evaluator import resolve


def project(item: dict, paths: list[tuple]) -> dict:
    result: dict = {}
    for path in paths:
        value = resolve(item, path)
        if value is None:
            continue
        _place(result, item, path, value)
    return _finish(result)


def _place(result: dict, item: dict, path: tuple, value: dict) -> None:
    # Build the skeleton in a mutable form: lists are dicts keyed by index until _finish.
    if len(path) == 1:
        result[path[0]] = value
        return
    container = result.setdefault(path[0], {"__proj__": {}})
    for element in path[1:-1]:
        container = container["__proj__"].setdefault(element, {"__proj__": {}})
    container["__proj__"][path[-1]] = value


def _finish(node: dict) -> dict:
    out = {}
    for name, value in node.items():
        out[name] = _finish_value(value)
    return out


def _finish_value(value: dict) -> dict:
    children = value.get("__proj__") if isinstance(value, dict) else None
    if children is None:
        return value
    if all(isinstance(k, int) for k in children):
        return {"L": [_finish_value(children[k]) for k in sorted(children)]}
    return {"M": {k: _finish_value(v) for k, v in children.items() if isinstance(k, str)}}
