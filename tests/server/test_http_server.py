"""Overcast's own HTTP/1.1 server, on the wire: keep-alive, pipelining, Expect: 100-continue,
chunked request bodies, absolute-form targets, malformed requests, HEAD, and a clean stop with
connections still open."""

from __future__ import annotations

import hashlib
import json
import socket
import time

import pytest

from tests.support.raw_http import parse_http_response, raw_signed_request, read_response

BUCKET = "http-server-tests"


@pytest.fixture(scope="module")
def bucket(s3):
    s3.create_bucket(Bucket=BUCKET)
    return BUCKET


def _port(server) -> int:
    return int(server.endpoint_url.rsplit(":", 1)[1])


def _connect(server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", _port(server)), timeout=10)
    return sock


def _health_request(port: int, extra: str = "") -> bytes:
    return f"GET /_overcast/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}\r\n".encode()


def _closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(5)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_keep_alive_serves_many_requests_on_one_connection(server):
    port = _port(server)
    with _connect(server) as sock:
        pending = bytearray()
        for _ in range(3):
            sock.sendall(_health_request(port))
            status, headers, body = read_response(sock, pending)
            assert status == 200
            assert json.loads(body)["version"]
            assert "close" not in headers.get("connection", "")
            assert headers.get("date", "").endswith("GMT")


def test_pipelined_requests_are_answered_in_order(server, bucket):
    port = _port(server)
    body = b"pipelined body"
    put = raw_signed_request(server.endpoint_url, "PUT", f"/{bucket}/pipelined",
                             {"Content-Length": str(len(body))}, body)
    get = raw_signed_request(server.endpoint_url, "GET", f"/{bucket}/pipelined", {})
    with _connect(server) as sock:
        sock.sendall(put + get + _health_request(port))  # all three in one write
        pending = bytearray()
        put_status, put_headers, _ = read_response(sock, pending)
        get_status, _, got = read_response(sock, pending)
        health_status, _, health = read_response(sock, pending)
    assert put_status == 200 and put_headers["etag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert (get_status, got) == (200, body)
    assert health_status == 200 and json.loads(health)["version"]


@pytest.mark.parametrize("size", [1000, 700_000], ids=["read-whole", "streamed"])
def test_expect_100_continue(server, bucket, s3, size):
    """The client waits for `100 Continue` before it sends the body, small or streamed."""
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    key = f"expect-{size}"
    head = raw_signed_request(server.endpoint_url, "PUT", f"/{bucket}/{key}",
                              {"Content-Length": str(size), "Expect": "100-continue"})
    with _connect(server) as sock:
        sock.sendall(head)
        pending = bytearray()
        while b"\r\n\r\n" not in pending:
            pending += sock.recv(65536)
        assert bytes(pending).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        del pending[: len(b"HTTP/1.1 100 Continue\r\n\r\n")]
        sock.sendall(body)
        status, headers, _ = read_response(sock, pending)
    assert status == 200, headers
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body


def test_refused_upload_gets_no_100_continue_and_the_connection_ends(server):
    """A large body that the handler refuses unread is never asked for; since its bytes would
    otherwise be taken for the next request, the connection closes after the answer."""
    head = raw_signed_request(server.endpoint_url, "PUT", "/no-such-bucket-for-expect/k",
                              {"Content-Length": str(50 * 1024 * 1024), "Expect": "100-continue"})
    with _connect(server) as sock:
        sock.sendall(head)
        pending = bytearray()
        status, headers, body = read_response(sock, pending)
        assert status == 404 and b"NoSuchBucket" in body
        assert headers.get("connection") == "close"
        assert _closed_by_server(sock)


def test_chunked_request_body_is_decoded(server):
    """Transfer-Encoding: chunked, as HTTP clients send a body of unknown length."""
    port = _port(server)
    payload = json.dumps({"TableName": "no-such-table-chunked"}).encode()
    pieces = [payload[:7], payload[7:20], payload[20:]]
    body = b"".join(b"%x\r\n%b\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    request = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nTransfer-Encoding: chunked\r\n"
               "Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.DescribeTable\r\n"
               "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, "
               "SignedHeaders=host, Signature=00\r\n\r\n").encode() + body
    with _connect(server) as sock:
        sock.sendall(request)
        status, _, answer = read_response(sock, bytearray())
    # The table's name reached the service, so the whole chunked body was read.
    assert status == 400
    assert json.loads(answer)["message"] == "Requested resource not found: Table: no-such-table-chunked not found"


def test_absolute_form_target_is_served(server):
    port = _port(server)
    request = f"GET http://127.0.0.1:{port}/_overcast/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
    with _connect(server) as sock:
        sock.sendall(request.encode())
        status, _, body = read_response(sock, bytearray())
    assert status == 200 and json.loads(body)["version"]


def test_head_answers_headers_only(server):
    port = _port(server)
    with _connect(server) as sock:
        sock.sendall(f"HEAD /_overcast/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
                     + _health_request(port))
        pending = bytearray()
        while pending.count(b"\r\n\r\n") < 1:
            pending += sock.recv(65536)
        head, _, rest = bytes(pending).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ")
        # No body follows the HEAD answer: the next bytes are the next response.
        pending[:] = rest
        status, _, body = read_response(sock, pending)
        assert status == 200 and json.loads(body)["version"]


@pytest.mark.parametrize("garbage", [b"NOT HTTP AT ALL\r\n\r\n", b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
                                     b"GET / HTTP/1.1\r\nBad Header Line\r\n\r\n"])
def test_malformed_request_gets_400_and_close(server, garbage):
    with _connect(server) as sock:
        sock.sendall(garbage)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    response = parse_http_response(data)
    assert response.status == 400
    assert response.headers["connection"] == "close"


def test_connection_close_request_is_honoured(server):
    port = _port(server)
    with _connect(server) as sock:
        sock.sendall(_health_request(port, "Connection: close\r\n"))
        status, headers, _ = read_response(sock, bytearray())
        assert status == 200 and headers["connection"] == "close"
        assert _closed_by_server(sock)


def test_stop_with_idle_connections_open_is_prompt_and_clean(fresh_server):
    port = _port(fresh_server)
    sockets = [_connect(fresh_server) for _ in range(3)]
    try:
        sockets[0].sendall(_health_request(port))
        assert read_response(sockets[0], bytearray())[0] == 200
        started = time.monotonic()
        assert fresh_server.stop() == 0
        assert time.monotonic() - started < 5  # idle keep-alive connections do not hold the stop
        for sock in sockets:
            assert _closed_by_server(sock)
    finally:
        for sock in sockets:
            sock.close()
