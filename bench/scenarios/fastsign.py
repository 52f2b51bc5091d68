"""SigV4 for many empty-body S3 PutObject requests, about 100x cheaper than signing each through boto3.

Filling a bucket with hundreds of thousands of keys would spend minutes in botocore's signer
(about 0.5 ms a request); the signing key and everything but the key name are the same for
every request, so only the canonical request's hash and one HMAC remain per key.
tests/test_harness.py checks the result against botocore's own S3SigV4Auth.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from urllib.parse import quote

from bench.capture import ACCESS_KEY, REGION, SECRET_KEY

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
SIGNED_HEADERS = "host;x-amz-content-sha256;x-amz-date"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


class EmptyPutSigner:
    def __init__(self, host: str, when: datetime.datetime | None = None) -> None:
        when = when or datetime.datetime.now(datetime.UTC)
        self.host = host  # as in the Host header: 127.0.0.1:PORT
        self.amz_date = when.strftime("%Y%m%dT%H%M%SZ")
        day = when.strftime("%Y%m%d")
        self.scope = f"{day}/{REGION}/s3/aws4_request"
        key = _hmac(("AWS4" + SECRET_KEY).encode(), day)
        for part in (REGION, "s3", "aws4_request"):
            key = _hmac(key, part)
        self.signing_key = key
        self.header_block = f"host:{host}\nx-amz-content-sha256:{EMPTY_SHA256}\nx-amz-date:{self.amz_date}\n"

    def put(self, bucket: str, key: str) -> bytes:
        path = "/" + bucket + "/" + quote(key, safe="/~")
        canonical = f"PUT\n{path}\n\n{self.header_block}\n{SIGNED_HEADERS}\n{EMPTY_SHA256}"
        to_sign = f"AWS4-HMAC-SHA256\n{self.amz_date}\n{self.scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        signature = hmac.new(self.signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
        return (f"PUT {path} HTTP/1.1\r\nHost: {self.host}\r\nx-amz-content-sha256: {EMPTY_SHA256}\r\n"
                f"x-amz-date: {self.amz_date}\r\nAuthorization: AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{self.scope}, "
                f"SignedHeaders={SIGNED_HEADERS}, Signature={signature}\r\nContent-Length: 0\r\n\r\n").encode()
