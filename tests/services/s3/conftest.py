"""S3 test helpers: a fresh bucket per test, error assertions, raw HTTP for what boto3 will not send."""

from __future__ import annotations

import http.client
import uuid
from urllib.parse import urlparse

import pytest
from botocore.exceptions import ClientError

BLOCK_PUBLIC_ACCESS_SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def unique_bucket_name(prefix: str = "test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:20]}"


def allow_public_access(s3, bucket: str) -> None:
    """Turn Block Public Access off: what a user must do on AWS before a bucket created since
    April 2023 may take a public policy or a public ACL."""
    s3.put_public_access_block(Bucket=bucket,
                               PublicAccessBlockConfiguration=dict.fromkeys(BLOCK_PUBLIC_ACCESS_SETTINGS, False))


def create_public_bucket(s3, name: str | None = None, ownership: str = "ObjectWriter") -> str:
    """A bucket as the tests of policies and ACLs need it: ACLs enabled (ObjectOwnership given at
    creation) and Block Public Access off, as a user sets it up on AWS today. Returns its name."""
    name = name or unique_bucket_name()
    s3.create_bucket(Bucket=name, ObjectOwnership=ownership)
    allow_public_access(s3, name)
    return name


@pytest.fixture
def bucket(s3) -> str:
    name = unique_bucket_name()
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def public_bucket(s3) -> str:
    """A fresh bucket with ACLs enabled and Block Public Access off (create_public_bucket)."""
    return create_public_bucket(s3)


def error_of(exc_info: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int, dict]:
    response = exc_info.value.response
    error = response["Error"]
    return error.get("Code"), error.get("Message"), response["ResponseMetadata"]["HTTPStatusCode"], error


def assert_error(exc_info: pytest.ExceptionInfo[ClientError], code: str, status: int,
                 message: str | None = None) -> dict:
    got_code, got_message, got_status, error = error_of(exc_info)
    assert (got_code, got_status) == (code, status), error
    if message is not None:
        assert got_message == message
    return error


def assert_absent(s3, bucket: str, key: str) -> None:
    """No object answers HEAD at `key` (a refused write left nothing behind)."""
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key=key)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def raw_request(endpoint_url: str, method: str, path: str, body: bytes = b"",
                headers: dict[str, str | None] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One plain HTTP request (the server does not verify signatures unless configured to)."""
    parsed = urlparse(endpoint_url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        all_headers = {"Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, "
                                        "SignedHeaders=host, Signature=" + "0" * 64}
        all_headers.update(headers or {})
        # None removes a header (a browser's form upload has no Authorization).
        conn.request(method, path, body=body, headers={k: v for k, v in all_headers.items() if v is not None})
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        conn.close()
