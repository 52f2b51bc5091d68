"""Presigned URLs for GET and PUT work without credentials; expired or tampered ones do not."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.conftest import make_client
from tests.services.s3.conftest import unique_bucket_name


def fetch(url: str, method: str = "GET", data: bytes | None = None) -> tuple[int, bytes]:
    # No Content-Type: the URL was signed without one, and a different one breaks the signature.
    request = urllib.request.Request(url, method=method, data=data, headers={"Content-Type": ""})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture(params=["s3", "s3v4"])
def presigner(request, server):
    return make_client("s3", server.endpoint_url, signature_version=request.param)


def test_presigned_get_and_put(s3, presigner, bucket):
    s3.put_object(Bucket=bucket, Key="shared.txt", Body=b"presigned body")
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared.txt"},
                                           ExpiresIn=300)
    assert fetch(url) == (200, b"presigned body")
    put_url = presigner.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "uploaded.txt"},
                                        ExpiresIn=300)
    status, _ = fetch(put_url, "PUT", b"uploaded via url")
    assert status == 200
    assert s3.get_object(Bucket=bucket, Key="uploaded.txt")["Body"].read() == b"uploaded via url"


def test_tampered_presigned_url(s3, bucket):
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"a")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a.txt"}, ExpiresIn=300)
    status, body = fetch(url.replace("a.txt", "b.txt"))
    assert status == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in body


@pytest.mark.parametrize("signature_version", ["s3", "s3v4"])
def test_expired_presigned_url(fresh_server, signature_version):
    s3 = make_client("s3", fresh_server.endpoint_url, signature_version=signature_version)
    bucket = unique_bucket_name()
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"a")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a.txt"}, ExpiresIn=60)
    clock = urllib.request.Request(fresh_server.endpoint_url + "/_overcast/clock", method="POST",
                                   data=json.dumps({"advance": 3600}).encode(),
                                   headers={"Content-Type": "application/json"})
    urllib.request.urlopen(clock, timeout=10).read()
    status, body = fetch(url)
    assert status == 403
    assert b"<Code>AccessDenied</Code>" in body
    assert b"Request has expired" in body
