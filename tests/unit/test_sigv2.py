"""S3's legacy SigV2, checked against botocore's HmacV1 signers and boto3's default presigned URLs."""

from __future__ import annotations

import time
from urllib.parse import quote, urlsplit

import boto3
import pytest
from botocore.auth import HmacV1Auth, HmacV1QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from overcast.protocol import sigv4
from overcast.protocol.errors import ServiceError
from overcast.server.http import Request, RequestBody
from tests.protocol.samples import from_prepared

SECRET = "v2-secret/+="
CREDS = Credentials("AKIDV2", SECRET)


def to_request(aws_request: AWSRequest) -> Request:
    return from_prepared(aws_request.prepare())


def check(request: Request, now: float | None = None, secret: str = SECRET) -> None:
    auth = sigv4.parse_auth(request)
    assert auth is not None and auth.version == 2
    sigv4.verify(request, auth, secret, time.time() if now is None else now, service="s3")


def error_of(request: Request, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        check(request, **kwargs)
    return info.value


KEYS = ["plain", "with space", "ü/+~=", "a;b,c"]


@pytest.mark.parametrize("key", KEYS)
def test_header_signed_path_style(key):
    url = "http://localhost:4566/bucket/" + quote(key, safe="/~") + "?acl&versionId=v%201&list-type=2"
    req = AWSRequest(method="PUT", url=url, headers={"Content-Type": "text/plain", "X-Amz-Meta-A": " x  y "})
    HmacV1Auth(CREDS).add_auth(req)
    request = to_request(req)
    check(request)
    assert sigv4.parse_auth(request).access_key == "AKIDV2"
    request.headers["x-amz-meta-a"] = "z"
    err = error_of(request)
    assert (err.code, err.status, err.message) == ("SignatureDoesNotMatch", 403, sigv4.S3_SIGNATURE_MESSAGE)
    assert err.fields["AWSAccessKeyId"] == "AKIDV2"


def test_header_signed_virtual_host():
    req = AWSRequest(method="GET", url="http://bucket.localhost:4566/key%20x")
    req.auth_path = "/bucket/key%20x"
    HmacV1Auth(CREDS).add_auth(req)
    check(to_request(req))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda r: setattr(r, "method", "DELETE"),
        lambda r: setattr(r, "path", "/bucket/other"),
        lambda r: setattr(r, "query_string", "acl&versionId=2"),
        lambda r: r.headers.__setitem__("content-type", "application/json"),
        lambda r: r.headers.__setitem__("x-amz-acl", "public-read"),
    ],
)
def test_tampering(tamper):
    req = AWSRequest(method="PUT", url="http://localhost:4566/bucket/key?acl&versionId=1",
                     headers={"Content-Type": "text/plain"})
    HmacV1Auth(CREDS).add_auth(req)
    request = to_request(req)
    check(request)
    tamper(request)
    assert error_of(request).code == "SignatureDoesNotMatch"


def test_wrong_secret_and_skew():
    req = AWSRequest(method="GET", url="http://localhost:4566/bucket")
    HmacV1Auth(CREDS).add_auth(req)
    request = to_request(req)
    assert error_of(request, secret="nope").code == "SignatureDoesNotMatch"
    err = error_of(request, now=time.time() + 3600)
    assert (err.code, err.status) == ("RequestTimeTooSkewed", 403)


def test_query_signed_and_expiry():
    req = AWSRequest(method="GET", url="http://localhost:4566/bucket/k%20y?response-content-type=a%2Fb")
    HmacV1QueryAuth(CREDS, expires=60).add_auth(req)
    request = to_request(req)
    auth = sigv4.parse_auth(request)
    assert auth.presigned and auth.expires is not None
    check(request, now=auth.expires)
    err = error_of(request, now=auth.expires + 1)
    assert (err.code, err.status, err.message) == ("AccessDenied", 403, "Request has expired")
    assert set(err.fields) == {"Expires", "ServerTime"}


def test_boto3_default_presigned_urls():
    client = boto3.client("s3", region_name="us-east-1", endpoint_url="http://localhost:4566",
                          aws_access_key_id="AKIDV2", aws_secret_access_key=SECRET)
    url = urlsplit(client.generate_presigned_url(
        "put_object", Params={"Bucket": "b", "Key": "dir/ü x", "ACL": "public-read"}, ExpiresIn=120))
    request = Request("PUT", url.path, url.query, {"host": url.netloc}, RequestBody.from_bytes(b""))
    auth = sigv4.parse_auth(request)
    if auth.version != 2:
        pytest.skip("this botocore presigns S3 with SigV4 by default")
    check(request)
    request.method = "GET"
    assert error_of(request).code == "SignatureDoesNotMatch"


def test_sigv2_outside_s3_is_refused():
    request = Request("GET", "/", "", {"authorization": "AWS AKID:sig"}, RequestBody.from_bytes(b""))
    auth = sigv4.parse_auth(request)
    with pytest.raises(ServiceError) as info:
        sigv4.verify(request, auth, SECRET, time.time(), service="sqs", protocol="query")
    assert (info.value.code, info.value.status) == ("InvalidRequest", 400)
