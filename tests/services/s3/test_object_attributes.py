"""Object tagging (API and x-amz-tagging), object ACLs."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.services.s3.conftest import assert_error


def test_tagging_header_and_api(s3, bucket):
    s3.put_object(Bucket=bucket, Key="t", Body=b"x", Tagging="team=web&env=dev%20one")
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [
        {"Key": "team", "Value": "web"}, {"Key": "env", "Value": "dev one"}]
    assert s3.get_object(Bucket=bucket, Key="t")["TagCount"] == 2
    s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [{"Key": "k", "Value": "v"}]
    assert s3.head_object(Bucket=bucket, Key="t")["Metadata"] == {}
    s3.delete_object_tagging(Bucket=bucket, Key="t")
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == []
    assert "TagCount" not in s3.get_object(Bucket=bucket, Key="t")


def test_tagging_errors(s3, bucket):
    s3.put_object(Bucket=bucket, Key="t", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [
            {"Key": str(i), "Value": "v"} for i in range(11)]})
    assert_error(exc, "BadRequest", 400, "Object tags cannot be greater than 10")
    with pytest.raises(ClientError) as exc:
        s3.put_object_tagging(Bucket=bucket, Key="missing", Tagging={"TagSet": []})
    assert_error(exc, "NoSuchKey", 404)


def test_copy_keeps_or_replaces_tags(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"x", Tagging="a=1")
    s3.copy_object(Bucket=bucket, Key="kept", CopySource=f"{bucket}/src")
    assert s3.get_object_tagging(Bucket=bucket, Key="kept")["TagSet"] == [{"Key": "a", "Value": "1"}]
    s3.copy_object(Bucket=bucket, Key="replaced", CopySource=f"{bucket}/src", TaggingDirective="REPLACE",
                   Tagging="b=2")
    assert s3.get_object_tagging(Bucket=bucket, Key="replaced")["TagSet"] == [{"Key": "b", "Value": "2"}]


def test_object_acl(s3, public_bucket):
    s3.put_object(Bucket=public_bucket, Key="acl", Body=b"x", ACL="public-read")
    grants = s3.get_object_acl(Bucket=public_bucket, Key="acl")["Grants"]
    assert any(g["Grantee"].get("URI", "").endswith("AllUsers") for g in grants)
    s3.put_object_acl(Bucket=public_bucket, Key="acl", ACL="private")
    assert [g["Permission"] for g in s3.get_object_acl(Bucket=public_bucket, Key="acl")["Grants"]] == ["FULL_CONTROL"]


def test_get_object_attributes(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="plain", Body=b"12345", ChecksumAlgorithm="SHA256")["ETag"]
    attributes = s3.get_object_attributes(Bucket=bucket, Key="plain",
                                          ObjectAttributes=["ETag", "ObjectSize", "StorageClass", "Checksum"])
    assert attributes["ETag"] == etag.strip('"')
    assert attributes["ObjectSize"] == 5
    assert attributes["StorageClass"] == "STANDARD"
    assert "ChecksumSHA256" in attributes["Checksum"]
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=1, Body=b"abc")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload_id,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part}]})
    parts = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"])["ObjectParts"]
    assert parts["TotalPartsCount"] == 1
    assert parts["Parts"] == [{"PartNumber": 1, "Size": 3}]
    with pytest.raises(ClientError) as exc:
        s3.get_object_attributes(Bucket=bucket, Key="missing", ObjectAttributes=["ETag"])
    assert_error(exc, "NoSuchKey", 404)
