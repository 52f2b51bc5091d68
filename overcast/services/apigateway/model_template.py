"""GetModelTemplate: a mapping template skeleton generated from a model's schema."""

from __future__ import annotations

from typing import Any


def template_for_schema(schema: dict[str, Any]) -> str:
    lines = ['#set($inputRoot = $input.path(\'$\'))']
    lines.append(_render(schema, "$inputRoot", 0))
    return "\n".join(lines)


def _render(schema: dict[str, Any], ref: str, depth: int) -> str:
    indent = "  " * depth
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties") or {}
        parts = [f'{indent}  "{name}" : {_render(sub, f"{ref}.{name}", depth + 1).strip()}'
                 for name, sub in props.items()]
        return "{\n" + ",\n".join(parts) + f"\n{indent}}}"
    if kind == "array":
        item = _render(schema.get("items") or {}, "$elem", depth + 1).strip()
        return f"[\n{indent}#foreach($elem in {ref})\n{indent}  {item}#if($foreach.hasNext),#end\n{indent}#end\n{indent}]"
    if kind == "string":
        return f'"{ref}"'
    return ref
