"""Objects: put/get/head/delete, metadata and content headers, DeleteObjects, CopyObject."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from tests.services.s3.conftest import assert_error


def test_put_get_roundtrip_with_headers_and_metadata(s3, bucket):
    expires = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    put = s3.put_object(
        Bucket=bucket, Key="docs/readme.txt", Body=b"hello world",
        ContentType="text/plain; charset=utf-8", ContentEncoding="identity", ContentDisposition="inline",
        ContentLanguage="en-GB", CacheControl="max-age=60", Expires=expires,
        Metadata={"Colour": "blue", "x-y": "z"},
    )
    assert put["ETag"] == f'"{hashlib.md5(b"hello world").hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="docs/readme.txt")
    assert got["Body"].read() == b"hello world"
    assert got["ETag"] == put["ETag"]
    assert got["ContentLength"] == 11
    assert got["ContentType"] == "text/plain; charset=utf-8"
    assert got["ContentEncoding"] == "identity"
    assert got["ContentDisposition"] == "inline"
    assert got["ContentLanguage"] == "en-GB"
    assert got["CacheControl"] == "max-age=60"
    assert got["ExpiresString"] == "Wed, 02 Jan 2030 03:04:05 GMT"
    assert got["Metadata"] == {"colour": "blue", "x-y": "z"}
    assert got["AcceptRanges"] == "bytes"
    assert got["LastModified"].tzinfo is not None
    head = s3.head_object(Bucket=bucket, Key="docs/readme.txt")
    assert head["ContentLength"] == 11
    assert head["Metadata"] == {"colour": "blue", "x-y": "z"}
    assert head["ETag"] == put["ETag"]


def test_default_content_type_and_empty_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    got = s3.get_object(Bucket=bucket, Key="empty")
    assert got["Body"].read() == b""
    assert got["ContentLength"] == 0
    assert got["ContentType"] == "binary/octet-stream"
    assert got["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'


def test_overwrite_replaces_body_and_metadata(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"one", Metadata={"a": "1"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"two!")
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"two!"
    assert got["Metadata"] == {}


def test_unicode_and_odd_keys(s3, bucket):
    keys = ["sp ace", "plus+sign", "ünïcødé/ключ", "a%2Fb", "q?uestion", "amp&hash#", "tilde~star*", "/leading"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    for key in keys:
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == sorted(keys, key=lambda k: k.encode())


def test_no_such_key(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="missing/key")
    error = assert_error(exc, "NoSuchKey", 404, "The specified key does not exist.")
    assert error["Key"] == "missing/key"
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="missing/key")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_key_too_long(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x")
    assert_error(exc, "KeyTooLongError", 400, "Your key is too long")


def test_metadata_too_large(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", Metadata={"big": "v" * 2100})
    assert_error(exc, "MetadataTooLarge", 400, "Your metadata headers exceed the maximum allowed metadata size")


def test_delete_object_is_idempotent(s3, bucket):
    s3.put_object(Bucket=bucket, Key="gone", Body=b"x")
    response = s3.delete_object(Bucket=bucket, Key="gone")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    s3.delete_object(Bucket=bucket, Key="gone")  # deleting nothing is not an error
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="gone")


def test_delete_objects(s3, bucket):
    for i in range(5):
        s3.put_object(Bucket=bucket, Key=f"d/{i}", Body=b"x")
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "d/0"}, {"Key": "d/1"}, {"Key": "nope"}]})
    assert sorted(d["Key"] for d in result["Deleted"]) == ["d/0", "d/1", "nope"]
    assert not result.get("Errors")
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "d/2"}], "Quiet": True})
    assert not quiet.get("Deleted")
    remaining = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert remaining == ["d/3", "d/4"]


def test_delete_objects_too_many_keys(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": str(i)} for i in range(1001)]})
    assert_error(exc, "MalformedXML", 400,
                 "The XML you provided was not well-formed or did not validate against our published schema")


def test_copy_object_copies_metadata_by_default(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"payload", ContentType="text/x-src", Metadata={"m": "1"})
    copied = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
                            ContentType="ignored/with-copy")
    assert copied["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"payload").hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == b"payload"
    assert got["ContentType"] == "text/x-src"
    assert got["Metadata"] == {"m": "1"}


def test_copy_object_replace_metadata(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"payload", ContentType="text/x-src", Metadata={"m": "1"})
    s3.copy_object(Bucket=bucket, Key="dst", CopySource=f"{bucket}/src", MetadataDirective="REPLACE",
                   ContentType="text/x-new", Metadata={"n": "2"})
    got = s3.head_object(Bucket=bucket, Key="dst")
    assert got["ContentType"] == "text/x-new"
    assert got["Metadata"] == {"n": "2"}


def test_copy_onto_itself(s3, bucket):
    s3.put_object(Bucket=bucket, Key="self", Body=b"payload", Metadata={"m": "1"})
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"})
    assert_error(exc, "InvalidRequest", 400,
                 "This copy request is illegal because it is trying to copy an object to itself without changing "
                 "the object's metadata, storage class, website redirect location or encryption attributes.")
    s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"},
                   MetadataDirective="REPLACE", Metadata={"m": "2"})
    got = s3.get_object(Bucket=bucket, Key="self")
    assert got["Metadata"] == {"m": "2"}
    assert got["Body"].read() == b"payload"


def test_copy_across_buckets_and_unicode_keys(s3, bucket):
    other = bucket + "-x"
    s3.create_bucket(Bucket=other)
    s3.put_object(Bucket=bucket, Key="dir/ünï cödé+1", Body=b"abc")
    s3.copy_object(Bucket=other, Key="copy", CopySource={"Bucket": bucket, "Key": "dir/ünï cödé+1"})
    assert s3.get_object(Bucket=other, Key="copy")["Body"].read() == b"abc"


def test_copy_missing_source(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "nothing"})
    assert_error(exc, "NoSuchKey", 404, "The specified key does not exist.")


def test_copy_source_conditions(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="src", Body=b"x")["ETag"]
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource=f"{bucket}/src", CopySourceIfMatch='"0000"')
    error = assert_error(exc, "PreconditionFailed", 412,
                         "At least one of the pre-conditions you specified did not hold")
    assert error["Condition"] == "x-amz-copy-source-If-Match"
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource=f"{bucket}/src", CopySourceIfNoneMatch=etag)
    assert_error(exc, "PreconditionFailed", 412)
    s3.copy_object(Bucket=bucket, Key="dst", CopySource=f"{bucket}/src", CopySourceIfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"x"


def test_virtual_hosted_style(server, s3, bucket):
    from tests.services.s3.conftest import raw_request

    s3.put_object(Bucket=bucket, Key="vhost.txt", Body=b"via host")
    for host in (f"{bucket}.localhost:{server.port}", f"{bucket}.s3.localhost:{server.port}"):
        status, headers, body = raw_request(server.endpoint_url, "GET", "/vhost.txt", headers={"Host": host})
        assert (status, body) == (200, b"via host")
    status, _, _ = raw_request(server.endpoint_url, "PUT", "/put-by-host", body=b"abc",
                               headers={"Host": f"{bucket}.s3.localhost:{server.port}"})
    assert status == 200
    assert s3.get_object(Bucket=bucket, Key="put-by-host")["Body"].read() == b"abc"
