"""ServiceError's extra body members: keyword arguments, and `members` for names that are not
Python identifiers."""

from __future__ import annotations

from overcast.protocol.errors import AccessDenied, ServiceError


def test_keyword_members_become_fields() -> None:
    error = ServiceError("gone", code="NoSuchBucket", status=404, BucketName="b")
    assert (error.code, error.status, error.message) == ("NoSuchBucket", 404, "gone")
    assert error.fields == {"BucketName": "b"}


def test_members_mapping_carries_names_keywords_cannot() -> None:
    error = AccessDenied("Request has expired", members={"X-Amz-Expires": "60"}, ServerTime="t")
    assert error.fields == {"X-Amz-Expires": "60", "ServerTime": "t"}
    assert error.status == 403


def test_members_named_like_parameters_stay_members() -> None:
    # A body member called "status" must not change the HTTP status.
    error = ServiceError("x", members={"status": "pending", "headers": "h"})
    assert error.status == 400
    assert error.fields == {"status": "pending", "headers": "h"}
    assert error.headers == {}
