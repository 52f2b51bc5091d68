"""S3's request side: routing, virtual hosts, key bytes, streaming bodies, S3's errors."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from overcast.protocol.errors import ServiceError
from overcast.protocol.model import load_service_model
from overcast.protocol.parsers.s3 import bucket_from_host
from overcast.protocol.registry import parser_for
from overcast.server.http import Request, RequestBody
from tests.protocol.rest_wire import client_request

S3 = load_service_model("s3")
PARSER = parser_for(S3)


def _request(
    method: str,
    path: str,
    query: str = "",
    headers: dict[str, str] | None = None,
    body: bytes | RequestBody = b"",
    host: str = "localhost:4566",
) -> Request:
    all_headers = {"host": host}
    all_headers.update(headers or {})
    return Request(
        method=method,
        path=path,
        query_string=query,
        headers=all_headers,
        body=body if isinstance(body, RequestBody) else RequestBody.from_bytes(body),
    )


def parse(request: Request) -> tuple[str, dict[str, Any]]:
    op, params = asyncio.run(PARSER.parse(request))
    return op.name, params


def parse_error(request: Request) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        asyncio.run(PARSER.parse(request))
    return info.value


@pytest.mark.parametrize(
    "method,path,query,headers,operation",
    [
        ("GET", "/", "", {}, "ListBuckets"),
        ("GET", "/bkt", "", {}, "ListObjects"),
        ("GET", "/bkt/", "", {}, "ListObjects"),
        ("GET", "/bkt", "list-type=2&prefix=a", {}, "ListObjectsV2"),
        ("GET", "/bkt", "versions", {}, "ListObjectVersions"),
        ("GET", "/bkt", "uploads", {}, "ListMultipartUploads"),
        ("GET", "/bkt", "location", {}, "GetBucketLocation"),
        ("GET", "/bkt", "lifecycle", {}, "GetBucketLifecycleConfiguration"),
        ("GET", "/bkt", "notification", {}, "GetBucketNotificationConfiguration"),
        ("GET", "/bkt", "analytics", {}, "ListBucketAnalyticsConfigurations"),
        ("GET", "/bkt", "analytics&id=a1", {}, "GetBucketAnalyticsConfiguration"),
        ("GET", "/bkt/k", "", {}, "GetObject"),
        ("GET", "/bkt/k", "uploadId=u1", {}, "ListParts"),
        ("GET", "/bkt/k", "tagging", {}, "GetObjectTagging"),
        ("HEAD", "/bkt", "", {}, "HeadBucket"),
        ("HEAD", "/bkt/k", "", {}, "HeadObject"),
        ("PUT", "/bkt", "", {}, "CreateBucket"),
        ("PUT", "/bkt", "versioning", {}, "PutBucketVersioning"),
        ("PUT", "/bkt/k", "", {}, "PutObject"),
        ("PUT", "/bkt/k", "", {"x-amz-copy-source": "src/k"}, "CopyObject"),
        ("PUT", "/bkt/k", "partNumber=1&uploadId=u1", {}, "UploadPart"),
        ("PUT", "/bkt/k", "partNumber=1&uploadId=u1", {"x-amz-copy-source": "src/k"}, "UploadPartCopy"),
        ("POST", "/bkt", "delete", {}, "DeleteObjects"),
        ("POST", "/bkt/k", "uploads", {}, "CreateMultipartUpload"),
        ("POST", "/bkt/k", "uploadId=u1", {}, "CompleteMultipartUpload"),
        ("DELETE", "/bkt", "", {}, "DeleteBucket"),
        ("DELETE", "/bkt/k", "", {}, "DeleteObject"),
        ("DELETE", "/bkt/k", "uploadId=u1", {}, "AbortMultipartUpload"),
        ("GET", "/bkt", "max-directory-buckets=1", {}, "ListObjects"),
        ("GET", "/", "max-directory-buckets=5", {}, "ListDirectoryBuckets"),
    ],
)
def test_operation_matching(
    method: str, path: str, query: str, headers: dict[str, str], operation: str
) -> None:
    body = b""
    if operation == "DeleteObjects":
        body = b"<Delete><Object><Key>a</Key></Object></Delete>"
    if operation == "PutBucketVersioning":
        body = b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"
    name, _ = parse(_request(method, path, query, headers, body))
    assert name == operation


def test_x_id_names_the_operation() -> None:
    name, params = parse(_request("GET", "/bkt/k", "x-id=GetObject&uploadId=u1"))
    assert name == "GetObject"


@pytest.mark.parametrize(
    "host,bucket",
    [
        ("mybucket.localhost", "mybucket"),
        ("my.dotted.bucket.localhost", "my.dotted.bucket"),
        ("mybucket.s3.localhost", "mybucket"),
        ("mybucket.s3.eu-west-1.localhost", "mybucket"),
        ("mybucket.s3.amazonaws.com", "mybucket"),
        ("mybucket.s3.us-east-1.amazonaws.com", "mybucket"),
        ("mybucket.s3-us-west-2.amazonaws.com", "mybucket"),
        ("localhost", None),
        ("s3.localhost", None),
        ("s3.eu-west-1.localhost", None),
        ("s3.amazonaws.com", None),
        ("s3.us-east-1.amazonaws.com", None),
        ("127.0.0.1", None),
        ("mybucket.s3-website.localhost", None),
        ("mybucket.s3-website-us-east-1.amazonaws.com", None),
        ("mybucket.s3-website.eu-west-1.amazonaws.com", None),
        ("my-s3-website-assets.s3.localhost", "my-s3-website-assets"),
    ],
)
def test_bucket_from_host(host: str, bucket: str | None) -> None:
    assert bucket_from_host(host) == bucket


def test_virtual_hosted_requests_move_the_bucket_into_the_path() -> None:
    name, params = parse(_request("GET", "/some/key.txt", host="photos.s3.localhost:4566"))
    assert (name, params["Bucket"], params["Key"]) == ("GetObject", "photos", "some/key.txt")
    name, params = parse(_request("GET", "/", "list-type=2", host="photos.localhost:4566"))
    assert (name, params["Bucket"]) == ("ListObjectsV2", "photos")
    name, params = parse(_request("PUT", "/", host="photos.s3.us-east-1.amazonaws.com"))
    assert (name, params["Bucket"]) == ("CreateBucket", "photos")


@pytest.mark.parametrize(
    "raw_path,key",
    [
        ("/bkt/a%20b", "a b"),
        ("/bkt/a+b", "a+b"),
        ("/bkt/a%2Bb", "a+b"),
        ("/bkt/dir/sub/file", "dir/sub/file"),
        ("/bkt//leading", "/leading"),
        ("/bkt/trailing/", "trailing/"),
        ("/bkt/a%2Fb", "a/b"),
        ("/bkt/%E6%BC%A2%C3%A9", "漢é"),
        ("/bkt/q%3Fx%3Dy%26z", "q?x=y&z"),
        ("/bkt/%25percent", "%percent"),
    ],
)
def test_keys_keep_their_exact_characters(raw_path: str, key: str) -> None:
    name, params = parse(_request("GET", raw_path))
    assert (name, params["Key"]) == ("GetObject", key)


def test_keys_round_trip_from_botocore() -> None:
    for key in ["a b+c", "x//y", "üñí/cödé", "sp ace/", "~tilde", "a%2Fb", "semi;colon,comma"]:
        request = client_request("s3", "GetObject", {"Bucket": "bkt", "Key": key})
        name, params = parse(request)
        assert params["Key"] == key, request.path


def test_invalid_utf8_in_key_is_invalid_uri() -> None:
    error = parse_error(_request("GET", "/bkt/%FF%FE"))
    assert (error.code, error.status) == ("InvalidURI", 400)


def test_streaming_body_is_handed_over_unread() -> None:
    calls: list[int] = []

    class Source:
        async def receive(self) -> tuple[bytes, bool]:
            calls.append(1)
            return b"data", False

    body = RequestBody(Source())
    name, params = parse(
        _request("PUT", "/bkt/k", headers={"content-length": "4", "content-type": "text/plain"}, body=body)
    )
    assert name == "PutObject"
    assert params["Body"] is body
    assert calls == []
    assert params["ContentLength"] == 4 and params["ContentType"] == "text/plain"
    assert asyncio.run(body.read()) == b"data"


def test_decoded_content_length_is_the_object_length() -> None:
    name, params = parse(
        _request(
            "PUT",
            "/bkt/k",
            headers={
                "content-length": "90",
                "x-amz-decoded-content-length": "10",
                "content-encoding": "aws-chunked",
            },
        )
    )
    assert params["ContentLength"] == 10


def test_metadata_headers_and_rfc822_dates() -> None:
    name, params = parse(
        _request(
            "PUT",
            "/bkt/k",
            headers={
                "x-amz-meta-color": "blue",
                "x-amz-meta-size": "xl",
                "expires": "Wed, 21 Oct 2015 07:28:00 GMT",
                "x-amz-object-lock-retain-until-date": "2030-01-02T03:04:05Z",
            },
        )
    )
    assert params["Metadata"] == {"color": "blue", "size": "xl"}
    assert params["Expires"].isoformat() == "2015-10-21T07:28:00+00:00"
    assert params["ObjectLockRetainUntilDate"].isoformat() == "2030-01-02T03:04:05+00:00"


def test_xml_payload_is_parsed() -> None:
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>'
        b"<Tag><Key>env</Key><Value>prod &amp; co</Value></Tag><Tag><Key>k2</Key><Value></Value></Tag>"
        b"</TagSet></Tagging>"
    )
    name, params = parse(_request("PUT", "/bkt", "tagging", body=body))
    assert name == "PutBucketTagging"
    assert params["Tagging"] == {"TagSet": [{"Key": "env", "Value": "prod & co"}, {"Key": "k2", "Value": ""}]}


def test_delete_objects_flattened_list() -> None:
    body = b"<Delete><Quiet>true</Quiet><Object><Key>a</Key></Object><Object><Key>b</Key><VersionId>v</VersionId></Object></Delete>"
    name, params = parse(_request("POST", "/bkt", "delete", body=body))
    assert params["Delete"] == {"Quiet": True, "Objects": [{"Key": "a"}, {"Key": "b", "VersionId": "v"}]}


def test_create_bucket_without_and_with_configuration() -> None:
    assert parse(_request("PUT", "/bkt"))[1] == {"Bucket": "bkt"}
    body = b"<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"
    params = parse(_request("PUT", "/bkt", body=body))[1]
    assert params["CreateBucketConfiguration"] == {"LocationConstraint": "eu-west-1"}


MALFORMED = "The XML you provided was not well-formed or did not validate against our published schema"


@pytest.mark.parametrize(
    "body",
    [
        b"<Tagging><TagSet><Tag>",
        b"not xml at all",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Tagging><TagSet/></Tagging>',
        b"<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>",  # Tag.Value is required
        b"",  # PutBucketTagging needs its Tagging document
    ],
)
def test_malformed_xml(body: bytes) -> None:
    error = parse_error(_request("PUT", "/bkt", "tagging", body=body))
    assert (error.code, error.status, error.message) == ("MalformedXML", 400, MALFORMED)


def test_bad_integer_in_query_or_header_is_invalid_argument() -> None:
    error = parse_error(_request("GET", "/bkt", "max-keys=ten"))
    assert (error.code, error.status) == ("InvalidArgument", 400)
    assert error.message == "Argument maxKeys must be an integer between 0 and 2147483647"
    assert error.fields == {"ArgumentName": "maxKeys", "ArgumentValue": "ten"}
    error = parse_error(_request("PUT", "/bkt/k", "partNumber=one&uploadId=u"))
    assert (error.code, error.status) == ("InvalidArgument", 400)
    error = parse_error(_request("PUT", "/bkt/k", headers={"content-length": "x"}))
    assert (error.code, error.status) == ("InvalidArgument", 400)


def test_bad_boolean_and_timestamp_are_invalid_argument() -> None:
    error = parse_error(_request("PUT", "/bkt/k", headers={"x-amz-object-lock-retain-until-date": "someday"}))
    assert (error.code, error.status) == ("InvalidArgument", 400)
    error = parse_error(_request("PUT", "/bkt", headers={"x-amz-bucket-object-lock-enabled": "maybe"}))
    assert (error.code, error.status) == ("InvalidArgument", 400)


@pytest.mark.parametrize(
    "method,path,host,resource,allow",
    [
        ("PATCH", "/bkt/k", "localhost", "OBJECT", "DELETE, POST, PUT, GET, HEAD"),
        ("POST", "/", "localhost", "SERVICE", "GET"),
        ("PATCH", "/", "bkt.s3.localhost", "BUCKET", None),
    ],
)
def test_unknown_method_is_method_not_allowed(
    method: str, path: str, host: str, resource: str, allow
) -> None:
    error = parse_error(_request(method, path, host=host))
    assert (error.code, error.status) == ("MethodNotAllowed", 405)
    assert error.message == "The specified method is not allowed against this resource."
    assert error.fields == {"Method": method, "ResourceType": resource}
    if allow:
        assert set(error.headers["Allow"].split(", ")) == set(allow.split(", "))


def test_missing_required_query_member_is_invalid_request() -> None:
    # POST /bkt/key without ?uploads or ?uploadId can only be CompleteMultipartUpload.
    error = parse_error(_request("POST", "/bkt/k", body=b""))
    assert (error.code, error.status) == ("InvalidRequest", 400)


def test_routes_are_compiled_once() -> None:
    routes = PARSER.routes
    parse(_request("GET", "/bkt/k"))
    assert PARSER.routes is routes
    op = S3.operation("GetObject")
    assert PARSER.plan(op) is PARSER.plan(op)


def test_header_binding_is_reused_for_the_same_header_names_only_by_name() -> None:
    """What the headers bind is worked out once per sequence of header names: a later request
    with the same names binds its own values, refuses its own bad ones, and collects its own
    metadata."""
    headers = {"content-length": "10", "x-amz-meta-color": "blue", "x-amz-storage-class": "GLACIER"}
    assert parse(_request("PUT", "/bkt/k", headers=headers))[1] | {"Body": None} == {
        "Bucket": "bkt", "Key": "k", "ContentLength": 10, "StorageClass": "GLACIER",
        "Metadata": {"color": "blue"}, "Body": None,
    }
    other = {"content-length": "7", "x-amz-meta-color": "red", "x-amz-storage-class": "STANDARD"}
    params = parse(_request("PUT", "/bkt/k", headers=other))[1]
    assert (params["ContentLength"], params["StorageClass"], params["Metadata"]) == (7, "STANDARD", {"color": "red"})
    error = parse_error(_request("PUT", "/bkt/k", headers={**other, "content-length": "seven"}))
    assert (error.code, error.status, error.fields) == (
        "InvalidArgument", 400, {"ArgumentName": "contentLength", "ArgumentValue": "seven"})
    # The first bad header in the request's order is the one reported.
    error = parse_error(_request("PUT", "/bkt/k", headers={"x-amz-write-offset-bytes": "big", "content-length": "x"}))
    assert error.fields == {"ArgumentName": "xAmzWriteOffsetBytes", "ArgumentValue": "big"}
    error = parse_error(_request("PUT", "/bkt/k", headers={"content-length": "x", "x-amz-write-offset-bytes": "big"}))
    assert error.fields == {"ArgumentName": "contentLength", "ArgumentValue": "x"}


def test_ignored_bad_date_header_stays_ignored_when_its_binding_is_reused() -> None:
    for _ in range(2):
        name, params = parse(_request("GET", "/bkt/k", headers={"if-modified-since": "yesterday", "range": "bytes=0-1"}))
        assert name == "GetObject" and "IfModifiedSince" not in params and params["Range"] == "bytes=0-1"
