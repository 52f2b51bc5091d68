"""Items in their compact stored form: JSON of the wire form (binaries as base64)."""

from __future__ import annotations

import base64
import json
from typing import Any

import orjson

from overcast.protocol import jsoncodec

_orjson_dumps = orjson.dumps
# Keys sorted: an item (or a request, for ClientRequestToken's digest) reads the same text
# whatever order its attributes came in, as DynamoDB compares them (LocalStack's AWS-recorded
# test_dynamodb_idempotent_writing: a replay with the item's attributes reordered is the same
# request). orjson sorts for nearly nothing.
_STORED_OPTIONS = jsoncodec.DUMPS_OPTIONS | orjson.OPT_SORT_KEYS


def _binary_text(value: Any) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(value).decode()
    raise TypeError(f"cannot store {type(value).__name__} in an item")


def dumps(value: Any) -> str:
    try:
        # orjson directly, the common case, one call fewer per item.
        return _orjson_dumps(value, default=_binary_text, option=_STORED_OPTIONS).decode("utf-8")
    except TypeError:
        # What orjson refuses (a lone surrogate): ASCII JSON, the surrogate as its \u escape.
        return json.dumps(value, default=_binary_text, separators=(",", ":"), sort_keys=True)


def _binary_hook(d: dict) -> dict:
    if len(d) == 1:
        if "B" in d and isinstance(d["B"], str):
            return {"B": base64.b64decode(d["B"])}
        if "BS" in d and isinstance(d["BS"], list):
            return {"BS": [base64.b64decode(b) for b in d["BS"]]}
    return d


_decode = jsoncodec.loads_stored
_decode_binaries = json.JSONDecoder(object_hook=_binary_hook).decode


def loads(text: str) -> Any:
    # Only items holding binaries need the slower per-object hook.
    if '"B":' in text or '"BS":' in text:
        return _decode_binaries(text)
    return _decode(text)


def loads_many(texts: list[str]) -> list[Any]:
    """Decode a page of items in one call (far cheaper than one json.loads per item)."""
    return loads("[" + ",".join(texts) + "]") if texts else []


def meta_dumps(value: Any) -> str:
    """Metadata (table descriptions, tags) holds no binaries, so plain JSON keeps it unambiguous."""
    return json.dumps(value, separators=(",", ":"))


def meta_loads(text: str) -> Any:
    return json.loads(text)
