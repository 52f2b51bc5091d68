"""Signatures, end to end: a server started with --verify-signatures checks every request
against its configured credentials (test:test here) and answers as AWS does; a default server
still checks presigned URLs signed with a configured key (expiry and tampering), and accepts
unknown keys.

The clock of the server is moved (POST /_overcast/clock) to expire presigned URLs, never slept.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import urllib.error
import urllib.request
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum

from tests.support.raw_http import (
    FORM,
    JSON_10,
    json_call,
    move_clock,
    request,
    sign_headers,
)
from tests.support.server import ServerProcess

S3_SIGNATURE_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)
OTHER_SIGNATURE_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
UNKNOWN_KEY_MESSAGE = "The security token included in the request is invalid."
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    proc = ServerProcess(tmp_path_factory.mktemp("strict") / "data",
                         extra_args=["--verify-signatures", "--credentials", "test:test"])
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def lenient(tmp_path_factory):
    """A default server of this module's own, since these tests move its clock."""
    proc = ServerProcess(tmp_path_factory.mktemp("lenient") / "data")
    proc.start()
    yield proc
    proc.stop()


def client(server, service: str, key: str = "test", secret: str = "test", **config):
    return boto3.client(service, endpoint_url=server.endpoint_url, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}, **config))


def client_error(call, *args, **kwargs) -> dict:
    with pytest.raises(ClientError) as err:
        call(*args, **kwargs)
    return err.value.response


def status_of(response: dict) -> int:
    return response["ResponseMetadata"]["HTTPStatusCode"]


def fetch(url: str, method: str = "GET", data: bytes | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, method=method, data=data)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def error_fields(body: bytes) -> dict[str, str]:
    from xml.etree import ElementTree

    return {child.tag: child.text or "" for child in ElementTree.fromstring(body)}


@pytest.fixture
def moved_clock():
    """Moves a server's clock and puts it back afterwards, whatever happens."""
    moved = []

    def advance(server, seconds: float) -> None:
        moved.append(server)
        move_clock(server.endpoint_url, {"advance": seconds})

    yield advance
    for server in moved:
        move_clock(server.endpoint_url, {"reset": True})


# ------------------------------------------------------------------ valid signatures pass


def test_valid_s3_calls_pass(strict):
    s3 = client(strict, "s3")
    bucket = unique("strict")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x" * 20000, Metadata={"a": "b"})
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"x" * 20000
    assert got["Metadata"] == {"a": "b"}
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="k")["Contents"]] == ["k"]
    s3.delete_object(Bucket=bucket, Key="k")


def test_legacy_sigv2_s3_calls_pass_and_wrong_secret_fails(strict):
    s3 = client(strict, "s3", signature_version="s3")  # `Authorization: AWS key:signature`
    bucket = unique("sigv2")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="dir/k", Body=b"v2")
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    assert s3.get_object(Bucket=bucket, Key="dir/k")["Body"].read() == b"v2"
    assert s3.list_objects_v2(Bucket=bucket, Prefix="dir/")["KeyCount"] == 1
    response = client_error(client(strict, "s3", secret="nope", signature_version="s3").put_object,
                            Bucket=bucket, Key="other", Body=b"x")
    assert status_of(response) == 403
    assert response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert s3.list_objects_v2(Bucket=bucket, Prefix="other")["KeyCount"] == 0


def test_a_session_token_is_signed_along_and_accepted(strict):
    # What a Lambda function's SDK sends (its environment has AWS_SESSION_TOKEN, as on Lambda):
    # the token rides in X-Amz-Security-Token, signed with the rest, and is not itself checked.
    with_token = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "aws_session_token": "OVERCAST" + "x" * 200}
    for service, call in (("s3", "list_buckets"), ("dynamodb", "list_tables"), ("lambda", "list_functions")):
        made = boto3.client(service, endpoint_url=strict.endpoint_url, region_name="us-east-1", **with_token,
                            config=Config(retries={"max_attempts": 1}))
        assert status_of(getattr(made, call)()) == 200


def test_valid_json_and_rest_json_calls_pass(strict):
    ddb = client(strict, "dynamodb")
    name = unique("table")
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}})
    assert ddb.get_item(TableName=name, Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}
    assert "Functions" in client(strict, "lambda").list_functions()


@pytest.mark.parametrize("service, call, operation", [
    ("sts", "get_caller_identity", "sts:GetCallerIdentity"),  # query
    ("sqs", "list_queues", "sqs:ListQueues"),  # json
    ("cloudwatch", "list_metrics", "cloudwatch:ListMetrics"),  # smithy-rpc-v2-cbor
])
def test_valid_signature_reaches_dispatch_of_services_without_provider(strict, service, call, operation):
    response = client_error(getattr(client(strict, service), call))
    assert status_of(response) == 501
    assert response["Error"]["Code"] == "NotImplemented"
    assert operation in response["Error"]["Message"]


# ------------------------------------------------------------------ wrong secret, unknown key


def test_s3_wrong_secret_is_signature_does_not_match(strict):
    good = client(strict, "s3")
    bucket = unique("wrong")
    good.create_bucket(Bucket=bucket)
    bad = client(strict, "s3", secret="not-the-secret")
    response = client_error(bad.put_object, Bucket=bucket, Key="k", Body=b"data")
    assert status_of(response) == 403
    error = response["Error"]
    assert error["Code"] == "SignatureDoesNotMatch"
    assert error["Message"] == S3_SIGNATURE_MESSAGE
    assert error["AWSAccessKeyId"] == "test"
    assert error["StringToSign"].startswith("AWS4-HMAC-SHA256\n")
    assert error["CanonicalRequest"].startswith(f"PUT\n/{bucket}/k\n")
    assert good.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_s3_head_with_wrong_secret_is_403_without_body(strict):
    bucket = unique("head")
    client(strict, "s3").create_bucket(Bucket=bucket)
    resp = request(strict.endpoint_url, "HEAD", f"/{bucket}", service="s3", secret="nope")
    assert resp.status == 403
    assert resp.body == b""
    assert client_error(client(strict, "s3", secret="nope").head_bucket, Bucket=bucket)["Error"]["Code"] == "403"


def test_s3_unknown_key_is_invalid_access_key_id(strict):
    response = client_error(client(strict, "s3", key="AKIDUNKNOWN0000").list_buckets)
    assert status_of(response) == 403
    assert response["Error"]["Code"] == "InvalidAccessKeyId"
    assert response["Error"]["Message"] == "The AWS Access Key Id you provided does not exist in our records."
    assert response["Error"]["AWSAccessKeyId"] == "AKIDUNKNOWN0000"


def test_dynamodb_wrong_secret_and_unknown_key(strict):
    name = unique("never")
    wrong = client(strict, "dynamodb", secret="nope")
    response = client_error(wrong.create_table, TableName=name, BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    # DynamoDB (awsJson) answers failed authentication with 400, unlike the REST services.
    assert status_of(response) == 400
    assert response["Error"]["Code"] == "InvalidSignatureException"
    assert response["Error"]["Message"] == OTHER_SIGNATURE_MESSAGE
    unknown = client_error(client(strict, "dynamodb", key="AKIDUNKNOWN0000").list_tables)
    assert status_of(unknown) == 400
    assert unknown["Error"]["Code"] == "UnrecognizedClientException"
    assert unknown["Error"]["Message"] == UNKNOWN_KEY_MESSAGE
    assert name not in client(strict, "dynamodb").list_tables()["TableNames"]


def test_dynamodb_auth_errors_on_the_wire(strict):
    resp = json_call(strict.endpoint_url, "dynamodb", "DynamoDB_20120810.ListTables", {}, secret="nope")
    assert resp.status == 400
    assert resp.json() == {"__type": "com.amazon.coral.service#InvalidSignatureException",
                           "message": OTHER_SIGNATURE_MESSAGE}
    assert resp.header("x-amzn-ErrorType") == "InvalidSignatureException"


@pytest.mark.parametrize("service, call, wrong_secret_code, unknown_key_code", [
    ("lambda", "list_functions", "InvalidSignatureException", "UnrecognizedClientException"),
    ("sts", "get_caller_identity", "SignatureDoesNotMatch", "InvalidClientTokenId"),
], ids=["rest-json", "query"])
def test_wrong_secret_and_unknown_key(strict, service, call, wrong_secret_code, unknown_key_code):
    response = client_error(getattr(client(strict, service, secret="nope"), call))
    assert status_of(response) == 403
    assert response["Error"]["Code"] == wrong_secret_code
    assert response["Error"]["Message"] == OTHER_SIGNATURE_MESSAGE
    unknown = client_error(getattr(client(strict, service, key="AKIDUNKNOWN0000"), call))
    assert status_of(unknown) == 403
    assert unknown["Error"]["Code"] == unknown_key_code
    assert unknown["Error"]["Message"] == UNKNOWN_KEY_MESSAGE


@pytest.mark.parametrize("service, method, path, body, headers, status, code, message", [
    ("s3", "GET", "/", b"", {}, 403, "AccessDenied", "Access Denied"),
    ("s3", "PUT", "/anonymous-bucket", b"", {}, 403, "AccessDenied", "Access Denied"),
    ("dynamodb", "POST", "/", b"{}", {"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": JSON_10},
     400, "MissingAuthenticationTokenException", "Request is missing Authentication Token"),
    ("lambda", "GET", "/2015-03-31/functions/", b"", {}, 403, "MissingAuthenticationTokenException",
     "Missing Authentication Token"),
])
def test_request_without_credentials_is_refused_by_strict_server(strict, service, method, path, body, headers,
                                                                  status, code, message):
    resp = request(strict.endpoint_url, method, path, body, headers)
    assert resp.status == status
    if service == "s3":
        error = resp.xml_error()
        assert (error["Code"], error["Message"]) == (code, message)
    else:
        assert resp.header("x-amzn-ErrorType") == code
        assert message in resp.body.decode()
    assert "anonymous-bucket" not in [b["Name"] for b in client(strict, "s3").list_buckets()["Buckets"]]


def test_unsigned_by_design_operations_pass_a_strict_server(strict, lenient):
    # STS AssumeRoleWithWebIdentity is sent without a signature (its token is the credential):
    # it must reach STS, not fall through to S3, and a strict server must let it by.
    for proc in (strict, lenient):
        sts = client(proc, "sts")
        authorizations: list = []
        sts.meta.events.register("before-send", lambda request, seen=authorizations, **_: seen.append(
            request.headers.get("Authorization")))
        response = client_error(sts.assume_role_with_web_identity, RoleArn="arn:aws:iam::000000000000:role/r",
                                RoleSessionName="session", WebIdentityToken="token" * 4)
        assert authorizations == [None]
        assert status_of(response) == 501
        assert response["Error"]["Message"] == "Overcast does not implement sts:AssumeRoleWithWebIdentity yet."
    unsigned = request(strict.endpoint_url, "POST", "/", b"Action=GetCallerIdentity&Version=2011-06-15",
                       {"Content-Type": FORM})
    assert unsigned.status == 403
    error = unsigned.xml_error()
    assert error["Code"] == "MissingAuthenticationToken"
    assert error["Message"] == "Request is missing Authentication Token"


def test_s3_body_not_matching_its_signed_hash_is_refused(strict):
    s3 = client(strict, "s3")
    bucket = unique("sha")
    s3.create_bucket(Bucket=bucket)
    url = f"http://127.0.0.1:{strict.port}/{bucket}/k"
    headers = sign_headers("PUT", url, b"signed body", {
        "X-Amz-Content-SHA256": hashlib.sha256(b"signed body").hexdigest(),
    }, "s3")
    headers.pop("Content-Length", None)
    resp = request(strict.endpoint_url, "PUT", f"/{bucket}/k", b"other body", headers)
    assert resp.status == 400
    assert resp.xml_error()["Code"] == "XAmzContentSHA256Mismatch"
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


# ------------------------------------------------------------------ presigned URLs


def presigner(server, key: str = "test", secret: str = "test", version: str = "s3v4"):
    return client(server, "s3", key=key, secret=secret, signature_version=version)


def test_presigned_get_and_put(strict):
    s3 = presigner(strict)
    bucket = unique("presign")
    s3.create_bucket(Bucket=bucket)
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "up"}, ExpiresIn=300)
    assert fetch(put_url, "PUT", b"uploaded")[0] == 200
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "up"}, ExpiresIn=300)
    assert fetch(get_url) == (200, b"uploaded")


@pytest.mark.parametrize("version", ["s3v4", "s3"])  # SigV4 and the legacy SigV2 query form
def test_presigned_url_expires_by_the_servers_clock(strict, moved_clock, version):
    s3 = presigner(strict, version=version)
    bucket = unique("expire")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60)
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "late"}, ExpiresIn=60)
    moved_clock(strict, 3600)
    status, body = fetch(url)
    assert status == 403
    error = error_fields(body)
    assert error["Code"] == "AccessDenied"
    assert error["Message"] == "Request has expired"
    if version == "s3v4":
        assert error["X-Amz-Expires"] == "60"
    assert fetch(put_url, "PUT", b"too late")[0] == 403
    assert s3.list_objects_v2(Bucket=bucket, Prefix="late")["KeyCount"] == 0


@pytest.mark.parametrize("tamper", [
    lambda url: url.replace("/k?", "/other?"),  # another key
    lambda url: url.replace("X-Amz-Expires=300", "X-Amz-Expires=600"),  # a longer life
    lambda url: url[:-1] + ("0" if url[-1] != "0" else "1"),  # the signature itself
])
def test_tampered_presigned_url_is_signature_does_not_match(strict, tamper):
    s3 = presigner(strict)
    bucket = unique("tamper")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    s3.put_object(Bucket=bucket, Key="other", Body=b"secret")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=300)
    assert "X-Amz-Expires=300" in url and "X-Amz-Signature=" in url
    status, body = fetch(tamper(url))
    assert status == 403
    assert error_fields(body)["Code"] == "SignatureDoesNotMatch"


def test_presigned_url_with_wrong_secret_is_refused(strict):
    bucket = unique("presign-wrong")
    presigner(strict).create_bucket(Bucket=bucket)
    url = presigner(strict, secret="nope").generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=300)
    status, body = fetch(url, "PUT", b"data")
    assert status == 403
    assert error_fields(body)["Code"] == "SignatureDoesNotMatch"
    assert presigner(strict).list_objects_v2(Bucket=bucket)["KeyCount"] == 0


# ------------------------------------------------------------------ presigned, without verification


def test_default_server_accepts_any_key_and_secret(lenient):
    bucket = unique("any")
    client(lenient, "s3", key="AKIDANYTHING", secret="whatever").create_bucket(Bucket=bucket)
    client(lenient, "s3", secret="wrong").put_object(Bucket=bucket, Key="k", Body=b"v")
    assert client(lenient, "s3").get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"


@pytest.mark.parametrize("version", ["s3v4", "s3"])
def test_default_server_still_checks_presigned_urls_of_configured_keys(lenient, moved_clock, version):
    s3 = presigner(lenient, version=version)
    bucket = unique("lenient")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60)
    assert fetch(url) == (200, b"v")
    status, body = fetch(url.replace("/k?", "/x?"))
    assert status == 403
    assert error_fields(body)["Code"] == "SignatureDoesNotMatch"
    moved_clock(lenient, 3600)
    status, body = fetch(url)
    assert status == 403
    assert error_fields(body)["Message"] == "Request has expired"


@pytest.mark.parametrize("version", ["s3v4", "s3"])
def test_default_server_accepts_presigned_urls_of_unknown_keys_until_they_expire(lenient, moved_clock, version):
    bucket = unique("unknown")
    presigner(lenient).create_bucket(Bucket=bucket)
    stranger = presigner(lenient, key="AKIDSTRANGER", secret="whatever", version=version)
    url = stranger.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60)
    assert fetch(url, "PUT", b"v")[0] == 200
    moved_clock(lenient, 3600)
    status, body = fetch(url, "PUT", b"again")
    assert status == 403
    assert error_fields(body)["Code"] == "AccessDenied"
    assert presigner(lenient).get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"


# ------------------------------------------------------------------ aws-chunked uploads


def _signing_key(secret: str, date: str, region: str = "us-east-1", service: str = "s3") -> bytes:
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _hmac_hex(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def signed_chunked_upload(server, bucket: str, key: str, data: bytes, *, chunk_size: int = 8192,
                          trailer: bool = False, corrupt_chunk: int | None = None,
                          corrupt_data: bool = False):
    """PUT `data` as a STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] body, signed by hand the way
    SDKs do: the seed signature by botocore's signer, then a chained signature per chunk."""
    payload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if trailer else "")
    chunks = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]
    checksum = Crc32Checksum()
    checksum.update(data)
    trailer_line = f"x-amz-checksum-crc32:{checksum.b64digest()}" if trailer else ""
    # The encoded length must be known before signing: sizes of the framing, not of signatures.
    sig_len = 64
    encoded_length = sum(len(f"{len(c):x}") + len(";chunk-signature=") + sig_len + 2 + len(c) + 2 for c in chunks)
    if trailer:
        encoded_length -= 2  # the final chunk's CRLF comes after the trailers instead
        encoded_length += len(trailer_line) + 2 + len("x-amz-trailer-signature:") + sig_len + 2 + 2
    headers = {
        "X-Amz-Content-SHA256": payload,
        "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": str(len(data)),
        "Content-Length": str(encoded_length),
    }
    if trailer:
        headers["X-Amz-Trailer"] = "x-amz-checksum-crc32"
    url = f"http://127.0.0.1:{server.port}/{bucket}/{key}"
    signed = sign_headers("PUT", url, b"", headers, "s3")
    amz_date = signed["X-Amz-Date"]
    seed = signed["Authorization"].rsplit("Signature=", 1)[1]
    scope = f"{amz_date[:8]}/us-east-1/s3/aws4_request"
    signing_key = _signing_key("test", amz_date[:8])
    previous = seed
    body = bytearray()
    for number, chunk in enumerate(chunks):
        to_sign = (f"AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{previous}\n{EMPTY_SHA256}\n"
                   f"{hashlib.sha256(chunk).hexdigest()}")
        signature = _hmac_hex(signing_key, to_sign)
        previous = signature
        if corrupt_chunk == number:
            signature = signature[:-1] + ("0" if signature[-1] != "0" else "1")
        sent = chunk
        if corrupt_data and number == 0:
            sent = b"X" + chunk[1:]
        body += f"{len(chunk):x};chunk-signature={signature}\r\n".encode() + sent
        if chunk or not trailer:
            body += b"\r\n"
    if trailer:
        trailer_hash = hashlib.sha256(f"{trailer_line}\n".encode()).hexdigest()
        trailer_sig = _hmac_hex(signing_key, f"AWS4-HMAC-SHA256-TRAILER\n{amz_date}\n{scope}\n{previous}\n{trailer_hash}")
        body += f"{trailer_line}\r\nx-amz-trailer-signature:{trailer_sig}\r\n\r\n".encode()
    assert len(body) == encoded_length
    return request(server.endpoint_url, "PUT", f"/{bucket}/{key}", bytes(body), signed)


@pytest.fixture(scope="module")
def strict_bucket(strict):
    name = unique("chunked")
    client(strict, "s3").create_bucket(Bucket=name)
    return name


DATA = bytes(range(256)) * 70  # 17,920 bytes: two full 8 KiB chunks and a short one


@pytest.mark.parametrize("trailer", [False, True])
def test_signed_aws_chunked_upload_is_decoded(strict, strict_bucket, trailer):
    key = unique("signed")
    resp = signed_chunked_upload(strict, strict_bucket, key, DATA, trailer=trailer)
    assert resp.status == 200, resp.body
    got = client(strict, "s3").get_object(Bucket=strict_bucket, Key=key)
    assert got["Body"].read() == DATA
    assert got["ContentLength"] == len(DATA)
    assert "ContentEncoding" not in got  # aws-chunked is framing, not the object's encoding


@pytest.mark.parametrize("corruption", [{"corrupt_chunk": 1}, {"corrupt_chunk": 3}, {"corrupt_data": True}])
def test_corrupted_chunk_signature_is_rejected_and_nothing_stored(strict, strict_bucket, corruption):
    key = unique("corrupt")
    resp = signed_chunked_upload(strict, strict_bucket, key, DATA, **corruption)
    assert resp.status == 403
    error = resp.xml_error()
    assert error["Code"] == "SignatureDoesNotMatch"
    assert error["Message"] == S3_SIGNATURE_MESSAGE
    keys = client(strict, "s3").list_objects_v2(Bucket=strict_bucket, Prefix=key)["KeyCount"]
    assert keys == 0


def _unsigned_trailer_body() -> bytes:
    """DATA framed by botocore's own aws-chunked encoder, with a trailing CRC32."""
    return AwsChunkedWrapper(io.BytesIO(DATA), checksum_cls=Crc32Checksum,
                             checksum_name="x-amz-checksum-crc32", chunk_size=8192).read()


def _unsigned_trailer_headers() -> dict[str, str]:
    return {
        "X-Amz-Content-SHA256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": str(len(DATA)),
        "X-Amz-Trailer": "x-amz-checksum-crc32",
    }


def test_unsigned_payload_trailer_upload_from_botocore_encoder(strict, strict_bucket):
    # botocore sends STREAMING-UNSIGNED-PAYLOAD-TRAILER over HTTPS; its own encoder makes the body.
    body = _unsigned_trailer_body()
    checksum = Crc32Checksum()
    checksum.update(DATA)
    key = unique("trailer")
    headers = _unsigned_trailer_headers()
    resp = request(strict.endpoint_url, "PUT", f"/{strict_bucket}/{key}", body, headers, service="s3")
    assert resp.status == 200, resp.body
    assert resp.header("x-amz-checksum-crc32") == checksum.b64digest()
    got = client(strict, "s3").get_object(Bucket=strict_bucket, Key=key, ChecksumMode="ENABLED")
    assert got["Body"].read() == DATA
    assert got["ChecksumCRC32"] == checksum.b64digest()


def test_unsigned_payload_trailer_with_wrong_checksum_is_refused(strict, strict_bucket):
    body = _unsigned_trailer_body()
    body = re.sub(rb"x-amz-checksum-crc32:[A-Za-z0-9+/=]+", b"x-amz-checksum-crc32:AAAAAA==", body)
    key = unique("badsum")
    headers = _unsigned_trailer_headers()
    resp = request(strict.endpoint_url, "PUT", f"/{strict_bucket}/{key}", body, headers, service="s3")
    assert resp.status == 400
    error = resp.xml_error()
    assert error["Code"] == "BadDigest"
    assert error["Message"] == "The CRC32 you specified did not match the calculated checksum."
    assert client(strict, "s3").list_objects_v2(Bucket=strict_bucket, Prefix=key)["KeyCount"] == 0


def test_boto3_put_object_passes_verification(strict, strict_bucket):
    # Over plain HTTP boto3 signs the payload hash and sends the checksum as a header.
    s3 = client(strict, "s3")
    key = unique("boto3")
    s3.put_object(Bucket=strict_bucket, Key=key, Body=io.BytesIO(DATA), ChecksumAlgorithm="SHA256")
    head = s3.head_object(Bucket=strict_bucket, Key=key, ChecksumMode="ENABLED")
    assert head["ContentLength"] == len(DATA)
    assert head["ChecksumSHA256"]
