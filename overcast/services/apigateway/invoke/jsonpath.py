"""The JSONPath subset that API Gateway's $input.json/$input.path accept: `$`, `.name`,
`['name']`, `[index]` (negative counts from the end), `[*]`, `.*` and `..name`."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_TOKEN = re.compile(
    r"\.\.(?P<deep>[A-Za-z0-9_$@-]+|\*)"
    r"|\.(?P<name>[A-Za-z0-9_$@-]+|\*)"
    r"|\[\s*(?P<index>-?\d+)\s*\]"
    r"|\[\s*'(?P<quoted>(?:[^'\\]|\\.)*)'\s*\]"
    r'|\[\s*"(?P<dquoted>(?:[^"\\]|\\.)*)"\s*\]'
    r"|\[\s*(?P<star>\*)\s*\]"
)

Step = tuple[str, Any]


@lru_cache(maxsize=2048)
def compile_path(path: str) -> tuple[Step, ...]:
    path = path.strip()
    if not path.startswith("$"):
        path = "$." + path if path else "$"
    steps: list[Step] = []
    pos = 1
    while pos < len(path):
        match = _TOKEN.match(path, pos)
        if match is None:
            raise ValueError(f"invalid JSONPath {path!r}")
        pos = match.end()
        if match.group("deep") is not None:
            steps.append(("deep", match.group("deep")))
        elif match.group("name") is not None:
            name = match.group("name")
            steps.append(("all", None) if name == "*" else ("key", name))
        elif match.group("index") is not None:
            steps.append(("index", int(match.group("index"))))
        elif match.group("quoted") is not None:
            steps.append(("key", match.group("quoted")))
        elif match.group("dquoted") is not None:
            steps.append(("key", match.group("dquoted")))
        else:
            steps.append(("all", None))
    return tuple(steps)


def evaluate_path(document: Any, path: str) -> tuple[bool, Any]:
    """(found, value). A path through a wildcard or `..` yields a list of every match."""
    try:
        steps = compile_path(path)
    except ValueError:
        return False, None
    values = [document]
    multiple = False
    for kind, arg in steps:
        out: list[Any] = []
        for value in values:
            if kind == "key":
                if isinstance(value, dict) and arg in value:
                    out.append(value[arg])
            elif kind == "index":
                if isinstance(value, list) and -len(value) <= arg < len(value):
                    out.append(value[arg])
            elif kind == "all":
                multiple = True
                if isinstance(value, dict):
                    out.extend(value.values())
                elif isinstance(value, list):
                    out.extend(value)
            else:
                multiple = True
                _descend(value, arg, out)
        values = out
        if not values:
            return (True, []) if multiple else (False, None)
    if multiple:
        return True, values
    return True, values[0]


def _descend(value: Any, name: str, out: list[Any]) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            if name == "*" or key == name:
                out.append(child)
            _descend(child, name, out)
    elif isinstance(value, list):
        for child in value:
            if name == "*":
                out.append(child)
            _descend(child, name, out)
