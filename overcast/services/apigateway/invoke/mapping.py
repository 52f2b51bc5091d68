"""Parameter mappings (`integration.request.header.x` <- `method.request.querystring.y`, ...),
template selection by content type, and the variables templates see."""

from __future__ import annotations

import json
from typing import Any

from overcast.services.apigateway.invoke.jsonpath import evaluate_path


def resolve_source(expression: str, sources: dict[str, Any]) -> Any:
    """The value a mapping expression names, or None.

    `sources` holds "method.request" -> {path, querystring, header, multivaluequerystring,
    multivalueheader, body}, "integration.response" -> {header, multivalueheader, body},
    "context" and "stageVariables".
    """
    if len(expression) >= 2 and expression[0] == "'" and expression[-1] == "'":
        return expression[1:-1]
    for prefix in ("method.request.", "integration.response."):
        if expression.startswith(prefix):
            request = sources.get(prefix[:-1]) or {}
            location, _, name = expression[len(prefix):].partition(".")
            if location == "body":
                body = request.get("body") or ""
                if not name:
                    return body
                try:
                    found, value = evaluate_path(json.loads(body), "$." + name if not name.startswith("$") else name)
                except ValueError:
                    return None
                if not found:
                    return None
                return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
            values = request.get(location) or {}
            if location in ("header", "multivalueheader"):
                lowered = name.lower()
                for key, value in values.items():
                    if key.lower() == lowered:
                        return ",".join(value) if isinstance(value, list) else value
                return None
            value = values.get(name)
            return ",".join(value) if isinstance(value, list) else value
    if expression.startswith("context."):
        node: Any = sources.get("context") or {}
        for part in expression[len("context."):].split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return None if node is None else str(node)
    if expression.startswith("stageVariables."):
        return (sources.get("stageVariables") or {}).get(expression[len("stageVariables."):])
    return None


def apply_mappings(mappings: dict[str, str] | None, prefix: str, sources: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Targets under `prefix` (e.g. "integration.request.") grouped by location: {"header": {...}}."""
    out: dict[str, dict[str, str]] = {}
    for target, expression in (mappings or {}).items():
        if not target.startswith(prefix):
            continue
        location, _, name = target[len(prefix):].partition(".")
        value = resolve_source(expression, sources)
        if value is not None:
            out.setdefault(location, {})[name] = str(value)
    return out


def select_template(templates: dict[str, str] | None, content_type: str | None) -> tuple[str | None, str | None]:
    """(content type, template) chosen for a request's Content-Type (application/json when none)."""
    if not templates:
        return None, None
    wanted = (content_type or "application/json").split(";")[0].strip().lower()
    for key, template in templates.items():
        if key.lower() == wanted:
            return key, template
    return None, None


def select_response_template(templates: dict[str, str] | None, accept: str | None) -> tuple[str | None, str | None]:
    """The integration response template: the Accept header's type, else application/json, else the first."""
    if not templates:
        return None, None
    for candidate in [a.split(";")[0].strip().lower() for a in (accept or "").split(",") if a.strip()]:
        for key, template in templates.items():
            if key.lower() == candidate:
                return key, template
    if "application/json" in templates:
        return "application/json", templates["application/json"]
    key = next(iter(templates))
    return key, templates[key]
