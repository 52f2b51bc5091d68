"""The Lambda Runtime API, served on loopback for one execution environment.

Each environment gets its own tiny HTTP/1.1 server on an ephemeral port (AWS_LAMBDA_RUNTIME_API
=127.0.0.1:port), so a request never has to say which environment it belongs to and any runtime
client - ours, awslambdaric, a provided `bootstrap` using curl - works unmodified. httptools
parses what runtime clients send: keep-alive, Content-Length or chunked bodies, `Expect:
100-continue` and pipelined requests.

It sits on every warm invocation's path, so it is an asyncio Protocol without a task per
connection: a /next that finds an invocation waiting is answered from the same read, one that
does not is parked and answered by `deliver` directly. Responses produced by one read go out in
one write; a 202 whose pipelined /next is parked rides along with that /next's answer (our
Python bootstrap sends its response and its next /next together and reads both answers only
once the next event is there).
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections import deque
from typing import Protocol

import httptools

from overcast.services.lambda_.runtime.invocation import Invocation

PREFIX = "/2018-06-01/runtime/"
# Lambda's synchronous response limit: 6 MiB and 100 bytes (a 6 MiB response passes: LocalStack's
# AWS-validated test_lambda_large_response).
MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100
_REASONS = {200: "OK", 202: "Accepted", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
            413: "Request Entity Too Large", 500: "Internal Server Error"}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
# The headers a route reads; the others are not kept.
_PEAK_MEMORY = b"overcast-peak-memory-kb"  # bootstrap_python.PEAK_MEMORY_HEADER
_WANTED = frozenset({b"lambda-runtime-function-error-type", b"expect", _PEAK_MEMORY})


def _json(status: int, doc: dict) -> bytes:
    body = json.dumps(doc).encode()
    return (f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1") + body


_ACCEPTED = _json(202, {"status": "OK"})
_NOT_FOUND = _json(404, {"errorMessage": "Not found", "errorType": "NotFound"})
_INVALID_ID = _json(400, {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"})
_TOO_LARGE = _json(413, {"errorMessage": "Exceeded maximum allowed payload size (6291556 bytes).",
                         "errorType": "RequestEntityTooLarge"})


class RuntimeApiHandler(Protocol):
    def runtime_waiting(self) -> None: ...
    def invocation_delivered(self, inv: Invocation) -> None: ...
    def peak_memory_reported(self, kib: int) -> None: ...
    def invocation_response(self, request_id: str, body: bytes) -> bool: ...
    def invocation_error(self, request_id: str, body: bytes, error_type: str | None) -> bool: ...
    def init_error(self, body: bytes, error_type: str | None) -> None: ...
    def response_too_large(self, request_id: str, size: int) -> bool: ...


def _next_response(inv: Invocation) -> bytes:
    head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Lambda-Runtime-Aws-Request-Id: {inv.request_id}\r\n"
            f"Lambda-Runtime-Deadline-Ms: {inv.deadline_ms}\r\n"
            f"Lambda-Runtime-Invoked-Function-Arn: {inv.invoked_function_arn}\r\n"
            f"Lambda-Runtime-Trace-Id: {inv.trace_id}\r\n")
    if inv.client_context:
        head += f"Lambda-Runtime-Client-Context: {inv.client_context}\r\n"
    if inv.cognito_identity:
        head += f"Lambda-Runtime-Cognito-Identity: {inv.cognito_identity}\r\n"
    return (head + f"Content-Length: {len(inv.payload)}\r\n\r\n").encode("latin-1") + inv.payload


class _Request:
    __slots__ = ("method", "path", "headers", "body", "size", "keep_alive")

    def __init__(self, method: str, path: str, headers: dict[bytes, str], body: bytes, size: int,
                 keep_alive: bool):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.size = size
        self.keep_alive = keep_alive


class _Connection(asyncio.Protocol):
    """One runtime client's connection. Requests are answered in order; while a /next is parked,
    requests pipelined behind it wait in `_backlog`."""

    def __init__(self, server: RuntimeApiServer):
        self._server = server
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._headers: dict[bytes, str] = {}
        self._body: list[bytes] = []
        self._out: list[bytes] = []
        self._parked = False
        self._closing = False
        self._backlog: deque[_Request] = deque()
        self._reading = False

    # -- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's transports do not subclass asyncio's
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # uvloop leaves Nagle on: a response would wait for the runtime's delayed ACK.
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        self._server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._server.connections.discard(self)
        if self._parked:
            self._parked = False
            self._server.unpark(self)
        self._backlog.clear()

    def data_received(self, data: bytes) -> None:
        self._reading = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            if self._parked:  # its answer cannot come before the parked /next's: just end
                self.close()
                return
            self._out.append(_BAD_REQUEST)
            self._closing = True
        finally:
            self._reading = False
        self._flush()

    # -- parser callbacks ----------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = {}
        self._body = []

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name in _WANTED:
            self._headers[name] = value.decode("latin-1").strip()

    def on_headers_complete(self) -> None:
        # The client waits for this before it sends the body. Behind a parked /next it would be
        # taken for that request's answer: the client then sends the body after its own wait.
        if (self._headers.get(b"expect", "").lower() == "100-continue" and not self._parked
                and self._transport is not None and self._parser.get_http_version() != "1.0"):
            self._out.append(_CONTINUE)  # written at the end of this read, before the body comes

    def on_body(self, data: bytes) -> None:
        self._body.append(data)

    def on_message_complete(self) -> None:
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        request = _Request(self._parser.get_method().decode("ascii"), self._url.decode("latin-1"),
                           self._headers, body, len(body), self._parser.should_keep_alive())
        if self._parked or self._backlog:
            self._backlog.append(request)
        else:
            self._handle(request)

    # -- answering -------------------------------------------------------------------------------

    def _handle(self, request: _Request) -> None:
        if self._closing:
            return
        if not request.keep_alive:
            self._closing = True  # after this request's answer, which _flush writes first
        if request.method == "GET" and request.path.split("?", 1)[0] == PREFIX + "invocation/next":
            self._server.handler.runtime_waiting()
            inv = self._server.take_pending()
            if inv is None:
                self._parked = True
                self._server.park(self)
                return
            self._out.append(self._server.delivered(inv))
        else:
            self._out.append(self._server.route(request))

    def answer_next(self, response: bytes) -> None:
        """The parked /next gets its invocation; requests pipelined behind it are answered next."""
        self._parked = False
        self._out.append(response)
        while self._backlog and not self._parked and not self._closing:
            self._handle(self._backlog.popleft())
        if not self._reading:
            self._flush()

    def _flush(self) -> None:
        if self._reading or self._transport is None:
            return
        # A 202 whose pipelined /next is parked waits for that /next's answer: one write then.
        if self._parked:
            return
        if self._out:
            out = self._out
            self._out = []
            self._transport.write(out[0] if len(out) == 1 else b"".join(out))
        if self._closing:
            self._transport.close()

    @property
    def open(self) -> bool:
        # A transport being closed (EOF, a parse error) lives until the next loop pass calls
        # connection_lost: an invocation written to it meanwhile would be lost.
        return self._transport is not None and not self._transport.is_closing()

    def close(self) -> None:
        if self._parked:
            self._parked = False
            self._server.unpark(self)
        if self._transport is not None:
            self._transport.close()


class RuntimeApiServer:
    def __init__(self, handler: RuntimeApiHandler):
        self.handler = handler
        self._server: asyncio.base_events.Server | None = None
        self.connections: set[_Connection] = set()
        self._parked: deque[_Connection] = deque()
        self._pending: deque[Invocation] = deque()
        self.port = 0

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def waiting(self) -> int:
        """How many connections wait on /next."""
        return len(self._parked)

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
        # A runtime parked on /next would otherwise wait for an invocation forever.
        for connection in list(self.connections):
            connection.close()
        self.connections.clear()
        self._parked.clear()
        self._pending.clear()

    # -- invocations -------------------------------------------------------------------------------

    def deliver(self, inv: Invocation) -> None:
        """Hand an invocation to the runtime: now if it waits on /next, else at its next /next."""
        while self._parked:
            connection = self._parked.popleft()
            if connection.open:
                connection.answer_next(self.delivered(inv))
                return
        self._pending.append(inv)

    def delivered(self, inv: Invocation) -> bytes:
        self.handler.invocation_delivered(inv)
        return _next_response(inv)

    def take_pending(self) -> Invocation | None:
        return self._pending.popleft() if self._pending else None

    def park(self, connection: _Connection) -> None:
        self._parked.append(connection)

    def unpark(self, connection: _Connection) -> None:
        try:
            self._parked.remove(connection)
        except ValueError:
            pass

    def route(self, request: _Request) -> bytes:
        path = request.path.split("?", 1)[0]
        if not path.startswith(PREFIX):
            return _NOT_FOUND
        rest = path[len(PREFIX):]
        method = request.method
        if method == "POST" and rest == "init/error":
            self.handler.init_error(request.body, request.headers.get(b"lambda-runtime-function-error-type"))
            return _ACCEPTED
        if method == "POST" and rest.startswith("invocation/"):
            parts = rest.split("/")
            if len(parts) == 3 and parts[2] in ("response", "error"):
                request_id = parts[1]
                peak = request.headers.get(_PEAK_MEMORY)
                if peak is not None and peak.isdigit():
                    self.handler.peak_memory_reported(int(peak))
                if parts[2] == "response":
                    if request.size > MAX_RESPONSE_BYTES:
                        self.handler.response_too_large(request_id, request.size)
                        return _TOO_LARGE
                    known = self.handler.invocation_response(request_id, request.body)
                else:
                    known = self.handler.invocation_error(
                        request_id, request.body, request.headers.get(b"lambda-runtime-function-error-type"))
                return _ACCEPTED if known else _INVALID_ID
        return _NOT_FOUND
