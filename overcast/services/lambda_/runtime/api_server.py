"""The Lambda Runtime API, served on loopback for one execution environment.

Each environment gets its own tiny HTTP/1.1 server on an ephemeral port (AWS_LAMBDA_RUNTIME_API
=127.0.0.1:port), so a request never has to say which environment it belongs to and any runtime
client - ours, awslambdaric, a provided `bootstrap` using curl - works unmodified. The parser
handles exactly what runtime clients send: keep-alive, Content-Length or chunked bodies and
`Expect: 100-continue`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from typing import Protocol

from overcast.services.lambda_.runtime.invocation import Invocation

log = logging.getLogger("overcast.lambda.runtime_api")

PREFIX = "/2018-06-01/runtime/"
MAX_RESPONSE_BYTES = 6 * 1024 * 1024
_REASONS = {200: "OK", 202: "Accepted", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
            413: "Request Entity Too Large", 500: "Internal Server Error"}


class RuntimeApiHandler(Protocol):
    async def next_invocation(self) -> Invocation: ...
    def invocation_response(self, request_id: str, body: bytes) -> bool: ...
    def invocation_error(self, request_id: str, body: bytes, error_type: str | None) -> bool: ...
    def init_error(self, body: bytes, error_type: str | None) -> None: ...
    def response_too_large(self, request_id: str, size: int) -> bool: ...


class RuntimeApiServer:
    def __init__(self, handler: RuntimeApiHandler):
        self.handler = handler
        self._server: asyncio.base_events.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task] = set()
        self.port = 0

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=1 << 16)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._connections):
            writer.close()
        self._connections.clear()
        # A runtime parked on /next would otherwise wait for an invocation forever.
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            # uvloop leaves Nagle on: a response would wait for the runtime's delayed ACK.
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                method, path, headers = _parse_head(head)
                if headers.get("expect", "").lower() == "100-continue":
                    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                body = await _read_body(reader, headers)
                if body is None:
                    return
                status, out_headers, out_body = await self._route(method, path, headers, body)
                _write_response(writer, status, out_headers, out_body)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            self._connections.discard(writer)
            if task is not None:
                self._tasks.discard(task)
            writer.close()

    async def _route(self, method: str, path: str, headers: dict[str, str], body: bytes
                     ) -> tuple[int, list[tuple[str, str]], bytes]:
        path = path.split("?", 1)[0]
        if not path.startswith(PREFIX):
            return _json(404, {"errorMessage": "Not found", "errorType": "NotFound"})
        rest = path[len(PREFIX):]
        if method == "GET" and rest == "invocation/next":
            inv = await self.handler.next_invocation()
            out = [("Content-Type", "application/json"),
                   ("Lambda-Runtime-Aws-Request-Id", inv.request_id),
                   ("Lambda-Runtime-Deadline-Ms", str(inv.deadline_ms)),
                   ("Lambda-Runtime-Invoked-Function-Arn", inv.invoked_function_arn),
                   ("Lambda-Runtime-Trace-Id", inv.trace_id)]
            if inv.client_context:
                out.append(("Lambda-Runtime-Client-Context", inv.client_context))
            if inv.cognito_identity:
                out.append(("Lambda-Runtime-Cognito-Identity", inv.cognito_identity))
            return 200, out, inv.payload
        if method == "POST" and rest == "init/error":
            self.handler.init_error(body, headers.get("lambda-runtime-function-error-type"))
            return _json(202, {"status": "OK"})
        if method == "POST" and rest.startswith("invocation/"):
            parts = rest.split("/")
            if len(parts) == 3 and parts[2] in ("response", "error"):
                request_id = parts[1]
                if parts[2] == "response":
                    if len(body) > MAX_RESPONSE_BYTES:
                        self.handler.response_too_large(request_id, len(body))
                        return _json(413, {"errorMessage": "Exceeded maximum allowed payload size (6291556 bytes).",
                                           "errorType": "RequestEntityTooLarge"})
                    known = self.handler.invocation_response(request_id, body)
                else:
                    known = self.handler.invocation_error(
                        request_id, body, headers.get("lambda-runtime-function-error-type"))
                if not known:
                    return _json(400, {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"})
                return _json(202, {"status": "OK"})
        return _json(404, {"errorMessage": "Not found", "errorType": "NotFound"})


def _parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = (lines[0].split(" ", 2) + ["", ""])[:3]
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return method, path, headers


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes | None:
    try:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            parts: list[bytes] = []
            while True:
                size_line = await reader.readuntil(b"\r\n")
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    # Trailers (rare) end with an empty line.
                    while (await reader.readuntil(b"\r\n")) != b"\r\n":
                        pass
                    return b"".join(parts)
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
        length = int(headers.get("content-length") or 0)
        return await reader.readexactly(length) if length else b""
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
        return None


def _json(status: int, doc: dict) -> tuple[int, list[tuple[str, str]], bytes]:
    return status, [("Content-Type", "application/json")], json.dumps(doc).encode()


def _write_response(writer: asyncio.StreamWriter, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    head = [f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}"]
    head.extend(f"{k}: {v}" for k, v in headers)
    head.append(f"Content-Length: {len(body)}")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
