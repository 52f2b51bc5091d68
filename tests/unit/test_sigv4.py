"""SigV4 parsing and verification against requests signed by botocore's own signers."""

from __future__ import annotations

import calendar
import datetime
import time
from urllib.parse import quote, urlsplit

import boto3
import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from overcast.protocol import sigv4
from overcast.protocol.errors import ServiceError
from overcast.server.http import Request, RequestBody
from tests.protocol.samples import from_prepared

ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
CREDS = Credentials(ACCESS_KEY, SECRET)
SIGNED_AT = datetime.datetime(2026, 11, 24, 12, 0, 0)
SIGNED_EPOCH = float(calendar.timegm(SIGNED_AT.timetuple()))


@pytest.fixture(autouse=True)
def fixed_signing_time(monkeypatch):
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: SIGNED_AT)


def to_request(aws_request: AWSRequest) -> Request:
    """What our server would receive for the request botocore prepared."""
    return from_prepared(aws_request.prepare())


def check(request: Request, secret: str = SECRET, now: float = SIGNED_EPOCH, **kwargs) -> None:
    auth = sigv4.parse_auth(request)
    assert auth is not None
    body = request.body._buffer if sigv4.needs_body(request, auth) else None
    sigv4.verify(request, auth, secret, now, body=body, **kwargs)


def expect_error(request: Request, code: str, status: int = 403, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        check(request, **kwargs)
    assert info.value.code == code, info.value
    assert info.value.status == status
    return info.value


ODD_KEYS = [
    "plain.txt",
    "with space.txt",
    "plus+sign",
    "tilde~and=equals",
    "ünïcødé/ключ/鍵",
    "a//double/./dot/../x",
    "percent%20literal",
    "semi;colon,comma!(paren)*'",
]


# ---------------------------------------------------------------- parse_auth


def test_parse_header_auth():
    req = AWSRequest(method="GET", url="https://sqs.us-west-2.amazonaws.com/", data=b"")
    botocore.auth.SigV4Auth(CREDS, "sqs", "us-west-2").add_auth(req)
    auth = sigv4.parse_auth(to_request(req))
    assert auth is not None
    assert (auth.access_key, auth.date, auth.region, auth.service) == (ACCESS_KEY, "20261124", "us-west-2", "sqs")
    assert auth.amz_date == "20261124T120000Z"
    assert auth.signed_headers == ("host", "x-amz-date")
    assert len(auth.signature) == 64
    assert not auth.presigned and auth.malformed is None


def test_parse_presigned():
    req = AWSRequest(method="GET", url="https://bucket.s3.amazonaws.com/key?versionId=3")
    botocore.auth.S3SigV4QueryAuth(Credentials(ACCESS_KEY, SECRET, "TOKEN/+="), "s3", "eu-west-1", 600).add_auth(req)
    auth = sigv4.parse_auth(to_request(req))
    assert auth is not None and auth.presigned
    assert (auth.access_key, auth.region, auth.service, auth.expires) == (ACCESS_KEY, "eu-west-1", "s3", 600)
    assert auth.security_token == "TOKEN/+="
    assert auth.malformed is None


def test_parse_sigv2_and_none():
    def request(headers, query=""):
        return Request("GET", "/", query, headers, RequestBody.from_bytes(b""))

    auth = sigv4.parse_auth(request({"authorization": "AWS AKIAOLD:c2lnbmF0dXJl"}))
    assert auth is not None and auth.version == 2 and auth.access_key == "AKIAOLD"
    auth = sigv4.parse_auth(request({}, "AWSAccessKeyId=AKIAQ&Expires=1&Signature=x"))
    assert auth is not None and auth.version == 2 and auth.access_key == "AKIAQ"
    assert sigv4.parse_auth(request({})) is None
    assert sigv4.parse_auth(request({"authorization": "Bearer abc"})) is None
    assert sigv4.parse_auth(request({}, "list-type=2&prefix=a")) is None


def test_parse_sigv4a():
    request = Request("GET", "/", "", {
        "authorization": "AWS4-ECDSA-P256-SHA256 Credential=AKIDA/20261124/s3/aws4_request, "
                         "SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=3045",
        "x-amz-region-set": "us-east-1,eu-west-1", "x-amz-date": "20261124T120000Z"},
        RequestBody.from_bytes(b""))
    auth = sigv4.parse_auth(request)
    assert (auth.access_key, auth.service, auth.region, auth.algorithm) == (
        "AKIDA", "s3", "us-east-1,eu-west-1", sigv4.SIGV4A_ALGORITHM)
    expect_error(request, "InvalidRequest", 400)


def test_parse_malformed_header_is_reported_not_raised():
    req = Request("GET", "/", "", {"authorization": "AWS4-HMAC-SHA256 Credential=AKID/2026/us-east-1",
                                   "x-amz-date": "20261124T120000Z"}, RequestBody.from_bytes(b""))
    auth = sigv4.parse_auth(req)
    assert auth is not None and auth.access_key == "AKID" and auth.malformed
    err = expect_error(req, "AuthorizationHeaderMalformed", 400, service="s3")
    assert err.message.startswith("The authorization header is malformed;")
    expect_error(req, "IncompleteSignatureException", 400, service="dynamodb", protocol="json")


def test_account_for_access_key():
    assert sigv4.account_for_access_key("123456789012", "000000000000") == "123456789012"
    assert sigv4.account_for_access_key("AKIAIOSFODNN7EXAMPLE", "000000000000") == "000000000000"
    assert sigv4.account_for_access_key("12345678901", "d") == "d"
    assert sigv4.account_for_access_key("١٢٣٤٥٦٧٨٩٠١٢", "d") == "d"
    assert sigv4.account_for_access_key(None, "d") == "d"


# ---------------------------------------------------------------- header signatures


@pytest.mark.parametrize("key", ODD_KEYS)
def test_s3_header_signature(key):
    url = "https://s3.us-east-1.amazonaws.com/bucket/" + quote(key, safe="/~")
    req = AWSRequest(method="PUT", url=url, data=b"hello", headers={"Content-Type": "text/plain"})
    botocore.auth.S3SigV4Auth(CREDS, "s3", "us-east-1").add_auth(req)
    check(to_request(req))


@pytest.mark.parametrize("key", ODD_KEYS)
def test_s3_presigned(key):
    url = "https://bucket.s3.amazonaws.com/" + quote(key, safe="/~") + "?response-content-type=a%2Fb&x=%20y%2B"
    req = AWSRequest(method="GET", url=url)
    botocore.auth.S3SigV4QueryAuth(CREDS, "s3", "us-east-1", 3600).add_auth(req)
    check(to_request(req), now=SIGNED_EPOCH + 3599)


@pytest.mark.parametrize(
    "service,path",
    [
        ("lambda", "/2015-03-31/functions/my%20function/invocations"),
        ("execute-api", "/prod/items/a+b/~c=d/ü"),
        ("apigateway", "/restapis/abc/resources/x%2Fy"),
        ("es", "/a/./b/../c//d"),
    ],
)
def test_other_services_double_encode(service, path):
    url = "https://svc.us-east-1.amazonaws.com" + path + "?b=2&a=1&a=0&empty="
    req = AWSRequest(method="POST", url=url, data=b'{"k": "v"}', headers={"Content-Type": "application/json"})
    botocore.auth.SigV4Auth(CREDS, service, "us-east-1").add_auth(req)
    check(to_request(req))


def test_json_service_body_hash():
    req = AWSRequest(method="POST", url="https://dynamodb.us-east-1.amazonaws.com/", data=b'{"TableName":"t"}',
                     headers={"X-Amz-Target": "DynamoDB_20120810.DescribeTable",
                              "Content-Type": "application/x-amz-json-1.0"})
    botocore.auth.SigV4Auth(CREDS, "dynamodb", "us-east-1").add_auth(req)
    request = to_request(req)
    check(request, protocol="json")
    auth = sigv4.parse_auth(request)
    with pytest.raises(ServiceError) as info:
        sigv4.verify(request, auth, SECRET, SIGNED_EPOCH, body=b'{"TableName":"u"}', protocol="json")
    assert info.value.code == "InvalidSignatureException"
    assert info.value.message == sigv4.OTHER_SIGNATURE_MESSAGE


def test_header_values_are_trimmed_and_repeated_headers_joined():
    req = AWSRequest(method="GET", url="https://sts.amazonaws.com/?Action=GetCallerIdentity",
                     headers={"X-Amz-Meta-Spaced": "  a   b  "})
    botocore.auth.SigV4Auth(CREDS, "sts", "us-east-1").add_auth(req)
    check(to_request(req))


def test_session_token_header():
    req = AWSRequest(method="GET", url="https://sqs.us-east-1.amazonaws.com/?Action=ListQueues")
    botocore.auth.SigV4Auth(Credentials(ACCESS_KEY, SECRET, "SESSION"), "sqs", "us-east-1").add_auth(req)
    request = to_request(req)
    assert sigv4.parse_auth(request).security_token == "SESSION"
    check(request)
    request.headers["x-amz-security-token"] = "OTHER"
    expect_error(request, "SignatureDoesNotMatch", protocol="query")


def test_date_header_instead_of_x_amz_date():
    req = AWSRequest(method="GET", url="https://s3.amazonaws.com/bucket",
                     headers={"Date": "Mon, 01 Jan 2001 00:00:00 GMT"})
    botocore.auth.S3SigV4Auth(CREDS, "s3", "us-east-1").add_auth(req)
    request = to_request(req)
    assert "x-amz-date" not in request.headers
    assert sigv4.parse_auth(request).amz_date == "20261124T120000Z"
    check(request)


# ---------------------------------------------------------------- tampering


def signed_s3_request() -> Request:
    url = "https://s3.us-east-1.amazonaws.com/bucket/some%20key?tagging=&versionId=1"
    req = AWSRequest(method="PUT", url=url, data=b"payload", headers={"x-amz-meta-colour": "blue"})
    botocore.auth.S3SigV4Auth(CREDS, "s3", "us-east-1").add_auth(req)
    return to_request(req)


def test_s3_untampered_passes():
    check(signed_s3_request())


@pytest.mark.parametrize(
    "tamper",
    [
        lambda r: setattr(r, "method", "POST"),
        lambda r: setattr(r, "path", "/bucket/some%20kez"),
        lambda r: setattr(r, "path", "/bucket/some+key"),
        lambda r: setattr(r, "query_string", "tagging=&versionId=2"),
        lambda r: setattr(r, "query_string", "tagging=&versionId=1&extra=1"),
        lambda r: r.headers.__setitem__("x-amz-meta-colour", "red"),
        lambda r: r.headers.__setitem__("host", "evil.example.com"),
        lambda r: r.headers.__setitem__("x-amz-date", "20261124T120001Z"),
        lambda r: r.headers.__setitem__("x-amz-content-sha256", sigv4.UNSIGNED_PAYLOAD),
        lambda r: r.headers.pop("x-amz-meta-colour"),
        lambda r: r.headers.__setitem__(
            "authorization", r.headers["authorization"].replace("us-east-1", "us-west-2")),
        lambda r: r.headers.__setitem__(
            "authorization", r.headers["authorization"][:-1] + ("0" if r.headers["authorization"][-1] != "0" else "1")),
    ],
)
def test_s3_tampering_is_caught(tamper):
    request = signed_s3_request()
    tamper(request)
    err = expect_error(request, "SignatureDoesNotMatch")
    assert err.message == sigv4.S3_SIGNATURE_MESSAGE
    assert err.fields["AWSAccessKeyId"] == ACCESS_KEY
    assert err.fields["StringToSign"].startswith("AWS4-HMAC-SHA256\n")
    assert "CanonicalRequest" in err.fields


def test_s3_unsigned_amz_header():
    request = signed_s3_request()
    request.headers["authorization"] = request.headers["authorization"].replace(";x-amz-meta-colour", "")
    request.headers["x-amz-meta-extra"] = "1"
    err = expect_error(request, "AccessDenied")
    assert err.message == "There were headers present in the request which were not signed"
    assert err.fields == {"HeadersNotSigned": "x-amz-meta-colour, x-amz-meta-extra"}


def test_wrong_secret():
    err = expect_error(signed_s3_request(), "SignatureDoesNotMatch", secret="not-the-secret")
    assert err.message == sigv4.S3_SIGNATURE_MESSAGE


def test_wrong_secret_other_services():
    req = AWSRequest(method="POST", url="https://sqs.us-east-1.amazonaws.com/", data=b"Action=ListQueues")
    botocore.auth.SigV4Auth(CREDS, "sqs", "us-east-1").add_auth(req)
    err = expect_error(to_request(req), "SignatureDoesNotMatch", secret="x", protocol="query")
    assert err.message == sigv4.OTHER_SIGNATURE_MESSAGE
    assert err.fields == {}
    expect_error(to_request(req), "InvalidSignatureException", 400, secret="x", protocol="json")
    expect_error(to_request(req), "InvalidSignatureException", 403, secret="x", protocol="rest-json")


def test_non_ascii_signature_is_a_mismatch_not_a_crash():
    request = signed_s3_request()
    request.headers["authorization"] = request.headers["authorization"][:-1] + "é"
    expect_error(request, "SignatureDoesNotMatch")


def test_presigned_other_service():
    req = AWSRequest(method="GET", url="https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15")
    botocore.auth.SigV4QueryAuth(CREDS, "sts", "us-east-1", 900).add_auth(req)
    request = to_request(req)
    check(request, protocol="query")
    expect_error(request, "AccessDenied", now=SIGNED_EPOCH + 901, protocol="query")
    request.query_string = request.query_string.replace("Version=2011-06-15", "Version=2011-06-16")
    request._query = None
    expect_error(request, "SignatureDoesNotMatch", protocol="query")


def test_presigned_tampering():
    req = AWSRequest(method="GET", url="https://bucket.s3.amazonaws.com/k")
    botocore.auth.S3SigV4QueryAuth(CREDS, "s3", "us-east-1", 60).add_auth(req)
    request = to_request(req)
    check(request)
    request.query_string = request.query_string.replace("X-Amz-Expires=60", "X-Amz-Expires=600")
    request._query = None
    expect_error(request, "SignatureDoesNotMatch")


# ---------------------------------------------------------------- time


def presigned(expires: int) -> Request:
    req = AWSRequest(method="GET", url="https://bucket.s3.amazonaws.com/k")
    botocore.auth.S3SigV4QueryAuth(CREDS, "s3", "us-east-1", expires).add_auth(req)
    return to_request(req)


def test_presigned_expired():
    request = presigned(60)
    check(request, now=SIGNED_EPOCH + 60)
    err = expect_error(request, "AccessDenied", now=SIGNED_EPOCH + 61)
    assert err.message == "Request has expired"
    assert err.fields == {
        "X-Amz-Expires": "60",
        "Expires": "2026-11-24T12:01:00Z",
        "ServerTime": "2026-11-24T12:01:01Z",
    }


def test_presigned_expires_over_a_week():
    err = expect_error(presigned(604801), "AuthorizationQueryParametersError", 400)
    assert "604800" in err.message
    check(presigned(604800))


def test_presigned_missing_parameter():
    request = presigned(60)
    request.query_string = "&".join(p for p in request.query_string.split("&") if not p.startswith("X-Amz-Date="))
    request._query = None
    err = expect_error(request, "AuthorizationQueryParametersError", 400)
    assert err.message == sigv4.PRESIGNED_PARAMS_MESSAGE


def test_skew():
    request = signed_s3_request()
    check(request, now=SIGNED_EPOCH + 899)
    err = expect_error(request, "RequestTimeTooSkewed", now=SIGNED_EPOCH + 901)
    assert err.fields["MaxAllowedSkewMilliseconds"] == "900000"
    check(request, now=SIGNED_EPOCH + 10_000, check_skew=False)

    req = AWSRequest(method="POST", url="https://sqs.us-east-1.amazonaws.com/", data=b"Action=ListQueues")
    botocore.auth.SigV4Auth(CREDS, "sqs", "us-east-1").add_auth(req)
    err = expect_error(to_request(req), "SignatureDoesNotMatch", now=SIGNED_EPOCH + 301, protocol="query")
    assert err.message == (
        "Signature expired: 20261124T120000Z is now earlier than 20261124T120001Z (20261124T120501Z - 5 min.)"
    )


# ---------------------------------------------------------------- other errors


def test_unknown_key_errors():
    err = sigv4.unknown_key_error("s3", "AKIAX")
    assert (err.code, err.status, err.message) == ("InvalidAccessKeyId", 403, sigv4.S3_UNKNOWN_KEY_MESSAGE)
    assert err.fields == {"AWSAccessKeyId": "AKIAX"}
    err = sigv4.unknown_key_error("dynamodb", "AKIAX", "json")
    assert (err.code, err.status) == ("UnrecognizedClientException", 400)  # awsJson answers 400
    assert sigv4.unknown_key_error("lambda", "AKIAX", "rest-json").status == 403
    assert err.message == "The security token included in the request is invalid."
    assert sigv4.unknown_key_error("sts", "AKIAX", "query").code == "InvalidClientTokenId"


def test_wrong_region_error():
    auth = sigv4.parse_auth(signed_s3_request())
    err = sigv4.wrong_region_error(auth, "eu-west-1")
    assert (err.code, err.status) == ("AuthorizationHeaderMalformed", 400)
    assert err.message == (
        "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'")
    assert err.fields == {"Region": "eu-west-1"}
    assert sigv4.wrong_region_error(sigv4.parse_auth(presigned(60)), "eu-west-1").code == (
        "AuthorizationQueryParametersError")


def test_verify_request_reads_the_body_when_needed():
    import asyncio

    req = AWSRequest(method="POST", url="https://dynamodb.us-east-1.amazonaws.com/", data=b'{"Limit":1}')
    botocore.auth.SigV4Auth(CREDS, "dynamodb", "us-east-1").add_auth(req)
    request = to_request(req)
    auth = sigv4.parse_auth(request)
    asyncio.run(sigv4.verify_request(request, auth, SECRET, SIGNED_EPOCH, protocol="json"))
    with pytest.raises(ServiceError):
        asyncio.run(sigv4.verify_request(request, auth, "wrong", SIGNED_EPOCH, protocol="json"))


def test_sigv2_is_refused_when_verifying():
    request = Request("GET", "/b", "", {"authorization": "AWS AKID:sig"}, RequestBody.from_bytes(b""))
    expect_error(request, "InvalidRequest", 400)


def test_content_sha256_validation():
    request = signed_s3_request()
    request.headers["x-amz-content-sha256"] = "nonsense"
    err = expect_error(request, "InvalidArgument", 400)
    assert err.message == sigv4.BAD_PAYLOAD_HASH_MESSAGE
    assert err.fields == {"ArgumentName": "x-amz-content-sha256", "ArgumentValue": "nonsense"}
    del request.headers["x-amz-content-sha256"]
    err = expect_error(request, "InvalidRequest", 400)
    assert err.message == "Missing required header for this request: x-amz-content-sha256"


def test_payload_hash_checker():
    request = signed_s3_request()
    checker = sigv4.PayloadHashChecker.for_request(request)
    assert checker is not None
    checker.update(b"pay")
    checker.update(memoryview(b"load"))
    checker.check()
    bad = sigv4.PayloadHashChecker.for_request(request)
    bad.update(b"payloaX")
    with pytest.raises(ServiceError) as info:
        bad.check()
    err = info.value
    assert (err.code, err.status) == ("XAmzContentSHA256Mismatch", 400)
    assert err.message == "The provided 'x-amz-content-sha256' header does not match what was computed."
    assert err.fields["ClientComputedContentSHA256"] == request.headers["x-amz-content-sha256"]
    assert len(err.fields["S3ComputedContentSHA256"]) == 64
    request.headers["x-amz-content-sha256"] = sigv4.UNSIGNED_PAYLOAD
    assert sigv4.PayloadHashChecker.for_request(request) is None


# ---------------------------------------------------------------- real clients


@pytest.mark.parametrize("key", ["plain", "dir/ü key+~=%.txt"])
def test_boto3_presigned_urls(key):
    client = boto3.client(
        "s3", region_name="us-east-1", endpoint_url="http://localhost:4566",
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET,
        config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}),
    )
    for method, params in [
        ("get_object", {"Bucket": "b", "Key": key, "ResponseContentDisposition": "attachment; x=y"}),
        ("put_object", {"Bucket": "b", "Key": key}),
    ]:
        url = urlsplit(client.generate_presigned_url(method, Params=params, ExpiresIn=300))
        http_method = "GET" if method == "get_object" else "PUT"
        request = Request(http_method, url.path, url.query, {"host": url.netloc}, RequestBody.from_bytes(b"data"))
        signed_at = calendar.timegm(time.strptime(sigv4.parse_auth(request).amz_date, "%Y%m%dT%H%M%SZ"))
        check(request, now=signed_at + 300)
        expect_error(request, "AccessDenied", now=signed_at + 301)
        request.method = "DELETE"
        expect_error(request, "SignatureDoesNotMatch", now=signed_at)


class Captured(Exception):
    def __init__(self, request):
        self.request = request


def capture(service: str, operation: str, **params) -> Request:
    """The request a real boto3 client would send, stopped just before the network."""
    client = boto3.client(
        service, region_name="us-east-1", endpoint_url="http://localhost:4566",
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
    )

    def stop(request, **_):
        raise Captured(request)

    client.meta.events.register("before-send", stop)
    with pytest.raises(Captured) as info:
        getattr(client, operation)(**params)
    prepared = info.value.request
    url = urlsplit(prepared.url)
    headers = {k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in prepared.headers.items()}
    headers.setdefault("host", url.netloc)
    body = prepared.body or b""
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    return Request(prepared.method, url.path, url.query, headers, RequestBody.from_bytes(body))


@pytest.mark.parametrize(
    "service,operation,params,protocol",
    [
        ("s3", "put_object", {"Bucket": "b", "Key": "dir/ü key+~=%.txt", "Body": b"data"}, "rest-xml"),
        ("s3", "list_objects_v2", {"Bucket": "b", "Prefix": "a b+c", "Delimiter": "/"}, "rest-xml"),
        ("sqs", "list_queues", {"QueueNamePrefix": "x y"}, "json"),
        ("sts", "get_caller_identity", {}, "query"),
        ("dynamodb", "list_tables", {}, "json"),
        ("lambda", "invoke", {"FunctionName": "my-fn:live", "Payload": b"{}"}, "rest-json"),
        ("s3control", "list_access_points", {"AccountId": "123456789012", "Bucket": "b c"}, "rest-xml"),
        ("apigateway", "get_resources", {"restApiId": "a b"}, "rest-json"),
        ("lambda", "get_function", {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:f"},
         "rest-json"),
    ],
)
def test_real_client_requests(service, operation, params, protocol):
    request = capture(service, operation, **params)
    check(request, now=time.time(), protocol=protocol)
    request.headers["x-amz-date"] = "20000101T000000Z"
    with pytest.raises(ServiceError):
        check(request, protocol=protocol, check_skew=False)
