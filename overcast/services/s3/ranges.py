"""Byte ranges for GetObject and HeadObject (`Range: bytes=a-b`, `bytes=a-`, `bytes=-n`).

S3 serves one range. A header it cannot parse (another unit, several ranges, b < a) is
ignored and the whole object is served; a well-formed range that starts past the end is 416.
"""

from __future__ import annotations

import re

from overcast.services.s3.errors import InvalidRange

_SINGLE_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")


def resolve_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) inclusive byte positions to serve, None for the whole object."""
    if not header:
        return None
    match = _SINGLE_RANGE.match(header)
    if not match:
        return None
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise InvalidRange(header, size)
        return max(size - suffix, 0), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last_text and last < first:
        return None
    if first >= size:
        raise InvalidRange(header, size)
    return first, min(last, size - 1)


def content_range(first: int, last: int, size: int) -> str:
    return f"bytes {first}-{last}/{size}"
