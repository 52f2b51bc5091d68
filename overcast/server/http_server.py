"""Overcast's HTTP/1.1 server: an asyncio protocol on httptools' parser (llhttp, the parser of
Node.js) that hands each request straight to the handler chain.

Why not an ASGI server: the ASGI specification lower-cases every header name, and API Gateway
must hand a function the header names as the client wrote them; and every request would pay
for ASGI's messages (a dict per event, a coroutine call per body chunk, two socket writes per
response), which was about a third of the server's CPU per small request. What this does, and
no more: keep-alive; pipelined requests answered in order; Content-Length and chunked request
bodies, small ones read whole before the handler runs and large ones streamed to it with
back-pressure; Expect: 100-continue; responses written in one send when small, streamed
(chunked when their length is unknown) otherwise; HEAD; idle connections closed after a while;
a graceful stop on SIGINT/SIGTERM.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import time
from collections import deque
from collections.abc import Awaitable, Callable
from email.utils import formatdate
from http import HTTPStatus
from typing import Protocol

import httptools

from overcast.server.http import ClientDisconnected, Request, RequestBody, Response

log = logging.getLogger("overcast.server")

# Bodies up to this size are read whole before the handler runs, so that it never waits on the
# network; larger ones (and chunked ones) are streamed to it as they arrive.
READ_WHOLE_LIMIT = 256 * 1024
# A streamed body stops the socket being read once this much waits for its handler.
STREAM_HIGH_WATER = 1024 * 1024
# Requests parsed ahead of their turn on one connection before reading pauses.
PIPELINE_LIMIT = 16
# Responses up to this size go out in one send with their head; larger ones are not copied.
JOIN_LIMIT = 64 * 1024
# An idle keep-alive connection is closed after IDLE_SWEEPS sweeps without a request.
SWEEP_SECONDS = 10.0
IDLE_SWEEPS = 3
SHUTDOWN_GRACE_SECONDS = 5.0
# A request head (request line and headers) that spans reads is refused past this many bytes:
# without a limit a client could make the server hold any amount of header bytes.
MAX_HEAD_BYTES = 64 * 1024

_STATUS_LINES = {status.value: f"HTTP/1.1 {status.value} {status.phrase}\r\n" for status in HTTPStatus}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_NO_BODY_STATUSES = frozenset((204, 304))
_BAD_REQUEST = (b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\n"
                b"content-length: 19\r\nconnection: close\r\n\r\nInvalid HTTP request")
_HEAD_TOO_LARGE = (b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
                   b"content-length: 31\r\nconnection: close\r\n\r\nRequest header fields too large")
# Reasons for not reading the socket; reading resumes when none is left.
_PAUSED_FOR_BODY = 1
_PAUSED_FOR_PIPELINE = 2


class Application(Protocol):
    async def respond(self, request: Request) -> Response: ...

    def serving_with(self, http: HttpServer) -> None:
        """Called once the server exists, so the application can see how busy it is."""


def _status_line(status: int) -> str:
    return _STATUS_LINES.get(status) or f"HTTP/1.1 {status} Status {status}\r\n"


class _DateHeader:
    """The Date header, formatted once per second rather than per response."""

    def __init__(self) -> None:
        self._second = -1
        self._line = ""

    def line(self) -> str:
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._line = f"date: {formatdate(now, usegmt=True)}\r\n"
        return self._line


def _encode_head(parts: list[str]) -> bytes:
    text = "".join(parts)
    # Every part ends in exactly one CRLF; any other line break came from a header value (a
    # mapping template's output, say) and would split the response: such values are flattened.
    if text.count("\n") != len(parts) or text.count("\r") != len(parts):
        text = "".join(part[:-2].replace("\r", " ").replace("\n", " ") + "\r\n" for part in parts)
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace")  # HTTP headers are bytes; a lone surrogate becomes "?"


class _StreamedBody:
    """A request body that arrives while its handler runs. Chunks wait here; the socket stops
    being read while too many wait, and `100 Continue` goes out when the handler first asks."""

    __slots__ = ("_connection", "_chunks", "_size", "_complete", "_lost", "_waiter", "_send_continue")

    def __init__(self, connection: HttpConnection, expect_continue: bool) -> None:
        self._connection = connection
        self._chunks: list[bytes] = []
        self._size = 0
        self._complete = False
        self._lost = False
        self._waiter: asyncio.Future[None] | None = None
        self._send_continue = expect_continue

    def feed(self, data: bytes) -> None:
        self._chunks.append(data)
        self._size += len(data)
        if self._size > STREAM_HIGH_WATER:
            self._connection.pause_reading(_PAUSED_FOR_BODY)
        self._wake()

    def finish(self) -> None:
        self._complete = True
        self._wake()

    def lose(self) -> None:
        self._lost = True
        self._wake()

    @property
    def waiting(self) -> bool:
        """Its handler waits for bytes the client has not sent."""
        return self._waiter is not None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def receive(self) -> tuple[bytes, bool]:
        if self._send_continue:
            self._send_continue = False
            self._connection.write(_CONTINUE)
        while not self._chunks and not self._complete:
            if self._lost:
                raise ClientDisconnected("client disconnected")
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        chunks = self._chunks
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self._chunks = []
        self._size = 0
        self._connection.resume_reading(_PAUSED_FOR_BODY)
        return data, not self._complete


class _BufferedBody:
    """A small request body, gathered before its handler is started."""

    __slots__ = ("request", "keep_alive", "chunks")

    def __init__(self, request: Request, keep_alive: bool) -> None:
        self.request = request
        self.keep_alive = keep_alive
        self.chunks: list[bytes] = []


class HttpConnection(asyncio.Protocol):
    """One client connection: parses requests, runs them one at a time in order, writes the
    responses."""

    def __init__(self, server: HttpServer) -> None:
        self._server = server
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._client: tuple[str, int] | None = None
        self._url = b""
        self._raw_headers: list[tuple[bytes, bytes]] = []
        self._buffered: _BufferedBody | None = None
        self._streamed: _StreamedBody | None = None
        self._queue: deque[tuple[Request, bool]] = deque()
        self._task: asyncio.Task[None] | None = None
        self._must_close = False
        self._paused = 0
        self._write_paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        self.idle_sweeps = 0
        self._in_head = False
        self._head_bytes = 0

    # -- asyncio.Protocol ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's transports do not subclass asyncio's
        peer = transport.get_extra_info("peername")
        self._client = (peer[0], peer[1]) if isinstance(peer, tuple) and len(peer) >= 2 else None
        self._server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._server.connections.discard(self)
        self._queue.clear()
        if self._streamed is not None:
            self._streamed.lose()
        self._wake_drain()

    def data_received(self, data: bytes) -> None:
        self.idle_sweeps = 0
        if self._in_head:  # a head that did not fit in one read: count what it takes
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self._bad_request(_HEAD_TOO_LARGE)
                return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # Upgrades (h2c, websockets) are not offered: the request is answered as a plain one
            # and the connection closed after it.
            self._must_close = True
        except httptools.HttpParserError:
            self._bad_request()

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self.idle_sweeps = 0  # the client is reading
        self._write_paused = False
        self._wake_drain()

    # -- parser callbacks --------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._in_head = True
        self._head_bytes = 0
        self._url = b""
        self._raw_headers = []

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._raw_headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._in_head = False
        headers: dict[str, str] = {}
        raw_headers: list[tuple[str, str]] = []
        for raw_name, raw_value in self._raw_headers:
            name = raw_name.decode("latin-1")
            value = raw_value.decode("latin-1")
            raw_headers.append((name, value))
            key = name.lower()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        url = self._url
        if url[:1] != b"/":
            url = _origin_form(url)
        path, _, query = url.partition(b"?")
        request = Request(
            method=self._parser.get_method().decode("ascii"),
            path=path.decode("latin-1"),
            query_string=query.decode("latin-1"),
            headers=headers,
            body=_EMPTY_BODY,
            client=self._client,
            raw_headers=raw_headers,
        )
        keep_alive = self._parser.should_keep_alive()
        http10 = self._parser.get_http_version() == "1.0"
        request.http_version = "1.0" if http10 else "1.1"
        # An HTTP/1.0 client cannot take a 100 Continue (RFC 9110 10.1.1): its expectation is ignored.
        expect_continue = not http10 and headers.get("expect", "").lower() == "100-continue"
        length = headers.get("content-length")
        if "transfer-encoding" not in headers:
            if length is None or length == "0":
                request.body = RequestBody.from_bytes(b"")
                self._dispatch(request, keep_alive)
                return
            # llhttp has checked that it is a number. While an earlier response is still being
            # written, a 100 Continue now would land inside it: such a body is streamed instead,
            # and its 100 Continue goes out when its handler asks, after the earlier responses.
            if int(length) <= READ_WHOLE_LIMIT and not (expect_continue and self._task is not None):
                if expect_continue:
                    self.write(_CONTINUE)  # small enough to take whatever the answer
                self._buffered = _BufferedBody(request, keep_alive)
                return
        streamed = _StreamedBody(self, expect_continue)
        self._streamed = streamed
        request.body = RequestBody(streamed)
        self._dispatch(request, keep_alive)

    def on_body(self, data: bytes) -> None:
        if self._buffered is not None:
            self._buffered.chunks.append(data)
        elif self._streamed is not None:
            self._streamed.feed(data)

    def on_message_complete(self) -> None:
        buffered = self._buffered
        if buffered is not None:
            self._buffered = None
            chunks = buffered.chunks
            buffered.request.body = RequestBody.from_bytes(chunks[0] if len(chunks) == 1 else b"".join(chunks))
            self._dispatch(buffered.request, buffered.keep_alive)
        elif self._streamed is not None:
            self._streamed.finish()
            self._streamed = None

    # -- running requests ----------------------------------------------------------------------------

    def _dispatch(self, request: Request, keep_alive: bool) -> None:
        if self._task is not None:
            self._queue.append((request, keep_alive))
            if len(self._queue) >= PIPELINE_LIMIT:
                self.pause_reading(_PAUSED_FOR_PIPELINE)
            return
        self._task = self._server.loop.create_task(self._serve(request, keep_alive))
        self._server.serving.add(self._task)

    async def _serve(self, request: Request, keep_alive: bool) -> None:
        try:
            while True:
                response = await self._server.app.respond(request)
                # Answered before the body was read (an error, usually): its unread bytes would be
                # taken for the next request, so the connection ends with this response.
                keep_alive = keep_alive and request.body.fully_read and not self._must_close
                await self._write_response(request, response, keep_alive)
                if not keep_alive:
                    self.close()
                    return
                if not self._queue:
                    # A malformed request, an upgrade or the server stopping arrived while this
                    # response was written: the connection ends with it, not at the idle sweep.
                    if self._must_close:
                        self.close()
                    return
                request, keep_alive = self._queue.popleft()
                self.resume_reading(_PAUSED_FOR_PIPELINE)
        except ClientDisconnected:  # a data plane (execute-api, form uploads) read a body the client did not finish
            log.info("%s %s: the client left before sending the whole body", request.method, request.path)
            self.close()
        except Exception:
            log.exception("writing a response failed")
            self.close()
        finally:
            self._server.serving.discard(self._task)  # type: ignore[arg-type]  # set by _dispatch
            self._task = None

    async def _write_response(self, request: Request, response: Response, keep_alive: bool) -> None:
        status = response.status
        body = response.body
        parts = [_status_line(status), self._server.date.line()]
        has_length = False
        for name, value in response.headers:
            if len(name) == 14 and name.lower() == "content-length":
                has_length = True
            parts.append(f"{name}: {value}\r\n")
        no_body = request.method == "HEAD" or status in _NO_BODY_STATUSES
        http10 = request.http_version == "1.0"
        if isinstance(body, (bytes, bytearray)):
            if not has_length and status != 204:
                parts.append(f"content-length: {len(body)}\r\n")
            if not keep_alive:
                parts.append("connection: close\r\n")
            elif http10:  # an HTTP/1.0 client assumes the connection ends unless told
                parts.append("connection: keep-alive\r\n")
            parts.append("\r\n")
            head = _encode_head(parts)
            if no_body or not body:
                self.write(head)
            elif len(body) <= JOIN_LIMIT:
                self.write(head + body)
            else:
                self.write(head)
                self.write(body)
            if self._write_paused:
                await self._drain()
            return
        chunked = not has_length and not no_body
        if chunked and http10:  # HTTP/1.0 has no chunked coding: the body ends with the connection
            chunked = False
            keep_alive = False
            self._must_close = True
        if chunked:
            parts.append("transfer-encoding: chunked\r\n")
        if not keep_alive:
            parts.append("connection: close\r\n")
        elif http10:
            parts.append("connection: keep-alive\r\n")
        parts.append("\r\n")
        self.write(_encode_head(parts))
        aclose = getattr(body, "aclose", None)
        try:
            if no_body:
                return
            async for chunk in body:
                if self._transport is None:
                    return  # the client went away; the finally below releases the body's source
                if not chunk:
                    continue
                self.write(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
                if self._write_paused:
                    await self._drain()
            if chunked:
                self.write(b"0\r\n\r\n")
        finally:
            if aclose is not None:
                await aclose()

    # -- transport helpers ------------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if self._transport is not None:
            self._transport.write(data)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        """Close without flushing what waits to be written (close() would wait for a client that
        no longer reads)."""
        if self._transport is not None:
            self._transport.abort()

    def close_when_idle(self) -> None:
        """The server is stopping: close now if nothing runs, else after the current response."""
        self._must_close = True
        if self._task is None and self._buffered is None and self._streamed is None:
            self.close()

    @property
    def idle(self) -> bool:
        """Waiting on the client: for its next request, for the rest of a request (head or body),
        or for it to read the response. A client that makes no progress for IDLE_SWEEPS sweeps
        is dropped, so that a stalled upload or a reader gone silent cannot hold a connection
        (and the blob it reads) for ever; a handler still working is never idle."""
        if self._task is None:
            return True
        return self._write_paused or (self._streamed is not None and self._streamed.waiting)

    def pause_reading(self, reason: int) -> None:
        if not self._paused and self._transport is not None:
            self._transport.pause_reading()
        self._paused |= reason

    def resume_reading(self, reason: int) -> None:
        if not self._paused & reason:
            return
        self._paused &= ~reason
        if not self._paused and self._transport is not None:
            self._transport.resume_reading()

    async def _drain(self) -> None:
        while self._write_paused and self._transport is not None:
            self._drain_waiter = self._server.loop.create_future()
            try:
                await self._drain_waiter
            finally:
                self._drain_waiter = None

    def _wake_drain(self) -> None:
        waiter = self._drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _bad_request(self, answer: bytes = _BAD_REQUEST) -> None:
        if self._task is None:
            self.write(answer)
            self.close()
        else:  # a response is being written: end the connection after it, without a second answer
            self._must_close = True
            if self._transport is not None:
                self._transport.pause_reading()


def _origin_form(url: bytes) -> bytes:
    """The path and query of an absolute-form request target (`http://host/path?q`)."""
    scheme_end = url.find(b"://")
    if scheme_end < 0:
        return b"/" + url if url != b"*" else url
    path_start = url.find(b"/", scheme_end + 3)
    return url[path_start:] if path_start >= 0 else b"/"


_EMPTY_BODY = RequestBody.from_bytes(b"")


class HttpServer:
    def __init__(self, app: Application, loop: asyncio.AbstractEventLoop) -> None:
        self.app = app
        self.loop = loop
        self.date = _DateHeader()
        self.connections: set[HttpConnection] = set()
        # The tasks answering requests received and not yet answered, one per connection at most
        # (a request is in hand from the moment it is parsed, not from when its task first runs).
        self.serving: set[asyncio.Task[None]] = set()

    async def sweep_idle_connections(self) -> None:
        """Closes keep-alive connections that have sent nothing for a while; a per-request timer
        would cost every request, this costs one pass every few seconds."""
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            for connection in list(self.connections):
                if connection.idle:
                    connection.idle_sweeps += 1
                    if connection.idle_sweeps >= IDLE_SWEEPS:
                        connection.abort()

    async def drain_connections(self, grace: float) -> None:
        for connection in list(self.connections):
            connection.close_when_idle()
        deadline = self.loop.time() + grace
        while self.connections and self.loop.time() < deadline:
            await asyncio.sleep(0.02)


async def serve(app: Application, host: str, port: int, *, on_listening: Callable[[], None] = lambda: None,
                on_started: Callable[[], None] = lambda: None,
                on_stopping: Callable[[], Awaitable[None] | None] = lambda: None) -> None:
    """Listen until SIGINT or SIGTERM, then stop taking connections, let running requests
    finish (for a few seconds at most) and return."""
    loop = asyncio.get_running_loop()
    http = HttpServer(app, loop)
    app.serving_with(http)
    listener = await loop.create_server(lambda: HttpConnection(http), host, port, reuse_address=True, backlog=1024)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    sweeper = loop.create_task(http.sweep_idle_connections())
    on_listening()
    # Right after the port opens, not before: start-up stays fast.
    loop.call_later(0.05, on_started)
    try:
        await stop.wait()
    finally:
        listener.close()
        sweeper.cancel()
        await http.drain_connections(SHUTDOWN_GRACE_SECONDS)
        for connection in list(http.connections):
            connection.close()
        result = on_stopping()
        if result is not None:
            await result


# Python's cyclic garbage collector runs a young-generation pass every 700 net allocations of
# container objects: a 10-item TransactWriteItems parses into ~100 dicts, and with 16 requests in
# flight each pass walks ~1,000 live ones (~90 us), every seventh request; now and then a full
# pass walks every object in the process (10 ms, the event loop stalled). Nearly nothing a request
# builds is cyclic garbage (measured: 263 objects collected in 9,000 transactions), so passes are
# made rarer; what exists at start-up (modules, models) is frozen out of the full passes.
GC_THRESHOLDS = (20_000, 20, 20)


def run(app: Application, host: str, port: int, **hooks: Callable) -> int:
    """Serve on uvloop when it is installed, else on asyncio's own loop. Returns the exit code."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        import uvloop

        loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = uvloop.new_event_loop
    except ImportError:
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        try:
            runner.run(serve(app, host, port, **hooks))
        except OSError as error:  # the port is taken, or the address is not ours
            log.error("could not listen on %s:%s: %s", host, port, error)
            return 1
    return 0
