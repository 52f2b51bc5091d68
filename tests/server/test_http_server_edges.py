"""Overcast's HTTP/1.1 server at its edges, on the wire: pipelines mixing small, streamed and
chunked bodies; Expect: 100-continue either side of the read-whole limit; clients that leave
mid-body or mid-response; back-pressure towards a slow reader; HTTP/1.0; header values the
Latin-1 head cannot hold; oversized request heads; and the JSON codec's edges."""

from __future__ import annotations

import hashlib
import json
import socket
import time
import uuid

import pytest

from overcast.protocol import jsoncodec
from tests.support.raw_http import parse_http_response, raw_signed_request, read_response, read_response_head

BUCKET = "http-server-edges"
READ_WHOLE_LIMIT = 256 * 1024  # the server's threshold between read-whole and streamed bodies
BIG_OBJECT = 48 * 1024 * 1024


@pytest.fixture(scope="module")
def bucket(s3):
    s3.create_bucket(Bucket=BUCKET)
    return BUCKET


@pytest.fixture(scope="module")
def big_object(s3, bucket) -> str:
    """An object large enough that the server cannot send it without waiting for the reader."""
    key = "big-object"
    s3.put_object(Bucket=bucket, Key=key, Body=b"\x5a" * BIG_OBJECT)
    return key


def _port(server) -> int:
    return server.port


def _connect(server, timeout: float = 10) -> socket.socket:
    return socket.create_connection(("127.0.0.1", _port(server)), timeout=timeout)


def _read_until_closed(sock: socket.socket) -> bytes:
    data = bytearray()
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return bytes(data)


def _health(server, extra: str = "", version: str = "1.1") -> bytes:
    return f"GET /_overcast/health HTTP/{version}\r\nHost: 127.0.0.1:{_port(server)}\r\n{extra}\r\n".encode()


def _assert_still_serving(server) -> None:
    with _connect(server) as sock:
        sock.sendall(_health(server))
        status, _, body = read_response(sock, bytearray())
    assert status == 200 and json.loads(body)["version"]


def _server_rss_mib(server) -> int:
    with open(f"/proc/{server.proc.pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    raise AssertionError("no VmRSS")


def _signed_put(server, key: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    return raw_signed_request(server.endpoint_url, "PUT", f"/{BUCKET}/{key}", headers, body)


def _chunked(data: bytes, piece: int = 100_000) -> bytes:
    return b"".join(b"%x\r\n%b\r\n" % (len(data[i:i + piece]), data[i:i + piece])
                    for i in range(0, len(data), piece)) + b"0\r\n\r\n"


# -- pipelines ------------------------------------------------------------------------------------


def test_pipeline_mixing_small_streamed_and_chunked_bodies_is_answered_in_order(server, bucket, s3):
    small = b"small body"
    streamed = bytes(range(256)) * 1200  # 300 KiB: streamed to the handler
    chunked = b"chunked!" * 50_000  # 400 KB, length unknown to the server
    requests = [
        _signed_put(server, "pipe-small", {"Content-Length": str(len(small))}, small),
        _signed_put(server, "pipe-streamed", {"Content-Length": str(len(streamed))}, streamed),
        _signed_put(server, "pipe-chunked", {"Transfer-Encoding": "chunked"}, _chunked(chunked)),
        raw_signed_request(server.endpoint_url, "GET", f"/{bucket}/pipe-streamed", {}),
        _health(server),
    ]
    with _connect(server) as sock:
        sock.sendall(b"".join(requests))
        pending = bytearray()
        answers = [read_response(sock, pending) for _ in requests]
    etags = [headers.get("etag") for _, headers, _ in answers[:3]]
    assert [status for status, _, _ in answers] == [200] * 5
    assert etags == [f'"{hashlib.md5(b).hexdigest()}"' for b in (small, streamed, chunked)]
    assert answers[3][2] == streamed
    assert s3.get_object(Bucket=bucket, Key="pipe-chunked")["Body"].read() == chunked


def test_pipeline_deeper_than_the_pipeline_limit_is_answered_whole(server):
    count = 200  # far beyond the requests parsed ahead before reading pauses
    with _connect(server) as sock:
        sock.sendall(_health(server) * count)
        pending = bytearray()
        statuses = [read_response(sock, pending)[0] for _ in range(count)]
    assert statuses == [200] * count


def test_malformed_request_behind_a_response_ends_the_connection_after_it(server, bucket, big_object):
    with _connect(server, timeout=4) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)  # the GET below waits on us
        sock.sendall(raw_signed_request(server.endpoint_url, "GET", f"/{bucket}/{big_object}", {}))
        pending = bytearray()
        _, headers, status = read_response_head(sock, pending)
        assert status == 200
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        while len(pending) < BIG_OBJECT:
            pending += sock.recv(1 << 20)
        assert bytes(pending[:BIG_OBJECT]) == b"\x5a" * BIG_OBJECT
        try:
            assert sock.recv(65536) == b""  # closed right after the response, nothing more
        except TimeoutError:
            pytest.fail("the connection was left open after the response")


# -- Expect: 100-continue --------------------------------------------------------------------------


@pytest.mark.parametrize("size", [READ_WHOLE_LIMIT, READ_WHOLE_LIMIT + 1], ids=["at-limit", "just-above"])
def test_expect_100_continue_either_side_of_the_read_whole_limit(server, bucket, s3, size):
    body = (b"0123456789abcdef" * (size // 16 + 1))[:size]
    key = f"expect-edge-{size}"
    with _connect(server) as sock:
        sock.sendall(_signed_put(server, key, {"Content-Length": str(size), "Expect": "100-continue"}))
        pending = bytearray()
        head, _, status = read_response_head(sock, pending)
        assert status == 100, head
        sock.sendall(body)
        status, headers, _ = read_response(sock, pending)
        assert status == 200 and headers["etag"] == f'"{hashlib.md5(body).hexdigest()}"'
        # The connection stays usable: the whole body was consumed.
        sock.sendall(_health(server))
        assert read_response(sock, pending)[0] == 200
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body


def test_100_continue_is_not_written_into_a_response_being_streamed(server, bucket, big_object):
    with _connect(server) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)  # the GET below waits on us
        sock.sendall(raw_signed_request(server.endpoint_url, "GET", f"/{bucket}/{big_object}", {}))
        pending = bytearray()
        _, headers, status = read_response_head(sock, pending)
        assert status == 200
        time.sleep(0.2)
        # A small upload with Expect, pipelined while the object is still being sent.
        sock.sendall(_signed_put(server, "expect-pipelined", {"Content-Length": "5", "Expect": "100-continue"}))
        time.sleep(0.2)
        while len(pending) < BIG_OBJECT:
            pending += sock.recv(1 << 20)
    assert bytes(pending[:BIG_OBJECT]) == b"\x5a" * BIG_OBJECT


def test_http10_expectation_is_ignored(server, bucket):
    request = _signed_put(server, "expect-http10", {"Content-Length": "5", "Expect": "100-continue"}, b"hello")
    request = request.replace(b" HTTP/1.1\r\n", b" HTTP/1.0\r\n", 1)
    with _connect(server) as sock:
        sock.sendall(request)
        answer = _read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]


# -- clients that leave ----------------------------------------------------------------------------


def _json_head(server, length: int) -> bytes:
    return (f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{_port(server)}\r\nContent-Length: {length}\r\n"
            "Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\n"
            "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, "
            "SignedHeaders=host, Signature=00\r\n\r\n").encode()


@pytest.mark.parametrize("size", [100_000, 600_000], ids=["read-whole", "streamed"])
def test_client_leaving_mid_body_does_not_stop_the_server(server, size):
    with _connect(server) as sock:
        sock.sendall(_json_head(server, size) + b'{"TableName":"t","Item":' + b" " * (size // 2))
        time.sleep(0.1)
    time.sleep(0.2)
    _assert_still_serving(server)


@pytest.mark.parametrize("route", ["json-api", "form-upload"])
def test_client_leaving_mid_streamed_body_is_not_an_error_in_the_log(server, bucket, route):
    if route == "json-api":
        start = _json_head(server, 600_000) + b'{"TableName":"t","Item":'
    else:  # a data plane, answered outside the AWS API chain
        start = (f"POST /{bucket} HTTP/1.1\r\nHost: 127.0.0.1:{_port(server)}\r\n"
                 "Content-Type: multipart/form-data; boundary=XX\r\nContent-Length: 600000\r\n\r\n"
                 '--XX\r\nContent-Disposition: form-data; name="key"\r\n\r\nk\r\n--XX\r\n'
                 'Content-Disposition: form-data; name="file"; filename="f"\r\n\r\n').encode()
    log_start = server.log_path.stat().st_size
    with _connect(server) as sock:
        sock.sendall(start + b" " * 300_000)
        time.sleep(0.2)
    time.sleep(0.3)
    _assert_still_serving(server)
    with open(server.log_path, "rb") as log:
        log.seek(log_start)
        written = log.read().decode(errors="replace")
    assert "Traceback" not in written and "client disconnected" not in written, written


def test_client_leaving_mid_response_frees_the_connection(server, bucket, big_object):
    for _ in range(3):
        with _connect(server) as sock:
            sock.sendall(raw_signed_request(server.endpoint_url, "GET", f"/{bucket}/{big_object}", {}))
            received = 0
            while received < 1 << 20:
                received += len(sock.recv(65536))
    time.sleep(0.2)
    _assert_still_serving(server)


def test_slow_reader_of_a_large_object_does_not_grow_server_memory(server, bucket, big_object):
    """The response is sent only as fast as the client reads: nothing piles up in the server."""
    before = _server_rss_mib(server)
    sockets = []
    try:
        for _ in range(2):
            sock = _connect(server)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            sock.sendall(raw_signed_request(server.endpoint_url, "GET", f"/{bucket}/{big_object}", {}))
            sockets.append(sock)
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            for sock in sockets:
                sock.recv(16384)
            time.sleep(0.01)
        grown = _server_rss_mib(server) - before
    finally:
        for sock in sockets:
            sock.close()
    assert grown < BIG_OBJECT // (1 << 20) // 2, f"server grew by {grown} MiB"
    _assert_still_serving(server)


# -- HEAD and HTTP/1.0 -----------------------------------------------------------------------------


def test_head_of_a_large_object_has_its_length_and_no_body(server, bucket, big_object):
    head_request = raw_signed_request(server.endpoint_url, "HEAD", f"/{bucket}/{big_object}", {})
    with _connect(server) as sock:
        sock.sendall(head_request + _health(server))
        pending = bytearray()
        _, headers, status = read_response_head(sock, pending)
        assert status == 200 and headers["content-length"] == str(BIG_OBJECT)
        assert "transfer-encoding" not in headers
        # What follows the HEAD answer is the next response, not object bytes.
        assert read_response(sock, pending)[0] == 200


def test_http10_request_without_keep_alive_is_answered_and_closed(server):
    with _connect(server) as sock:
        sock.sendall(_health(server, version="1.0"))
        answer = _read_until_closed(sock)
    response = parse_http_response(answer)
    assert response.status == 200 and json.loads(response.body)["version"]
    assert int(response.headers["content-length"]) == len(response.body)


def test_http10_keep_alive_is_acknowledged(server):
    with _connect(server) as sock:
        sock.sendall(_health(server, "Connection: keep-alive\r\n", version="1.0"))
        status, headers, _ = read_response(sock, bytearray())
    assert status == 200
    assert headers.get("connection", "").lower() == "keep-alive"


# -- headers -----------------------------------------------------------------------------------------


def test_repeated_headers_are_joined_with_commas(server, bucket, s3):
    request = _signed_put(server, "dup-meta", {"Content-Length": "2", "x-amz-meta-dup": "first"}, b"hi")
    request = request.replace(b"x-amz-meta-dup: first\r\n", b"x-amz-meta-dup: first\r\nx-amz-meta-dup: second\r\n")
    with _connect(server) as sock:
        sock.sendall(request)
        assert read_response(sock, bytearray())[0] == 200
    assert s3.head_object(Bucket=bucket, Key="dup-meta")["Metadata"] == {"dup": "first,second"}


@pytest.mark.parametrize("lengths", ["5\r\nContent-Length: 5", "5\r\nContent-Length: 6", "5, 5"])
def test_conflicting_or_repeated_content_length_is_refused(server, lengths):
    with _connect(server) as sock:
        sock.sendall(f"POST /_overcast/health HTTP/1.1\r\nHost: x\r\nContent-Length: {lengths}\r\n\r\nhello!".encode())
        answer = _read_until_closed(sock)
    assert parse_http_response(answer).status == 400


def _mock_api_with_header(apigw, value: str) -> str:
    api = apigw.create_rest_api(name=f"edges-{uuid.uuid4().hex[:8]}")
    api_id, root = api["id"], api["rootResourceId"]
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
                              responseParameters={"method.response.header.X-Test": False})
    apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
                                   responseParameters={"method.response.header.X-Test": f"'{value}'"},
                                   responseTemplates={"application/json": '{"ok": true}'})
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    return api_id


def _call_mock(server, api_id: str) -> bytes:
    with _connect(server) as sock:
        sock.sendall(f"GET /dev/ HTTP/1.1\r\nHost: {api_id}.execute-api.localhost:{_port(server)}\r\n"
                     "Connection: close\r\n\r\n".encode())
        return _read_until_closed(sock)


def test_header_value_beyond_latin1_goes_out_as_utf8(server, client_factory):
    api_id = _mock_api_with_header(client_factory("apigateway"), "caf\u20ac \U0001F600")
    answer = _call_mock(server, api_id)
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert "X-Test: caf\u20ac \U0001F600\r\n".encode() in answer


def test_header_value_with_line_breaks_cannot_split_the_response(server, client_factory):
    api_id = _mock_api_with_header(client_factory("apigateway"), "a\r\nInjected: yes")
    answer = _call_mock(server, api_id)
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b"\r\nInjected:" not in answer


def test_header_value_with_a_lone_surrogate_still_gets_a_response(server, client_factory):
    api_id = _mock_api_with_header(client_factory("apigateway"), "x\ud800y")
    answer = _call_mock(server, api_id)
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_oversized_request_head_is_refused(server):
    with _connect(server, timeout=20) as sock:
        sock.sendall(b"GET /_overcast/health HTTP/1.1\r\nHost: x\r\n")
        try:
            for _ in range(1024):  # 1 MiB of header lines
                sock.sendall(b"X-Filler: " + b"f" * 1012 + b"\r\n")
            sock.sendall(b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the end: what is asked for
        answer = _read_until_closed(sock)
    assert parse_http_response(answer).status in (400, 431)


def test_long_request_target_is_answered(server):
    with _connect(server) as sock:
        sock.sendall(b"GET /" + b"k" * 200_000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = _read_until_closed(sock)
    assert parse_http_response(answer).status in (400, 403, 404, 414, 431)
    _assert_still_serving(server)


# -- jsoncodec ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [{"big": 2**63}, {"small": -(2**63)}, {1: "int key", "s": None},
                                   {"nested": [{"x": 1.5}, "caf\u00e9", "\U0001F600"]}])
def test_jsoncodec_round_trips_what_the_standard_library_does(value):
    encoded = jsoncodec.dumps(value)
    assert json.loads(encoded) == json.loads(json.dumps(value))
    assert jsoncodec.loads(encoded) == json.loads(json.dumps(value))


def test_jsoncodec_dumps_a_lone_surrogate():
    assert jsoncodec.loads(jsoncodec.dumps({"s": "\ud800"})) == {"s": "\ud800"}


@pytest.mark.parametrize("number", [2**64 + 1, -(2**63) - 3, 12345678901234567890123])
def test_jsoncodec_loads_integers_beyond_64_bits_exactly(number):
    decoded = jsoncodec.loads(f'{{"n": {number}}}'.encode())["n"]
    assert type(decoded) is int and decoded == number


def test_jsoncodec_loads_what_orjson_refuses():
    assert jsoncodec.loads(b'{"a": "\\ud800"}') == {"a": "\ud800"}
    assert jsoncodec.loads(b"[NaN]")[0] != jsoncodec.loads(b"[NaN]")[0]
    with pytest.raises(ValueError):
        jsoncodec.loads(b'{"a": "\xff"}')


# -- stopping ----------------------------------------------------------------------------------------


def test_stop_during_an_invoke_answers_it_and_keeps_its_logs(fresh_server):
    import signal
    import threading

    from tests.conftest import make_client
    from tests.support.lambda_code import ROLE, zip_of

    lam = make_client("lambda", fresh_server.endpoint_url)
    code = "import time\ndef handler(event, context):\n    time.sleep(event['s'])\n    print('finished sleeping')\n"
    lam.create_function(FunctionName="slow-at-stop", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": zip_of({"app.py": code})}, Timeout=30)
    answers: list[int] = []
    caller = threading.Thread(target=lambda: answers.append(
        lam.invoke(FunctionName="slow-at-stop", Payload=b'{"s": 1.5}')["StatusCode"]))
    caller.start()
    time.sleep(0.7)
    fresh_server.proc.send_signal(signal.SIGTERM)
    assert fresh_server.proc.wait(20) == 0
    caller.join(10)
    fresh_server.proc = None
    assert answers == [200]  # the running request was finished within the grace period
    log_text = fresh_server.log_path.read_text(errors="replace")
    assert "Traceback" not in log_text, log_text[-3000:]
    fresh_server.start()
    logs = make_client("logs", fresh_server.endpoint_url)
    events = logs.filter_log_events(logGroupName="/aws/lambda/slow-at-stop")["events"]
    assert any("finished sleeping" in event["message"] for event in events)
