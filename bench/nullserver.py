"""A do-nothing HTTP server: the floor that any AWS emulator's numbers are read against.

It answers every request at once with the smallest response an AWS client accepts, so a
benchmark against it measures only the client (or the load generator) and the loopback.
Run as `python -m bench.nullserver --port P`.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import cast

from bench.aio import run_fast

OBJECT_BODY = b"\0" * 1024

LIST_BUCKETS_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    b"<Owner><ID>0</ID><DisplayName>null</DisplayName></Owner><Buckets></Buckets>"
    b"</ListAllMyBucketsResult>"
)


def _response(status: bytes, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
    head = [b"HTTP/1.1 " + status]
    head += [name + b": " + value for name, value in headers]
    head.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(head) + b"\r\n\r\n" + body


GET_ITEM_OK = _response(
    b"200 OK",
    [(b"Content-Type", b"application/x-amz-json-1.0")],
    b'{"Item":{"pk":{"S":"get-0"},"payload":{"S":"' + b"x" * 1000 + b'"},"n":{"N":"42"}}}',
)
# A 1,000-item partition of small items, as the Query workload reads it, for the client's parse cost.
QUERY_OK = _response(
    b"200 OK",
    [(b"Content-Type", b"application/x-amz-json-1.0")],
    b'{"Count":1000,"ScannedCount":1000,"Items":['
    + b",".join(b'{"pk":{"S":"partition"},"sk":{"N":"%d"},"payload":{"S":"%s"}}' % (n, b"y" * 100)
                for n in range(1000))
    + b"]}",
)
JSON_OK = _response(b"200 OK", [(b"Content-Type", b"application/x-amz-json-1.0")], b"{}")
LIST_OK = _response(b"200 OK", [(b"Content-Type", b"application/xml")], LIST_BUCKETS_XML)
GET_OK = _response(b"200 OK", [(b"Content-Type", b"binary/octet-stream"), (b"ETag", b'"0"')], OBJECT_BODY)
PUT_OK = _response(b"200 OK", [(b"ETag", b'"0"')], b"")
HEAD_OK = b"HTTP/1.1 200 OK\r\nETag: \"0\"\r\nContent-Length: 1024\r\n\r\n"
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def _header(head: bytes, name: bytes) -> bytes | None:
    start = head.find(b"\r\n" + name + b":")
    if start < 0:
        return None
    start += len(name) + 3
    end = head.find(b"\r\n", start)
    return head[start : end if end >= 0 else len(head)].strip()


class NullProtocol(asyncio.Protocol):
    """One connection; parses just enough HTTP/1.1 to find where each request ends."""

    transport: asyncio.Transport

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.continued = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self._serve_one():
            pass

    def _serve_one(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self.buffer[:end]).lower()
        body_start = end + 4
        length = _header(head, b"content-length")
        if length is not None:
            request_end = body_start + int(length)
        elif _header(head, b"transfer-encoding") == b"chunked":
            terminator = self.buffer.find(b"\r\n0\r\n", body_start - 2)
            trailer_end = self.buffer.find(b"\r\n\r\n", terminator + 3) if terminator >= 0 else -1
            request_end = trailer_end + 4 if trailer_end >= 0 else len(self.buffer) + 1
        else:
            request_end = body_start
        if request_end > len(self.buffer):
            # Clients that sent Expect wait for this before the body (botocore waits up to 1 s).
            if not self.continued and _header(head, b"expect") == b"100-continue":
                self.continued = True
                self.transport.write(CONTINUE)
            return False
        body = bytes(self.buffer[body_start:request_end]) if length is not None else b""
        del self.buffer[:request_end]
        self.continued = False
        self.transport.write(self._answer(head, body))
        return True

    @staticmethod
    def _answer(head: bytes, body: bytes) -> bytes:
        target = _header(head, b"x-amz-target")
        if target is not None:
            # A 1 KB item, so the client's floor includes parsing what a real GetItem returns.
            if target.endswith(b".getitem"):
                return GET_ITEM_OK
            return QUERY_OK if target.endswith(b".query") else JSON_OK
        method, _, rest = head.partition(b" ")
        path = rest.split(b" ", 1)[0].split(b"?", 1)[0]
        if method == b"get":
            return LIST_OK if path == b"/" else GET_OK
        if method == b"head":
            return HEAD_OK
        if path.endswith(b"/invocations"):
            # Lambda Invoke: the event comes back as the function's result, as an echo handler would return it.
            return _response(b"200 OK", [(b"Content-Type", b"application/json"),
                                         (b"X-Amz-Executed-Version", b"$LATEST")], body)
        return PUT_OK


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(NullProtocol, host, port, reuse_address=True, backlog=512)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"null server listening on http://{host}:{port}", flush=True)
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    run_fast(serve(args.host, args.port))


if __name__ == "__main__":
    main()
