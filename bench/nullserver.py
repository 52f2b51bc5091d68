"""A do-nothing HTTP server: the floor that any AWS emulator's numbers are read against.

It answers every request at once, without doing anything, with the headers AWS sends for that
call (request ids, Date, ETag, Last-Modified, the checksum the client asked for, ...), so that a
client spends on its answers what it spends on AWS's: a benchmark against it measures only the
client (or the load generator) and the loopback. (A floor that answered with fewer headers
would make the client's own parsing of AWS's headers look like the server's cost.)
Run as `python -m bench.nullserver --port P`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import signal
import time
import zlib
from email.utils import formatdate
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


_REQUEST_ID = b"4442587FB7D0A2F9"
_HOST_ID = b"Lr0tB+PjKSJ1aQ0TXJQEzy9UQ2zQ3T6zB2oE1Rr8ErWAmHkBh9tXEeO1wUjj0EWdKzyWmU7t0pk="
_LAST_MODIFIED = b"Tue, 24 Nov 2026 00:00:00 GMT"
_OBJECT_CRC32 = base64.b64encode(zlib.crc32(OBJECT_BODY).to_bytes(4, "big"))
_S3_IDS = [(b"x-amz-id-2", _HOST_ID), (b"x-amz-request-id", _REQUEST_ID)]
_DDB_IDS = [(b"x-amzn-RequestId", b"HFS7NMMBF8CD3VK9GT4RQKKDIVVV4KQNSO5AEMVJF66Q9ASUAAJG")]


_CRC32S: dict[bytes, bytes] = {}  # of the few constant bodies


class _Date:
    """Date, as every AWS answer carries it, formatted once per second."""

    second = -1
    header: tuple[bytes, bytes] = (b"Date", b"")

    @classmethod
    def now(cls) -> tuple[bytes, bytes]:
        second = int(time.time())
        if second != cls.second:
            cls.second, cls.header = second, (b"Date", formatdate(second, usegmt=True).encode())
        return cls.header


def _json(body: bytes) -> bytes:
    crc = _CRC32S.get(body) or _CRC32S.setdefault(body, str(zlib.crc32(body)).encode())
    return _response(b"200 OK", [_Date.now(), *_DDB_IDS, (b"x-amz-crc32", crc),
                                 (b"Content-Type", b"application/x-amz-json-1.0")], body)


GET_ITEM_BODY = b'{"Item":{"pk":{"S":"get-0"},"payload":{"S":"' + b"x" * 1000 + b'"},"n":{"N":"42"}}}'
# A 1,000-item partition of small items, as the Query workload reads it, for the client's parse cost.
QUERY_BODY = (
    b'{"Count":1000,"ScannedCount":1000,"Items":['
    + b",".join(b'{"pk":{"S":"partition"},"sk":{"N":"%d"},"payload":{"S":"%s"}}' % (n, b"y" * 100)
                for n in range(1000))
    + b"]}"
)


def _object_headers(etag: bytes) -> list[tuple[bytes, bytes]]:
    return [_Date.now(), *_S3_IDS, (b"x-amz-server-side-encryption", b"AES256"), (b"ETag", etag)]


def _get_object(head: bytes) -> bytes:
    headers = [*_object_headers(b'"0f343b0931126a20f133d67c2b018a3b"'), (b"Last-Modified", _LAST_MODIFIED),
               (b"Accept-Ranges", b"bytes"), (b"Content-Type", b"binary/octet-stream")]
    if _header(head, b"x-amz-checksum-mode") == b"enabled":  # head is lower-cased
        headers += [(b"x-amz-checksum-crc32", _OBJECT_CRC32), (b"x-amz-checksum-type", b"FULL_OBJECT")]
    return _response(b"200 OK", headers, OBJECT_BODY)


def _put_object(head: bytes) -> bytes:
    headers = _object_headers(b'"0"')
    for name in (b"x-amz-checksum-crc32", b"x-amz-checksum-crc32c", b"x-amz-checksum-sha256"):
        value = _header(head, name)
        if value is not None:  # S3 echoes the checksum it verified
            headers += [(name, value), (b"x-amz-checksum-type", b"FULL_OBJECT")]
    return _response(b"200 OK", headers, b"")


LIST_OK = _response(b"200 OK", [(b"Content-Type", b"application/xml")], LIST_BUCKETS_XML)
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
                return _json(GET_ITEM_BODY)
            return _json(QUERY_BODY if target.endswith(b".query") else b"{}")
        method, _, rest = head.partition(b" ")
        path = rest.split(b" ", 1)[0].split(b"?", 1)[0]
        if method == b"get":
            return LIST_OK if path == b"/" else _get_object(head)
        if method == b"head":
            return HEAD_OK
        if path.endswith(b"/invocations"):
            # Lambda Invoke: the event comes back as the function's result, as an echo handler would return it.
            return _response(b"200 OK", [(b"Content-Type", b"application/json"),
                                         (b"X-Amz-Executed-Version", b"$LATEST")], body)
        return _put_object(head)


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
