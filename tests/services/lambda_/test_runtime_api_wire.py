"""The Runtime API on the wire, as runtime clients other than ours may speak it: a custom runtime
whose bootstrap writes raw HTTP/1.1 (pipelining, Expect: 100-continue, chunked bodies, several
connections, Connection: close) and reports what it saw."""

from __future__ import annotations

import asyncio
import json
import os
import sys

from overcast.services.lambda_.runtime.invocation import Invocation
from tests.services.lambda_.test_runtime_unit import ARN, harness, make_spec, write_code  # noqa: F401

BOOTSTRAP = r'''#!PYTHON
import json, os, socket, time

HOST, PORT = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
BASE = "/2018-06-01/runtime/"


def connect():
    return socket.create_connection((HOST, int(PORT)))


def read_response(sock, buf):
    """(status, headers, body, leftover bytes); None when the server closed the connection."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head, _, buf = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(buf) < length:
        buf += sock.recv(65536)
    return status, headers, buf[:length], buf[length:]


def request(method, path, body=b"", headers=()):
    head = f"{method} {BASE}{path} HTTP/1.1\r\nHost: {HOST}\r\n"
    for name, value in headers:
        head += f"{name}: {value}\r\n"
    if method == "POST" and not any(n.lower() == "transfer-encoding" for n, _ in headers):
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


# 1. A plain /next on one kept-alive connection; the answer reports the headers it came with.
b = connect()
b.sendall(request("GET", "invocation/next"))
status, headers, body, rest = read_response(b, b"")
rid = headers["lambda-runtime-aws-request-id"]
seen = {k: v for k, v in headers.items() if k.startswith("lambda-runtime-")}
seen["event"] = json.loads(body)
b.sendall(request("POST", f"invocation/{rid}/response", json.dumps(seen).encode()))
status, _, _, rest = read_response(b, rest)
assert status == 202, status

# 2. A /next on a second connection that goes away while parked: the invocation must come to
# the /next that is still there.
a = connect()
a.sendall(request("GET", "invocation/next"))
time.sleep(0.2)
a.close()
b.sendall(request("GET", "invocation/next"))
status, headers, body, rest = read_response(b, rest)
rid = headers["lambda-runtime-aws-request-id"]

# 3. The response with Expect: 100-continue and a chunked body, the next /next pipelined behind it.
b.sendall(request("POST", f"invocation/{rid}/response",
                  headers=[("Expect", "100-continue"), ("Transfer-Encoding", "chunked")]))
interim = b""
while b"\r\n\r\n" not in interim:
    interim += b.recv(1)
payload = json.dumps({"interim": interim.decode().split("\r\n")[0], "event": json.loads(body)}).encode()
half = len(payload) // 2
chunked = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (half, payload[:half], len(payload) - half, payload[half:])
b.sendall(chunked + request("GET", "invocation/next"))
status, _, _, rest = read_response(b, rest)
assert status == 202, status
status, headers, body, rest = read_response(b, rest)
rid = headers["lambda-runtime-aws-request-id"]

# 4. Errors of the API itself, on a third connection that asks to be closed; then an /error.
c = connect()
c.sendall(request("POST", "invocation/not-a-request/response", b"{}"))
bad_id = read_response(c, b"")
c.sendall(request("GET", "nowhere", headers=[("Connection", "close")]))
not_found = read_response(c, bad_id[3])
closed = c.recv(10) == b""
report = {"bad_id": [bad_id[0], json.loads(bad_id[2])], "not_found": [not_found[0], json.loads(not_found[2])],
          "closed": closed, "event": json.loads(body)}
doc = {"errorType": "Reported", "errorMessage": json.dumps(report)}
b.sendall(request("POST", f"invocation/{rid}/error", json.dumps(doc).encode(),
                  [("Lambda-Runtime-Function-Error-Type", "Reported")])
          + request("GET", "invocation/next"))
read_response(b, rest)
while True:
    time.sleep(1)
'''


def test_runtime_api_on_the_wire(harness, tmp_path):  # noqa: F811
    code = write_code(tmp_path, {"bootstrap": BOOTSTRAP.replace("PYTHON", sys.executable)})
    os.chmod(os.path.join(code, "bootstrap"), 0o755)
    spec = make_spec(code, "provided.al2023", "x", timeout=5)

    async def go(pool):
        first = Invocation("rid-1", b'{"n": 1}', ARN + ":live", 5, client_context='{"custom": {"k": 1}}',
                           cognito_identity='{"cognitoIdentityId": "id-1"}', trace_id="Root=1-abc-def;Sampled=0")
        results = [await pool.invoke(spec, first)]
        # The bootstrap's second connection waits on /next, then goes away; the first waits.
        api = pool.environments("000000000000", "us-east-1", "f")[0].api
        for _ in range(500):
            if api.waiting == 1 and len(api.connections) == 1:
                break
            await asyncio.sleep(0.01)
        for n in (2, 3):
            results.append(await pool.invoke(spec, Invocation(f"rid-{n}", b'{"n": %d}' % n, ARN, 5)))
        return first, results

    first, (one, two, three) = harness.run(go)
    seen = json.loads(one.payload)
    assert one.function_error is None
    assert seen["event"] == {"n": 1}
    assert seen["lambda-runtime-aws-request-id"] == "rid-1"
    assert seen["lambda-runtime-invoked-function-arn"] == ARN + ":live"
    assert seen["lambda-runtime-trace-id"] == "Root=1-abc-def;Sampled=0"
    assert seen["lambda-runtime-client-context"] == '{"custom": {"k": 1}}'
    assert seen["lambda-runtime-cognito-identity"] == '{"cognitoIdentityId": "id-1"}'
    assert int(seen["lambda-runtime-deadline-ms"]) == first.deadline_ms > 0

    assert two.function_error is None, two.payload
    assert json.loads(two.payload) == {"interim": "HTTP/1.1 100 Continue", "event": {"n": 2}}

    assert three.function_error == "Unhandled"
    doc = json.loads(three.payload)
    assert doc["errorType"] == "Reported"
    report = json.loads(doc["errorMessage"])
    assert report["event"] == {"n": 3}
    assert report["bad_id"] == [400, {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"}]
    assert report["not_found"] == [404, {"errorMessage": "Not found", "errorType": "NotFound"}]
    assert report["closed"] is True
