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


def _failed_condition(obj: StoredObject, if_match: str | None, if_unmodified_since: Any,
                      if_none_match: str | None, if_modified_since: Any) -> str | None:
    """The header (by its HTTP name) whose condition the object fails, in RFC 7232's order;
    None when every condition given holds."""
    if if_match is not None:
        if not etag_matches(if_match, obj.etag):
            return "If-Match"
    else:
        unmodified_since = _epoch_seconds(if_unmodified_since)
        if unmodified_since is not None and obj.last_modified_second > unmodified_since:
            return "If-Unmodified-Since"
    if if_none_match is not None:
        if etag_matches(if_none_match, obj.etag):
            return "If-None-Match"
    else:
        modified_since = _epoch_seconds(if_modified_since)
        if modified_since is not None and obj.last_modified_second <= modified_since:
            return "If-Modified-Since"
    return None


# The members each check reads: most requests carry none, and one set test then answers.
READ_CONDITIONS = frozenset({"IfMatch", "IfUnmodifiedSince", "IfNoneMatch", "IfModifiedSince"})
WRITE_CONDITIONS = frozenset({"IfMatch", "IfNoneMatch"})


def check_read(params: dict[str, Any], obj: StoredObject) -> None:
    """For GetObject and HeadObject: 412 or 304, or return normally to serve the object."""
    if READ_CONDITIONS.isdisjoint(params):
        return
    failed = _failed_condition(obj, params.get("IfMatch"), params.get("IfUnmodifiedSince"),
                               params.get("IfNoneMatch"), params.get("IfModifiedSince"))
    if failed in ("If-Match", "If-Unmodified-Since"):
        raise PreconditionFailed(failed)
    if failed is not None:
        raise NotModified(_validators(obj))


def check_copy_source(params: dict[str, Any], obj: StoredObject) -> None:
    """CopyObject's x-amz-copy-source-if-* headers: every failure is a 412 (never 304)."""
    failed = _failed_condition(obj, params.get("CopySourceIfMatch"), params.get("CopySourceIfUnmodifiedSince"),
                               params.get("CopySourceIfNoneMatch"), params.get("CopySourceIfModifiedSince"))
    if failed is not None:
        raise PreconditionFailed(f"x-amz-copy-source-{failed}")


def validate_write_conditions(params: dict[str, Any]) -> None:
    """PutObject accepts only If-None-Match: * (create-only) and If-Match: <etag>."""
    if_none_match = params.get("IfNoneMatch")
    if if_none_match is not None and if_none_match.strip() != "*":
        raise HeaderNotImplemented("If-None-Match")


def check_write(params: dict[str, Any], key: str, current_etag: str | None) -> None:
    """Conditional writes, checked against the object as it is inside the writing transaction
    (current_etag None: no object)."""
    if WRITE_CONDITIONS.isdisjoint(params):
        return
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
