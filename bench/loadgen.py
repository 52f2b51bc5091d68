"""Server-bound load: N keep-alive connections replaying requests signed beforehand.

Each connection keeps one request in flight (no pipelining, as SDKs behave). Responses are
parsed only as far as needed to find where they end (status line, Content-Length or chunked),
so the generator stays far cheaper per request than any server it drives.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import cast

from bench.aio import run_fast
from bench.procstats import own_cpu_seconds


@dataclass
class LoadResult:
    completed: int = 0
    errors: int = 0
    elapsed: float = 0.0
    latencies_ns: list[int] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    first_error: str = ""
    client_cpu_seconds: float = 0.0


class _Shared:
    def __init__(self, requests: list[bytes], max_requests: int, deadline: float, min_body: int) -> None:
        self.requests = requests
        self.min_body = min_body
        self.next_index = 0
        self.max_requests = max_requests
        self.deadline = deadline
        self.result = LoadResult()
        self.done = asyncio.get_running_loop().create_future()
        self.open_connections = 0

    def take(self) -> bytes | None:
        if self.next_index >= self.max_requests or time.monotonic() >= self.deadline:
            return None
        request = self.requests[self.next_index % len(self.requests)]
        self.next_index += 1
        return request


def _find_response_end(buffer: bytearray) -> tuple[int, int, bool, int] | None:
    """(end offset, status, server wants close, body bytes) of the first full response in buffer, or None."""
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    head = bytes(buffer[:head_end]).lower()
    status = int(head[9:12])
    body_start = head_end + 4
    if status == 100:
        return body_start, 100, False, 0
    close = b"\r\nconnection: close" in head or head.startswith(b"http/1.0")
    cl_at = head.find(b"\r\ncontent-length:")
    if cl_at >= 0:
        line_end = head.find(b"\r\n", cl_at + 2)
        length = int(head[cl_at + 17 : line_end if line_end >= 0 else len(head)])
        end = body_start + length
        return (end, status, close, length) if len(buffer) >= end else None
    if b"\r\ntransfer-encoding: chunked" in head:
        position = body_start
        body_bytes = 0
        while True:
            size_end = buffer.find(b"\r\n", position)
            if size_end < 0:
                return None
            size = int(bytes(buffer[position:size_end]).split(b";")[0], 16)
            if size == 0:
                trailer_end = buffer.find(b"\r\n\r\n", size_end)
                return (trailer_end + 4, status, close, body_bytes) if trailer_end >= 0 else None
            body_bytes += size
            position = size_end + 2 + size + 2
            if position > len(buffer):
                return None
    if status in (204, 304) or not close:
        return body_start, status, close, 0
    return None  # body runs to EOF; handled in eof_received


class _Connection(asyncio.Protocol):
    transport: asyncio.Transport

    def __init__(self, shared: _Shared, host: str, port: int) -> None:
        self.shared = shared
        self.host, self.port = host, port
        self.buffer = bytearray()
        self.in_flight: bytes | None = None
        self.sent_at = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        if self.in_flight is not None:
            self._send(self.in_flight)  # resend after the server closed the previous connection
        else:
            self._send_next()

    def _send_next(self) -> None:
        request = self.shared.take()
        if request is None:
            self.in_flight = None
            self.transport.close()
            return
        self._send(request)

    def _send(self, request: bytes) -> None:
        self.in_flight = request
        self.sent_at = time.perf_counter_ns()
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.in_flight is not None:
            found = _find_response_end(self.buffer)
            if found is None:
                return
            end, status, close, body_bytes = found
            if 200 <= status < 300 and body_bytes < self.shared.min_body:
                status = 0  # a success without the expected payload is not a success
            snippet = b"" if 200 <= status < 300 else bytes(self.buffer[: min(end, 400)])
            del self.buffer[:end]
            if status == 100:
                continue
            self._record(status, snippet)
            if close:
                self.in_flight = None
                self.transport.close()
                self._reconnect_if_needed()
                return
            self._send_next()

    def _record(self, status: int, snippet: bytes) -> None:
        result = self.shared.result
        result.latencies_ns.append(time.perf_counter_ns() - self.sent_at)
        result.statuses[status] = result.statuses.get(status, 0) + 1
        if 200 <= status < 300:
            result.completed += 1
        else:
            result.errors += 1
            if not result.first_error:
                what = "2xx with a body shorter than expected" if status == 0 else f"HTTP {status}"
                result.first_error = f"{what}: {snippet[:300]!r}"

    def _reconnect_if_needed(self) -> None:
        request = self.shared.take()
        if request is None:
            return
        self.shared.open_connections += 1
        connection = _Connection(self.shared, self.host, self.port)
        connection.in_flight = request
        task = asyncio.get_running_loop().create_connection(lambda: connection, self.host, self.port)
        asyncio.ensure_future(task).add_done_callback(_report_connect_failure(self.shared))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.in_flight is not None:
            # The server dropped us mid-request: count it and carry on on a fresh connection.
            self.shared.result.errors += 1
            if not self.shared.result.first_error:
                self.shared.result.first_error = f"connection lost: {exc!r}"
            self.in_flight = None
            self._reconnect_if_needed()
        self.shared.open_connections -= 1
        if self.shared.open_connections == 0 and not self.shared.done.done():
            self.shared.done.set_result(None)


def _report_connect_failure(shared: _Shared):  # type: ignore[no-untyped-def]
    def callback(future: asyncio.Future) -> None:  # type: ignore[type-arg]
        if future.exception() is not None:
            shared.open_connections -= 1
            shared.result.errors += 1
            shared.result.first_error = shared.result.first_error or f"connect: {future.exception()!r}"
            if shared.open_connections == 0 and not shared.done.done():
                shared.done.set_result(None)

    return callback


async def _run(host: str, port: int, requests: list[bytes], connections: int, duration: float,
               max_requests: int, min_body: int) -> LoadResult:
    loop = asyncio.get_running_loop()
    shared = _Shared(requests, max_requests, time.monotonic() + duration, min_body)
    cpu_before = own_cpu_seconds()
    started = time.perf_counter()
    for _ in range(connections):
        shared.open_connections += 1
        try:
            await loop.create_connection(lambda: _Connection(shared, host, port), host, port)
        except OSError as error:
            shared.open_connections -= 1
            shared.result.errors += 1
            shared.result.first_error = shared.result.first_error or f"connect: {error!r}"
    if shared.open_connections > 0:
        # Bounded twice: by the deadline inside take(), and here in case a server stops answering.
        try:
            await asyncio.wait_for(asyncio.shield(shared.done), duration + 30)
        except TimeoutError:
            shared.result.first_error = shared.result.first_error or "server stopped answering"
    shared.result.elapsed = time.perf_counter() - started
    shared.result.client_cpu_seconds = own_cpu_seconds() - cpu_before
    return shared.result


def run_load(host: str, port: int, requests: list[bytes], *, connections: int = 16, duration: float = 5.0,
             max_requests: int = 1_000_000, min_body: int = 0) -> LoadResult:
    """Replay `requests` round-robin until `duration` seconds or `max_requests` have passed.

    A 2xx response whose body is shorter than `min_body` bytes counts as an error (status 0)."""
    return run_fast(_run(host, port, requests, connections, duration, max_requests, min_body))
