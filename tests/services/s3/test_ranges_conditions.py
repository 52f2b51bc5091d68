"""Byte ranges (206, 416) and conditional requests on GET, HEAD and PUT (304, 412)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from tests.services.s3.conftest import assert_error

DATA = bytes(range(256)) * 4  # 1024 bytes


@pytest.fixture
def obj(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="data.bin", Body=DATA)
    head = s3.head_object(Bucket=bucket, Key="data.bin")
    return bucket, "data.bin", put["ETag"], head["LastModified"]


@pytest.mark.parametrize("header,first,last", [
    ("bytes=0-0", 0, 0),
    ("bytes=10-19", 10, 19),
    ("bytes=1000-", 1000, 1023),
    ("bytes=-24", 1000, 1023),
    ("bytes=1000-5000", 1000, 1023),
    ("bytes=-5000", 0, 1023),
])
def test_ranges(s3, obj, header, first, last):
    bucket, key, _, _ = obj
    got = s3.get_object(Bucket=bucket, Key=key, Range=header)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["Body"].read() == DATA[first:last + 1]
    assert got["ContentRange"] == f"bytes {first}-{last}/1024"
    assert got["ContentLength"] == last - first + 1
    head = s3.head_object(Bucket=bucket, Key=key, Range=header)
    assert head["ContentLength"] == last - first + 1
    assert head["ContentRange"] == f"bytes {first}-{last}/1024"


@pytest.mark.parametrize("header", ["bytes=1024-", "bytes=2000-3000", "bytes=-0"])
def test_unsatisfiable_range(s3, obj, header):
    bucket, key, _, _ = obj
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key=key, Range=header)
    error = assert_error(exc, "InvalidRange", 416, "The requested range is not satisfiable")
    assert error["RangeRequested"] == header
    assert error["ActualObjectSize"] == "1024"


@pytest.mark.parametrize("header", ["bytes=5-2", "items=0-1", "bytes=abc", "bytes=0-1,4-5"])
def test_ignored_ranges_serve_everything(s3, obj, header):
    bucket, key, _, _ = obj
    got = s3.get_object(Bucket=bucket, Key=key, Range=header)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert got["Body"].read() == DATA
    assert "ContentRange" not in got


def test_range_on_empty_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="empty", Range="bytes=0-")
    assert_error(exc, "InvalidRange", 416)


def test_if_match(s3, obj):
    bucket, key, etag, _ = obj
    assert s3.get_object(Bucket=bucket, Key=key, IfMatch=etag)["Body"].read() == DATA
    assert s3.get_object(Bucket=bucket, Key=key, IfMatch=etag.strip('"'))["ContentLength"] == 1024
    assert s3.get_object(Bucket=bucket, Key=key, IfMatch="*")["ContentLength"] == 1024
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key=key, IfMatch='"deadbeef"')
    error = assert_error(exc, "PreconditionFailed", 412, "At least one of the pre-conditions you specified did not hold")
    assert error["Condition"] == "If-Match"
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key=key, IfMatch='"deadbeef"')
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412


def test_if_none_match_answers_304(s3, obj):
    bucket, key, etag, _ = obj
    for call in (s3.get_object, s3.head_object):
        with pytest.raises(ClientError) as exc:
            call(Bucket=bucket, Key=key, IfNoneMatch=etag)
        assert exc.value.response["Error"]["Code"] == "304"
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
        assert exc.value.response["ResponseMetadata"]["HTTPHeaders"]["etag"] == etag
    assert s3.get_object(Bucket=bucket, Key=key, IfNoneMatch='"other"')["ContentLength"] == 1024


def test_if_modified_since(s3, obj):
    bucket, key, _, modified = obj
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key=key, IfModifiedSince=modified)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key=key, IfModifiedSince=modified + timedelta(days=1))
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    got = s3.get_object(Bucket=bucket, Key=key, IfModifiedSince=modified - timedelta(seconds=1))
    assert got["Body"].read() == DATA


def test_if_unmodified_since(s3, obj):
    bucket, key, _, modified = obj
    assert s3.get_object(Bucket=bucket, Key=key, IfUnmodifiedSince=modified)["ContentLength"] == 1024
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key=key, IfUnmodifiedSince=modified - timedelta(days=1))
    error = assert_error(exc, "PreconditionFailed", 412)
    assert error["Condition"] == "If-Unmodified-Since"


def test_condition_precedence(s3, obj):
    bucket, key, etag, modified = obj
    # A true If-Match wins over a false If-Unmodified-Since.
    got = s3.get_object(Bucket=bucket, Key=key, IfMatch=etag, IfUnmodifiedSince=modified - timedelta(days=1))
    assert got["ContentLength"] == 1024
    # A matching If-None-Match answers 304 even when If-Modified-Since says modified.
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key=key, IfNoneMatch=etag, IfModifiedSince=modified - timedelta(days=1))
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304


def test_put_if_none_match_star(s3, bucket):
    s3.put_object(Bucket=bucket, Key="once", Body=b"first", IfNoneMatch="*")
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="once", Body=b"second", IfNoneMatch="*")
    error = assert_error(exc, "PreconditionFailed", 412, "At least one of the pre-conditions you specified did not hold")
    assert error["Condition"] == "If-None-Match"
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"first"


def test_put_if_match(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="cas", Body=b"v1", IfMatch='"abc"')
    assert_error(exc, "NoSuchKey", 404, "The specified key does not exist.")
    etag = s3.put_object(Bucket=bucket, Key="cas", Body=b"v1")["ETag"]
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="cas", Body=b"v2", IfMatch='"0123"')
    error = assert_error(exc, "PreconditionFailed", 412)
    assert error["Condition"] == "If-Match"
    s3.put_object(Bucket=bucket, Key="cas", Body=b"v2", IfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="cas")["Body"].read() == b"v2"


def test_put_if_none_match_other_than_star(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", IfNoneMatch='"abc"')
    assert_error(exc, "NotImplemented", 501, "A header you provided implies functionality that is not implemented")


def test_response_overrides(s3, obj):
    bucket, key, _, _ = obj
    got = s3.get_object(Bucket=bucket, Key=key, ResponseContentType="text/csv", ResponseCacheControl="no-store",
                        ResponseContentDisposition="attachment; filename=x.csv")
    assert got["ContentType"] == "text/csv"
    assert got["CacheControl"] == "no-store"
    assert got["ContentDisposition"] == "attachment; filename=x.csv"
