"""Conditional requests: If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since.

Evaluated in RFC 7232's order, which is also S3's documented behaviour: a true If-Match makes
If-Unmodified-Since irrelevant, and a failed If-None-Match answers 304 whatever
If-Modified-Since says.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import formatdate
from typing import Any

from overcast.services.s3.errors import HeaderNotImplemented, NoSuchKey, NotModified, PreconditionFailed
from overcast.services.s3.models import StoredObject


def _etags(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/").strip('"') for tag in header.split(",")]


def etag_matches(header: str, etag: str) -> bool:
    return any(tag == "*" or tag == etag for tag in _etags(header))


def _epoch_seconds(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    return None


def check_read(params: dict[str, Any], obj: StoredObject) -> None:
    """For GetObject and HeadObject: 412 or 304, or return normally to serve the object."""
    if_match = params.get("IfMatch")
    if if_match is not None:
        if not etag_matches(if_match, obj.etag):
            raise PreconditionFailed("If-Match")
    else:
        unmodified_since = _epoch_seconds(params.get("IfUnmodifiedSince"))
        if unmodified_since is not None and obj.last_modified_second > unmodified_since:
            raise PreconditionFailed("If-Unmodified-Since")
    if_none_match = params.get("IfNoneMatch")
    if if_none_match is not None:
        if etag_matches(if_none_match, obj.etag):
            raise NotModified(_validators(obj))
    else:
        modified_since = _epoch_seconds(params.get("IfModifiedSince"))
        if modified_since is not None and obj.last_modified_second <= modified_since:
            raise NotModified(_validators(obj))


def check_copy_source(params: dict[str, Any], obj: StoredObject) -> None:
    """CopyObject's x-amz-copy-source-if-* headers: every failure is a 412 (never 304)."""
    if_match = params.get("CopySourceIfMatch")
    if if_match is not None:
        if not etag_matches(if_match, obj.etag):
            raise PreconditionFailed("x-amz-copy-source-If-Match")
    else:
        unmodified_since = _epoch_seconds(params.get("CopySourceIfUnmodifiedSince"))
        if unmodified_since is not None and obj.last_modified_second > unmodified_since:
            raise PreconditionFailed("x-amz-copy-source-If-Unmodified-Since")
    if_none_match = params.get("CopySourceIfNoneMatch")
    if if_none_match is not None:
        if etag_matches(if_none_match, obj.etag):
            raise PreconditionFailed("x-amz-copy-source-If-None-Match")
    else:
        modified_since = _epoch_seconds(params.get("CopySourceIfModifiedSince"))
        if modified_since is not None and obj.last_modified_second <= modified_since:
            raise PreconditionFailed("x-amz-copy-source-If-Modified-Since")


def validate_write_conditions(params: dict[str, Any]) -> None:
    """PutObject accepts only If-None-Match: * (create-only) and If-Match: <etag>."""
    if_none_match = params.get("IfNoneMatch")
    if if_none_match is not None and if_none_match.strip() != "*":
        raise HeaderNotImplemented("If-None-Match")


def check_write(params: dict[str, Any], key: str, current_etag: str | None) -> None:
    """Conditional writes, checked against the object as it is inside the writing transaction
    (current_etag None: no object)."""
    if params.get("IfNoneMatch") is not None and current_etag is not None:
        raise PreconditionFailed("If-None-Match")
    if_match = params.get("IfMatch")
    if if_match is not None:
        if current_etag is None:
            raise NoSuchKey(key)
        if not etag_matches(if_match, current_etag):
            raise PreconditionFailed("If-Match")


def _validators(obj: StoredObject) -> dict[str, str]:
    return {"ETag": obj.quoted_etag, "Last-Modified": formatdate(obj.last_modified, usegmt=True)}
