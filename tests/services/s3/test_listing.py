"""ListObjects and ListObjectsV2: prefixes, delimiters, paging, start-after, encoding-type=url."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from tests.services.s3.conftest import assert_error, raw_request

KEYS = ["a/1", "a/2", "a/b/3", "b/4", "c", "d/e/5", "d/f", "z"]


@pytest.fixture
def filled(s3, bucket):
    for key in KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    return bucket


def all_pages_v2(s3, **kwargs):
    keys, prefixes, pages = [], [], 0
    token = None
    while True:
        args = dict(kwargs)
        if token:
            args["ContinuationToken"] = token
        page = s3.list_objects_v2(**args)
        pages += 1
        keys += [o["Key"] for o in page.get("Contents", [])]
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        assert page["KeyCount"] == len(page.get("Contents", [])) + len(page.get("CommonPrefixes", []))
        if not page["IsTruncated"]:
            assert "NextContinuationToken" not in page
            return keys, prefixes, pages
        token = page["NextContinuationToken"]


def test_list_everything(s3, filled):
    page = s3.list_objects_v2(Bucket=filled)
    assert [o["Key"] for o in page["Contents"]] == KEYS
    assert page["KeyCount"] == len(KEYS)
    assert page["IsTruncated"] is False
    first = page["Contents"][0]
    assert first["Size"] == 3 and first["StorageClass"] == "STANDARD" and first["ETag"].startswith('"')
    assert "Owner" not in first
    assert "Owner" in s3.list_objects_v2(Bucket=filled, FetchOwner=True)["Contents"][0]


def test_prefix_and_delimiter(s3, filled):
    page = s3.list_objects_v2(Bucket=filled, Delimiter="/")
    assert [o["Key"] for o in page["Contents"]] == ["c", "z"]
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["a/", "b/", "d/"]
    assert page["KeyCount"] == 5
    page = s3.list_objects_v2(Bucket=filled, Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in page["Contents"]] == ["a/1", "a/2"]
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["a/b/"]
    page = s3.list_objects_v2(Bucket=filled, Prefix="d")
    assert [o["Key"] for o in page["Contents"]] == ["d/e/5", "d/f"]
    assert s3.list_objects_v2(Bucket=filled, Prefix="nothing")["KeyCount"] == 0


@pytest.mark.parametrize("max_keys", [1, 2, 3, 7])
def test_paging_v2_with_and_without_delimiter(s3, filled, max_keys):
    keys, prefixes, pages = all_pages_v2(s3, Bucket=filled, MaxKeys=max_keys)
    assert keys == KEYS and prefixes == []
    assert pages == math.ceil(len(KEYS) / max_keys)  # truncation is exact: no empty last page
    keys, prefixes, _ = all_pages_v2(s3, Bucket=filled, MaxKeys=max_keys, Delimiter="/")
    assert keys == ["c", "z"]
    assert prefixes == ["a/", "b/", "d/"]


def test_truncation_is_exact(s3, filled):
    page = s3.list_objects_v2(Bucket=filled, MaxKeys=len(KEYS))
    assert page["IsTruncated"] is False
    page = s3.list_objects_v2(Bucket=filled, MaxKeys=len(KEYS) - 1)
    assert page["IsTruncated"] is True


def test_max_keys_zero(s3, filled):
    page = s3.list_objects_v2(Bucket=filled, MaxKeys=0)
    assert page["KeyCount"] == 0
    assert page["MaxKeys"] == 0
    assert "Contents" not in page
    assert page["IsTruncated"] is False


def test_start_after(s3, filled):
    page = s3.list_objects_v2(Bucket=filled, StartAfter="b/4")
    assert [o["Key"] for o in page["Contents"]] == ["c", "d/e/5", "d/f", "z"]
    assert page["StartAfter"] == "b/4"
    page = s3.list_objects_v2(Bucket=filled, StartAfter="a", Delimiter="/")
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["a/", "b/", "d/"]


def test_bad_continuation_token(s3, filled):
    with pytest.raises(ClientError) as exc:
        s3.list_objects_v2(Bucket=filled, ContinuationToken="%%%not-a-token")
    assert_error(exc, "InvalidArgument", 400, "The continuation token provided is incorrect")


def test_list_objects_v1_marker(s3, filled):
    page = s3.list_objects(Bucket=filled, MaxKeys=3)
    assert [o["Key"] for o in page["Contents"]] == KEYS[:3]
    assert page["IsTruncated"] is True
    assert "NextMarker" not in page  # only sent with a delimiter
    assert "Owner" in page["Contents"][0]
    page = s3.list_objects(Bucket=filled, Marker="a/b/3", MaxKeys=3)
    assert [o["Key"] for o in page["Contents"]] == ["b/4", "c", "d/e/5"]
    page = s3.list_objects(Bucket=filled, Delimiter="/", MaxKeys=2)
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["a/", "b/"]
    assert page["NextMarker"] == "b/"
    page = s3.list_objects(Bucket=filled, Delimiter="/", Marker=page["NextMarker"])
    assert [o["Key"] for o in page["Contents"]] == ["c", "z"]
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["d/"]
    assert page["IsTruncated"] is False


def test_paginator_v1_and_v2(s3, filled):
    keys = [o["Key"] for p in s3.get_paginator("list_objects").paginate(Bucket=filled, PaginationConfig={"PageSize": 2})
            for o in p.get("Contents", [])]
    assert keys == KEYS
    keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=filled,
                                                                          PaginationConfig={"PageSize": 3})
            for o in p.get("Contents", [])]
    assert keys == KEYS


def test_encoding_type_url(server, s3, bucket):
    key = "dir with space/ü+&.txt"
    s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    # boto3 asks for encoding-type=url and decodes; check the wire form too.
    page = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["dir with space/"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [key]
    status, _, body = raw_request(server.endpoint_url, "GET", f"/{bucket}?list-type=2&encoding-type=url")
    assert status == 200
    assert b"<Key>dir%20with%20space/%C3%BC%2B%26.txt</Key>" in body
    assert b"<EncodingType>url</EncodingType>" in body
    status, _, body = raw_request(server.endpoint_url, "GET", f"/{bucket}?list-type=2")
    assert b"<Key>dir with space/\xc3\xbc+&amp;.txt</Key>" in body


def test_invalid_encoding_type(server, bucket):
    status, _, body = raw_request(server.endpoint_url, "GET", f"/{bucket}?list-type=2&encoding-type=base64")
    assert status == 400
    assert b"<Code>InvalidArgument</Code>" in body
    assert b"Invalid Encoding Method specified in Request" in body


def test_listing_many_keys(s3, bucket):
    keys = [f"k/{i:05d}" for i in range(2100)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=b""), keys))
    keys_seen, _, pages = all_pages_v2(s3, Bucket=bucket)
    assert keys_seen == keys
    assert pages == 3
    page = s3.list_objects_v2(Bucket=bucket, MaxKeys=5000)
    assert page["KeyCount"] == 1000
