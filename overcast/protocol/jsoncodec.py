"""JSON for the hot paths (request bodies of the JSON protocols, responses, stored items): orjson,
several times faster than the standard library, with the standard library behind it for what
orjson refuses, so that behaviour at the edges is the standard library's.

orjson refuses NaN and Infinity, lone surrogates and non-string keys, and reads integers beyond
64 bits as floats; the standard library takes them all exactly (and answers malformed input
with the messages our errors quote), so those cases go to it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME  # datetimes go to `default`, which knows each protocol's form
DUMPS_OPTIONS = _OPTIONS  # for callers that call orjson themselves and fall back to dumps() on TypeError


# orjson reads integers outside 64 bits as floats, silently: any run of 19 digits (which every
# such integer has) sends the text to the standard library, which keeps them exact. A long
# digit string inside a JSON string costs only the slower parse. (Found by mapping digits to
# "1" and everything else to "0": a regular expression took ~15 µs per 10 KB, this ~2 µs.)
_DIGIT_MAP = bytes(0x31 if 0x30 <= i <= 0x39 else 0x30 for i in range(256))
_LONG_RUN = b"1" * 19


def loads(data: bytes | str, exact_numbers: bool = True) -> Any:
    """JSON from a client. `exact_numbers=False` when no number in this document can matter
    beyond its being a number (an input shape without numeric members): the scan for long
    integers, which orjson would read as floats, is then skipped."""
    if exact_numbers:
        raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
        if _LONG_RUN in raw.translate(_DIGIT_MAP):
            return json.loads(data)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)  # the standard library's verdict and message


def loads_stored(text: bytes | str) -> Any:
    """JSON that Overcast wrote itself (stored items, headers): well-formed, without numbers
    beyond 64 bits, so orjson alone."""
    return orjson.loads(text)


def dumps(value: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    """Compact UTF-8 JSON."""
    try:
        return orjson.dumps(value, default=default, option=_OPTIONS)
    except TypeError:
        # ASCII output: a lone surrogate (which orjson refuses) becomes its \u escape, not an encoding error.
        return json.dumps(value, default=default, separators=(",", ":")).encode("ascii")
