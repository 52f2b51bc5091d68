"""Versioning: version ids, reads and deletes by version, delete markers, the null version,
ListObjectVersions and its paging."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.services.s3.conftest import assert_error


@pytest.fixture
def versioned(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return bucket


def test_versions_are_kept(s3, versioned):
    v1 = s3.put_object(Bucket=versioned, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=versioned, Key="k", Body=b"two")["VersionId"]
    assert v1 != v2 and len(v1) == 32
    assert s3.get_object(Bucket=versioned, Key="k")["Body"].read() == b"two"
    got = s3.get_object(Bucket=versioned, Key="k", VersionId=v1)
    assert got["Body"].read() == b"one"
    assert got["VersionId"] == v1
    assert s3.head_object(Bucket=versioned, Key="k", VersionId=v2)["ContentLength"] == 3
    listing = s3.list_object_versions(Bucket=versioned)
    assert [(v["VersionId"], v["IsLatest"]) for v in listing["Versions"]] == [(v2, True), (v1, False)]
    # Plain listings show only the current version.
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=versioned)["Contents"]] == ["k"]


def test_delete_marker(s3, versioned):
    v1 = s3.put_object(Bucket=versioned, Key="k", Body=b"one")["VersionId"]
    deleted = s3.delete_object(Bucket=versioned, Key="k")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=versioned, Key="k")
    assert_error(exc, "NoSuchKey", 404)
    assert exc.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == "true"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=versioned, Key="k", VersionId=marker)
    assert_error(exc, "MethodNotAllowed", 405, "The specified method is not allowed against this resource.")
    assert "Contents" not in s3.list_objects_v2(Bucket=versioned)
    listing = s3.list_object_versions(Bucket=versioned)
    assert [(m["VersionId"], m["IsLatest"]) for m in listing["DeleteMarkers"]] == [(marker, True)]
    assert [(v["VersionId"], v["IsLatest"]) for v in listing["Versions"]] == [(v1, False)]
    # Deleting the marker by id brings the object back.
    removed = s3.delete_object(Bucket=versioned, Key="k", VersionId=marker)
    assert removed["DeleteMarker"] is True and removed["VersionId"] == marker
    assert s3.get_object(Bucket=versioned, Key="k")["Body"].read() == b"one"


def test_delete_specific_version_promotes_the_previous(s3, versioned):
    v1 = s3.put_object(Bucket=versioned, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=versioned, Key="k", Body=b"two" * 30000)["VersionId"]
    s3.delete_object(Bucket=versioned, Key="k", VersionId=v2)
    assert s3.get_object(Bucket=versioned, Key="k")["Body"].read() == b"one"
    s3.delete_object(Bucket=versioned, Key="k", VersionId=v1)
    assert "Versions" not in s3.list_object_versions(Bucket=versioned)
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=versioned, Key="k")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_no_such_version(s3, versioned):
    s3.put_object(Bucket=versioned, Key="k", Body=b"one")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=versioned, Key="k", VersionId="0" * 32)
    error = assert_error(exc, "NoSuchVersion", 404, "The specified version does not exist.")
    assert error["VersionId"] == "0" * 32
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=versioned, Key="k", VersionId="not-a-version")
    assert_error(exc, "InvalidArgument", 400, "Invalid version id specified")


def test_null_version_and_suspension(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"before versioning")
    assert "VersionId" not in s3.head_object(Bucket=bucket, Key="k")  # never versioned: no version id
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"versioned")["VersionId"]
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"before versioning"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"suspended")
    assert put["VersionId"] == "null"
    ids = [v["VersionId"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]]
    # The older null version was replaced by the new one; the real version stays.
    assert ids == ["null", v1]
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"suspended"
    # GET and HEAD name the null version "null" once versioning was ever on.
    assert s3.get_object(Bucket=bucket, Key="k")["VersionId"] == "null"
    assert s3.head_object(Bucket=bucket, Key="k")["VersionId"] == "null"
    assert s3.head_object(Bucket=bucket, Key="k", VersionId="null")["VersionId"] == "null"


def test_copy_from_a_version(s3, versioned):
    v1 = s3.put_object(Bucket=versioned, Key="src", Body=b"old")["VersionId"]
    s3.put_object(Bucket=versioned, Key="src", Body=b"new")
    copied = s3.copy_object(Bucket=versioned, Key="dst", CopySource={"Bucket": versioned, "Key": "src",
                                                                    "VersionId": v1})
    assert copied["CopySourceVersionId"] == v1
    assert s3.get_object(Bucket=versioned, Key="dst")["Body"].read() == b"old"


def test_delete_objects_with_versions(s3, versioned):
    v1 = s3.put_object(Bucket=versioned, Key="a", Body=b"1")["VersionId"]
    s3.put_object(Bucket=versioned, Key="b", Body=b"2")
    result = s3.delete_objects(Bucket=versioned, Delete={"Objects": [{"Key": "a", "VersionId": v1}, {"Key": "b"}]})
    by_key = {d["Key"]: d for d in result["Deleted"]}
    assert by_key["a"]["VersionId"] == v1
    assert by_key["b"]["DeleteMarker"] is True and len(by_key["b"]["DeleteMarkerVersionId"]) == 32


def test_list_object_versions_paging(s3, versioned):
    expected = []
    for key in ("a", "b/1", "b/2", "c"):
        ids = [s3.put_object(Bucket=versioned, Key=key, Body=b"x")["VersionId"] for _ in range(3)]
        expected += [(key, v) for v in reversed(ids)]
    seen = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=versioned,
                                                                  PaginationConfig={"PageSize": 4}):
        seen += [(v["Key"], v["VersionId"]) for v in page.get("Versions", [])]
    assert seen == expected
    grouped = s3.list_object_versions(Bucket=versioned, Delimiter="/")
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["b/"]
    assert sorted({v["Key"] for v in grouped["Versions"]}) == ["a", "c"]
    assert {v["Key"] for v in s3.list_object_versions(Bucket=versioned, Prefix="b/")["Versions"]} == {"b/1", "b/2"}


def test_versioned_multipart_keeps_old_version(s3, versioned):
    v1 = s3.put_object(Bucket=versioned, Key="mp", Body=b"plain")["VersionId"]
    upload_id = s3.create_multipart_upload(Bucket=versioned, Key="mp")["UploadId"]
    etag = s3.upload_part(Bucket=versioned, Key="mp", UploadId=upload_id, PartNumber=1, Body=b"multi")["ETag"]
    done = s3.complete_multipart_upload(Bucket=versioned, Key="mp", UploadId=upload_id,
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    v2 = done["VersionId"]
    s3.put_object(Bucket=versioned, Key="mp", Body=b"third")
    assert s3.get_object(Bucket=versioned, Key="mp", VersionId=v2)["Body"].read() == b"multi"
    assert s3.get_object(Bucket=versioned, Key="mp", VersionId=v1)["Body"].read() == b"plain"
