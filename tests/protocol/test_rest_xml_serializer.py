"""rest-xml responses (S3 and CloudFront): bodies, headers, errors, as botocore reads them."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import SimpleNamespace

from botocore.handlers import parse_get_bucket_location

from overcast.protocol.errors import ServiceError
from overcast.protocol.model import load_service_model
from overcast.protocol.registry import serializer_for
from overcast.server.context import RequestContext
from overcast.server.http import Request, RequestBody
from tests.protocol.rest_wire import client_parse, client_parse_error, response_body_bytes

S3 = load_service_model("s3")
S3_SERIALIZER = serializer_for(S3)
CLOUDFRONT = load_service_model("cloudfront")
CF_SERIALIZER = serializer_for(CLOUDFRONT)
NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def ctx(method: str = "GET") -> RequestContext:
    request = Request(method=method, path="/", query_string="", headers={}, body=RequestBody.from_bytes(b""))
    return RequestContext(
        request=request, request_id="4442587FB7D0A2F9", account_id="000000000000", region="us-east-1"
    )


def test_every_s3_response_carries_request_ids() -> None:
    response = S3_SERIALIZER.serialize(ctx(), S3.operation("DeleteBucket"), {})
    assert response.get_header("x-amz-request-id") == "4442587FB7D0A2F9"
    assert response.get_header("x-amz-id-2")
    assert response.status == 204 and response.body == b""


def test_list_objects_v2_body() -> None:
    when = datetime(2015, 10, 21, 7, 28, tzinfo=UTC)
    output = {
        "Name": "bkt",
        "Prefix": "a<b",
        "KeyCount": 1,
        "MaxKeys": 1000,
        "IsTruncated": False,
        "Contents": [
            {"Key": "a<b&c", "LastModified": when, "ETag": '"abc"', "Size": 3, "StorageClass": "STANDARD"}
        ],
        "CommonPrefixes": [{"Prefix": "p/"}],
    }
    response = S3_SERIALIZER.serialize(ctx(), S3.operation("ListObjectsV2"), output)
    body = response_body_bytes(response)
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(body)
    assert root.tag == NS + "ListBucketResult"
    # Contents is a flattened list: one element per object, directly under the root.
    contents = root.findall(NS + "Contents")
    assert len(contents) == 1
    assert contents[0].find(NS + "Key").text == "a<b&c"
    assert contents[0].find(NS + "LastModified").text == "2015-10-21T07:28:00.000Z"
    assert root.find(NS + "IsTruncated").text == "false"
    assert response.get_header("Content-Type") == "application/xml"
    assert client_parse("s3", "ListObjectsV2", response) == output


def test_get_object_headers_and_streaming_body() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"hello "
        yield b"world"

    stream = chunks()
    output = {
        "Body": stream,
        "ContentLength": 11,
        "ContentType": "text/plain",
        "ETag": '"5eb63bbbe01eeed093cb22bb8f5acdc3"',
        "LastModified": datetime(2015, 10, 21, 7, 28, tzinfo=UTC),
        "Metadata": {"color": "blue"},
        "VersionId": "v1",
    }
    response = S3_SERIALIZER.serialize(ctx(), S3.operation("GetObject"), output)
    assert response.body is stream
    assert response.get_header("Last-Modified") == "Wed, 21 Oct 2015 07:28:00 GMT"
    assert response.get_header("x-amz-meta-color") == "blue"
    assert response.get_header("Content-Length") == "11"
    assert response.get_header("x-amz-version-id") == "v1"
    parsed = client_parse("s3", "GetObject", response)
    assert parsed["Body"] == b"hello world"
    assert parsed["Metadata"] == {"color": "blue"}
    assert parsed["LastModified"] == output["LastModified"]


def test_bytes_payload_passes_through() -> None:
    response = S3_SERIALIZER.serialize(ctx(), S3.operation("GetObject"), {"Body": b"\x00\xffraw"})
    assert response.body == b"\x00\xffraw"


def test_grantee_xsi_type_attribute() -> None:
    output = {
        "Owner": {"ID": "abc"},
        "Grants": [{"Grantee": {"ID": "abc", "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}],
    }
    response = S3_SERIALIZER.serialize(ctx(), S3.operation("GetBucketAcl"), output)
    body = response_body_bytes(response).decode()
    assert 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"' in body
    assert 'xsi:type="CanonicalUser"' in body
    assert client_parse("s3", "GetBucketAcl", response) == output


def _location(region: str | None) -> str | None:
    output = {"LocationConstraint": region} if region is not None else {}
    response = S3_SERIALIZER.serialize(ctx(), S3.operation("GetBucketLocation"), output)
    parsed = client_parse("s3", "GetBucketLocation", response)
    parse_get_bucket_location(parsed, SimpleNamespace(content=response_body_bytes(response), raw=object()))
    return parsed.get("LocationConstraint")


def test_get_bucket_location() -> None:
    response = S3_SERIALIZER.serialize(
        ctx(), S3.operation("GetBucketLocation"), {"LocationConstraint": "eu-west-1"}
    )
    assert response_body_bytes(response) == (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>'
    )
    assert _location("eu-west-1") == "eu-west-1"
    assert _location("us-east-1") is None
    assert _location(None) is None


def test_s3_error_body() -> None:
    error = ServiceError(
        "The specified bucket does not exist", code="NoSuchBucket", status=404, BucketName="bkt"
    )
    response = S3_SERIALIZER.serialize_error(ctx(), S3.operation("ListObjects"), error)
    body = response_body_bytes(response)
    assert response.status == 404
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchBucket</Code>')
    root = ET.fromstring(body)
    assert root.tag == "Error"
    assert [child.tag for child in root] == ["Code", "Message", "BucketName", "RequestId", "HostId"]
    assert root.find("RequestId").text == "4442587FB7D0A2F9"
    assert root.find("HostId").text == response.get_header("x-amz-id-2")
    parsed = client_parse_error("s3", response)
    assert parsed["Error"] == {
        "Code": "NoSuchBucket",
        "Message": "The specified bucket does not exist",
        "BucketName": "bkt",
    }
    assert parsed["ResponseMetadata"]["RequestId"] == "4442587FB7D0A2F9"


def test_s3_head_errors_have_no_body() -> None:
    error = ServiceError("Not Found", code="NoSuchKey", status=404)
    response = S3_SERIALIZER.serialize_error(ctx("HEAD"), S3.operation("HeadObject"), error)
    assert (response.status, response.body) == (404, b"")
    assert response.get_header("x-amz-request-id") == "4442587FB7D0A2F9"
    assert client_parse_error("s3", response)["Error"]["Code"] == "404"


def test_error_message_is_escaped() -> None:
    error = ServiceError("bad <key> & more", code="InvalidArgument", status=400, ArgumentName="a<b")
    response = S3_SERIALIZER.serialize_error(ctx(), None, error)
    parsed = client_parse_error("s3", response)
    assert parsed["Error"]["Message"] == "bad <key> & more"
    assert parsed["Error"]["ArgumentName"] == "a<b"


def test_cloudfront_error_response() -> None:
    error = ServiceError("The specified distribution does not exist.", code="NoSuchDistribution", status=404)
    response = CF_SERIALIZER.serialize_error(ctx(), CLOUDFRONT.operation("GetDistribution"), error)
    root = ET.fromstring(response_body_bytes(response))
    assert root.tag.endswith("ErrorResponse")
    assert root.tag.startswith("{http://cloudfront.amazonaws.com/doc/")
    parsed = client_parse_error("cloudfront", response)
    assert parsed["Error"] == {
        "Type": "Sender",
        "Code": "NoSuchDistribution",
        "Message": "The specified distribution does not exist.",
    }
    assert parsed["ResponseMetadata"]["RequestId"] == "4442587FB7D0A2F9"
    server = ServiceError("boom", code="InternalError", status=500, sender_fault=False)
    parsed = client_parse_error("cloudfront", CF_SERIALIZER.serialize_error(ctx(), None, server))
    assert parsed["Error"]["Type"] == "Receiver"


def test_cloudfront_payload_has_namespace_and_etag_header() -> None:
    op = CLOUDFRONT.operation("GetCloudFrontOriginAccessIdentity")
    output = {
        "CloudFrontOriginAccessIdentity": {
            "Id": "E1",
            "S3CanonicalUserId": "abc",
            "CloudFrontOriginAccessIdentityConfig": {"CallerReference": "r", "Comment": "c"},
        },
        "ETag": "E2",
    }
    response = CF_SERIALIZER.serialize(ctx(), op, output)
    root = ET.fromstring(response_body_bytes(response))
    assert root.tag == "{http://cloudfront.amazonaws.com/doc/2020-05-31/}CloudFrontOriginAccessIdentity"
    assert response.get_header("ETag") == "E2"
    assert client_parse("cloudfront", "GetCloudFrontOriginAccessIdentity", response) == output


def test_async_iterator_body_is_not_consumed_by_serializer() -> None:
    consumed: list[bytes] = []

    async def chunks() -> AsyncIterator[bytes]:
        consumed.append(b"x")
        yield b"x"

    stream = chunks()
    response = S3_SERIALIZER.serialize(ctx(), S3.operation("GetObject"), {"Body": stream})
    assert consumed == []
    assert asyncio.run(_drain(response.body)) == b"x"


async def _drain(body: AsyncIterator[bytes]) -> bytes:
    return b"".join([c async for c in body])


def test_not_modified_has_no_body() -> None:
    error = ServiceError("Not Modified", code="NotModified", status=304, headers={"ETag": '"abc"'})
    response = S3_SERIALIZER.serialize_error(ctx(), S3.operation("GetObject"), error)
    # Empty either way: bytes, or (to keep Content-Length out of a 304) an iterator of nothing.
    assert (response.status, response_body_bytes(response)) == (304, b"")
    assert response.get_header("ETag") == '"abc"'


def test_cloudfront_malformed_and_missing_payload() -> None:
    import asyncio

    import pytest

    from overcast.protocol.registry import parser_for

    parser = parser_for(CLOUDFRONT)
    for body in (b"<DistributionConfig><CallerReference>", b""):
        request = Request(
            method="POST",
            path="/2020-05-31/distribution",
            query_string="",
            headers={"host": "localhost"},
            body=RequestBody.from_bytes(body),
        )
        with pytest.raises(ServiceError) as info:
            asyncio.run(parser.parse(request))
        assert (info.value.code, info.value.status) == ("MalformedXML", 400)


def test_ranged_get_object_is_206() -> None:
    output = {"Body": b"ell", "ContentLength": 3, "ContentRange": "bytes 1-3/11"}
    response = S3_SERIALIZER.serialize(ctx(), S3.operation("GetObject"), output)
    assert response.status == 206
    assert response.get_header("Content-Range") == "bytes 1-3/11"
    parsed = client_parse("s3", "GetObject", response)
    assert parsed["Body"] == b"ell" and parsed["ContentRange"] == "bytes 1-3/11"
    assert S3_SERIALIZER.serialize(ctx(), S3.operation("GetObject"), {"Body": b"x"}).status == 200


def test_header_values_beyond_latin1_are_rfc2047_words() -> None:
    output = {"Body": b"", "Metadata": {"city": "東京", "plain": "café"}}
    response = S3_SERIALIZER.serialize(ctx(), S3.operation("GetObject"), output)
    assert response.get_header("x-amz-meta-city") == "=?UTF-8?B?5p2x5Lqs?="
    assert response.get_header("x-amz-meta-plain") == "café"
    for _, value in response.headers:
        value.encode("latin-1")
