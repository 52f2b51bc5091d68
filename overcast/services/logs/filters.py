"""CloudWatch Logs filter patterns, the simple (term) kind.

Terms separated by spaces must all occur; "quoted phrases" are one term; a ?term makes the
pattern match when any of the ?terms occurs; -term excludes. An empty pattern matches
everything. JSON and space-delimited patterns ({ $.x = 1 }, [a, b]) are not supported and
match everything rather than silently matching nothing.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable


def compile_pattern(pattern: str | None) -> Callable[[str], bool]:
    pattern = (pattern or "").strip()
    if not pattern or pattern.startswith("{") or pattern.startswith("["):
        return lambda message: True
    try:
        terms = shlex.split(pattern)
    except ValueError:
        terms = pattern.split()
    required = [t for t in terms if not t.startswith("?") and not t.startswith("-")]
    optional = [t[1:] for t in terms if t.startswith("?") and len(t) > 1]
    excluded = [t[1:] for t in terms if t.startswith("-") and len(t) > 1]

    def match(message: str) -> bool:
        if any(t in message for t in excluded):
            return False
        if optional and not any(t in message for t in optional):
            return False
        return all(t in message for t in required)

    return match
