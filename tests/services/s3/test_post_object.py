"""Presigned POST (browser form uploads): boto3's policies and signatures are understood, the
policy's conditions and expiry are enforced, and a form upload stores the object."""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest

from overcast.services.s3.post_object import (
    PostDenied,
    check_policy,
    parse_form,
    sigv2_signature,
    sigv4_signature,
)
from tests.conftest import make_client
from tests.services.s3.conftest import raw_request


def encode_form(fields: dict[str, str], data: bytes, filename: str = "upload.txt") -> tuple[str, bytes]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


@pytest.mark.parametrize("signature_version", ["s3v4", "s3"])
def test_signatures_match_botocore(server, signature_version):
    client = make_client("s3", server.endpoint_url, signature_version=signature_version)
    post = client.generate_presigned_post("some-bucket", "uploads/${filename}", ExpiresIn=600)
    fields = {k.lower(): v for k, v in post["fields"].items()}
    if signature_version == "s3v4":
        _, date, region = fields["x-amz-credential"].split("/")[:3]
        assert sigv4_signature("test", date, region, fields["policy"]) == fields["x-amz-signature"]
    else:
        assert sigv2_signature("test", fields["policy"]) == fields["signature"]


def test_policy_conditions_and_expiry():
    policy = {"expiration": "2099-01-01T00:00:00Z", "conditions": [
        {"bucket": "b"}, ["starts-with", "$key", "uploads/"], ["content-length-range", 1, 10]]}
    check_policy(policy, {"key": "uploads/a.txt"}, "b", 5, time.time())
    with pytest.raises(PostDenied, match="Policy Condition failed"):
        check_policy(policy, {"key": "elsewhere/a.txt"}, "b", 5, time.time())
    with pytest.raises(PostDenied, match="Extra input fields: content-type"):
        check_policy(policy, {"key": "uploads/a", "content-type": "text/plain"}, "b", 5, time.time())
    with pytest.raises(Exception, match="exceeds the maximum allowed size"):
        check_policy(policy, {"key": "uploads/a"}, "b", 11, time.time())
    expired = dict(policy, expiration="2001-01-01T00:00:00Z")
    with pytest.raises(PostDenied, match="Policy expired."):
        check_policy(expired, {"key": "uploads/a"}, "b", 5, time.time())


def test_form_parsing():
    content_type, body = encode_form({"key": "k", "x-amz-meta-a": "1"}, b"file bytes\r\nwith CRLF")
    fields, data, filename = parse_form(content_type, body)
    assert fields == {"key": "k", "x-amz-meta-a": "1"}
    assert data == b"file bytes\r\nwith CRLF"
    assert filename == "upload.txt"


def test_presigned_post_upload_against_the_server(server, s3, bucket):
    post = s3.generate_presigned_post(bucket, "uploads/${filename}", Fields={"Content-Type": "text/plain"},
                                      Conditions=[{"Content-Type": "text/plain"}], ExpiresIn=600)
    content_type, body = encode_form(post["fields"], b"hello from a form", filename="hello.txt")
    status, _, response = raw_request(server.endpoint_url, "POST", f"/{bucket}", body=body,
                                      headers={"Content-Type": content_type, "Authorization": None})
    assert status == 204, response
    got = s3.get_object(Bucket=bucket, Key="uploads/hello.txt")
    assert got["Body"].read() == b"hello from a form"
    assert got["ContentType"] == "text/plain"
    tampered = dict(post["fields"])
    tampered["policy"] = base64.b64encode(json.dumps({"expiration": "2099-01-01T00:00:00Z", "conditions": [
        {"bucket": bucket}, ["starts-with", "$key", ""], {"Content-Type": "text/plain"}]}).encode()).decode()
    content_type, body = encode_form(tampered, b"x")
    status, _, response = raw_request(server.endpoint_url, "POST", f"/{bucket}", body=body,
                                      headers={"Content-Type": content_type, "Authorization": None})
    assert status == 403 and b"SignatureDoesNotMatch" in response
