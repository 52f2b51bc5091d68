"""boto3 clients for a target, and requests signed by botocore captured as the raw bytes boto3 would send.

Capturing through the client itself (a before-send hook that stops the call) means the load
generator replays exactly what boto3 puts on the wire, headers, checksums and signature included,
for any service, without a hand-written serializer per operation.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

REGION = "us-east-1"
ACCESS_KEY = "test"
SECRET_KEY = "test"

_SESSION: boto3.session.Session | None = None


def session() -> boto3.session.Session:
    global _SESSION
    if _SESSION is None:
        _SESSION = boto3.session.Session(
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
        )
    return _SESSION


def make_client(service: str, endpoint: str, *, attempts: int = 1, timeout: float = 30.0) -> Any:
    """One client, one attempt per call: a retried failure would hide in the latency instead of
    being counted. (botocore's `max_attempts` counts retries after the first try; its
    `total_max_attempts` counts every try.)"""
    config = Config(
        retries={"total_max_attempts": attempts, "mode": "standard"},
        s3={"addressing_style": "path"},
        connect_timeout=timeout,
        read_timeout=timeout,
        max_pool_connections=4,
    )
    return session().client(service, endpoint_url=endpoint, config=config)


class _Captured(Exception):
    def __init__(self, request: AWSPreparedRequest) -> None:
        super().__init__("captured")
        self.request = request


def _stop_before_send(request: AWSPreparedRequest, **_: Any) -> None:
    raise _Captured(request)


def to_wire(request: AWSPreparedRequest, *, drop_expect: bool = True) -> bytes:
    """HTTP/1.1 bytes for a prepared request (what urllib3 would write, minus connection management)."""
    parts = urlsplit(request.url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    headers = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in request.headers.items()}
    body = request.body
    if body is None:
        payload = b""
    elif isinstance(body, (bytes, bytearray)):
        payload = bytes(body)
    elif isinstance(body, str):
        payload = body.encode()
    else:
        payload = body.read()
    lower = {k.lower() for k in headers}
    if "host" not in lower:
        headers["Host"] = parts.netloc
    if payload and "content-length" not in lower:
        headers["Content-Length"] = str(len(payload))
    if drop_expect:
        # Replayed requests send their body at once; waiting for 100 Continue would only add a round trip.
        headers = {k: v for k, v in headers.items() if k.lower() != "expect"}
    lines = [f"{request.method} {target} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


class Signer:
    """Turns calls on a real boto3 client into signed wire requests, without sending them."""

    def __init__(self, service: str, endpoint: str) -> None:
        self.client = make_client(service, endpoint)
        self.client.meta.events.register("before-send", _stop_before_send)

    def sign(self, call: Callable[[Any], Any]) -> bytes:
        try:
            call(self.client)
        except _Captured as captured:
            return to_wire(captured.request)
        raise RuntimeError("the call did not reach the point of sending")


def sign_s3_unsigned_payload(method: str, endpoint: str, path: str, content_length: int) -> bytes:
    """Head of a SigV4 S3 request with UNSIGNED-PAYLOAD, for bodies too large to hash or hold in memory."""
    request = AWSRequest(method=method, url=endpoint.rstrip("/") + path)
    request.context["client_config"] = Config(s3={"payload_signing_enabled": False})
    request.context["timestamp"] = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    if content_length:
        request.headers["Content-Length"] = str(content_length)
    S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION).add_auth(request)
    head = [f"{method} {path} HTTP/1.1", f"Host: {urlsplit(endpoint).netloc}"]
    head += [f"{k}: {v.decode() if isinstance(v, bytes) else v}" for k, v in request.headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode()
