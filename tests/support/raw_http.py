"""Raw HTTP against a test server: exact bytes out, exact status, headers and body back.

boto3 refuses to send broken requests, so the tests of malformed input, wire formats and
signatures build them here: signed with botocore's own SigV4 signer when they need a
signature, sent with http.client (or a bare socket when even HTTP framing must be broken).
"""

from __future__ import annotations

import http.client
import json
import socket
import urllib.request
from dataclasses import dataclass
from xml.etree import ElementTree

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

JSON_10 = "application/x-amz-json-1.0"
JSON_11 = "application/x-amz-json-1.1"
FORM = "application/x-www-form-urlencoded; charset=utf-8"
UNSIGNED = "UNSIGNED-PAYLOAD"


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> dict:
        return json.loads(self.body)

    def xml(self) -> ElementTree.Element:
        return ElementTree.fromstring(self.body)

    def xml_error(self) -> dict[str, str]:
        """An S3-style <Error> document (or a query <ErrorResponse>'s <Error>) as a dict."""
        root = self.xml()
        error = root if strip_ns(root.tag) == "Error" else next(e for e in root.iter() if strip_ns(e.tag) == "Error")
        out = {strip_ns(child.tag): child.text or "" for child in error}
        request_id = next((e.text for e in root.iter() if strip_ns(e.tag) == "RequestId"), None)
        if request_id is not None:
            out.setdefault("RequestId", request_id)
        return out


def strip_ns(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def sign_headers(method: str, url: str, body: bytes, headers: dict[str, str], service: str, *,
                 region: str = "us-east-1", key: str = "test", secret: str = "test") -> dict[str, str]:
    """The headers botocore's SigV4 signer adds for this request (x-amz-content-sha256 as given)."""
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    SigV4Auth(Credentials(key, secret), service, region).add_auth(request)
    return dict(request.headers.items())


def request(endpoint_url: str, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
            *, service: str | None = None, region: str = "us-east-1", key: str = "test", secret: str = "test",
            host: str | None = None) -> RawResponse:
    """Send one request; sign it for `service` when given. `host` overrides the Host header."""
    headers = dict(headers or {})
    port = int(endpoint_url.rsplit(":", 1)[1])
    if host is not None:
        headers["Host"] = host
    if service is not None:
        if service == "s3":
            headers.setdefault("X-Amz-Content-SHA256", UNSIGNED)
        url = f"http://{host or f'127.0.0.1:{port}'}{path}"
        headers = sign_headers(method, url, body, headers, service, region=region, key=key, secret=secret)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return RawResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


def json_call(endpoint_url: str, service: str, target: str, body: bytes | dict, *,
              content_type: str = JSON_10, **kwargs) -> RawResponse:
    """A signed JSON-protocol call (X-Amz-Target), with the body sent as given when bytes."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"X-Amz-Target": target, "Content-Type": content_type}
    return request(endpoint_url, "POST", "/", data, headers, service=service, **kwargs)


def query_call(endpoint_url: str, service: str, form: bytes, **kwargs) -> RawResponse:
    return request(endpoint_url, "POST", "/", form, {"Content-Type": FORM}, service=service, **kwargs)


def send_bytes(endpoint_url: str, data: bytes, *, half_close: bool = False, timeout: float = 10) -> bytes:
    """Write raw bytes on a new connection and return whatever comes back until it closes."""
    port = int(endpoint_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except (ConnectionResetError, TimeoutError):
            pass
        return b"".join(chunks)


def raw_signed_request(endpoint_url: str, method: str, path: str, headers: dict[str, str], body: bytes = b"",
                       *, service: str = "s3", **kwargs) -> bytes:
    """The bytes of a signed HTTP/1.1 request whose framing the caller controls: the headers
    (Content-Length included) are sent as given, with whatever body follows them."""
    port = int(endpoint_url.rsplit(":", 1)[1])
    headers = dict(headers)
    if service == "s3":
        headers.setdefault("X-Amz-Content-SHA256", UNSIGNED)
    signed = sign_headers(method, f"http://127.0.0.1:{port}{path}", b"", headers, service, **kwargs)
    signed.update(headers)  # botocore may rewrite Content-Length for the empty body it was shown
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in signed.items() if name.lower() != "host"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def parse_http_response(raw: bytes) -> RawResponse:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RawResponse(status, headers, body)


def move_clock(endpoint_url: str, payload: dict) -> dict:
    """POST /_overcast/clock: {"advance": s}, {"set": epoch} or {"reset": true}."""
    req = urllib.request.Request(endpoint_url + "/_overcast/clock", data=json.dumps(payload).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def read_response_head(sock: socket.socket, pending: bytearray) -> tuple[bytes, dict[str, str], int]:
    """One response head off a raw socket: (head bytes, lower-cased headers, status); the bytes
    after it stay in `pending`."""
    while b"\r\n\r\n" not in pending:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a full response head; got {bytes(pending)!r}"
        pending += chunk
    head, _, rest = bytes(pending).partition(b"\r\n\r\n")
    pending[:] = rest
    response = parse_http_response(head + b"\r\n\r\n")
    return head, response.headers, response.status


def read_response(sock: socket.socket, pending: bytearray) -> tuple[int, dict[str, str], bytes]:
    """One whole response (Content-Length or chunked body) off a raw socket, for tests that
    pipeline or keep connections alive; what follows it stays in `pending`."""
    _, headers, status = read_response_head(sock, pending)
    if headers.get("transfer-encoding") == "chunked":
        body = bytearray()
        while True:
            while b"\r\n" not in pending:
                pending += sock.recv(65536)
            size_line, _, rest = bytes(pending).partition(b"\r\n")
            size = int(size_line, 16)
            while len(rest) < size + 2:
                rest += sock.recv(65536)
            body += rest[:size]
            pending[:] = rest[size + 2:]
            if size == 0:
                return status, headers, bytes(body)
    length = int(headers.get("content-length", "0"))
    while len(pending) < length:
        chunk = sock.recv(1 << 20)
        assert chunk, "connection closed inside a response body"
        pending += chunk
    body = bytes(pending[:length])
    del pending[:length]
    return status, headers, body
