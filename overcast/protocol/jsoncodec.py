"""JSON for the hot paths (request bodies of the JSON protocols, responses, stored items): orjson,
several times faster than the standard library, with the standard library behind it for what
orjson refuses, so that behaviour at the edges is the standard library's.

orjson refuses integers beyond 64 bits, NaN and Infinity, lone surrogates and non-string keys;
the standard library takes them (and answers malformed input with the messages our errors
quote), so those cases fall back to it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME  # datetimes go to `default`, which knows each protocol's form


def loads(data: bytes | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)  # the standard library's verdict and message


def dumps(value: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    """Compact UTF-8 JSON."""
    try:
        return orjson.dumps(value, default=default, option=_OPTIONS)
    except TypeError:
        return json.dumps(value, default=default, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
