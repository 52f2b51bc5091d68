"""Large objects: one PutObject and one GetObject of a big body over a raw socket.

A raw socket with UNSIGNED-PAYLOAD keeps the client out of the measurement (boto3 would hash
the whole body for the signature on plain HTTP), so MB/s is what the server can take and give.
The body is one random MiB sent again and again: the client never holds the whole object.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass

from bench.capture import sign_s3_unsigned_payload
from bench.procstats import PeakRssSampler, tree_rss_bytes
from bench.servers import HOST

MIB = 1024 * 1024
KEY_PATH = "/bench-bucket/large-object"


@dataclass
class TransferResult:
    mb_per_s: float
    seconds: float
    rss_growth_bytes: int
    peak_rss_bytes: int


class TransferFailed(RuntimeError):
    pass


def _read_head(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise TransferFailed(f"connection closed before the response head: {buffer[:200]!r}")
        buffer += chunk
        if len(buffer) > 1 << 20:
            raise TransferFailed("response head over 1 MiB")
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0][9:12])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if status == 100:
        return _read_head_after(sock, rest)
    return status, headers, rest


def _read_head_after(sock: socket.socket, pending: bytes) -> tuple[int, dict[str, str], bytes]:
    class _Prefixed:
        def __init__(self) -> None:
            self.pending = pending

        def recv(self, n: int) -> bytes:
            if self.pending:
                out, self.pending = self.pending, b""
                return out
            return sock.recv(n)

    return _read_head(_Prefixed())  # type: ignore[arg-type]


def _drain_error(sock: socket.socket, status: int, headers: dict[str, str], rest: bytes) -> TransferFailed:
    length = int(headers.get("content-length", "0") or 0)
    body = rest
    while len(body) < min(length, 2000):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return TransferFailed(f"HTTP {status}: {body[:300]!r}")


def upload(server_pid: int, port: int, size: int, *, timeout: float = 120.0) -> TransferResult:
    chunk = memoryview(os.urandom(MIB))
    head = sign_s3_unsigned_payload("PUT", f"http://{HOST}:{port}", KEY_PATH, size)
    baseline = tree_rss_bytes(server_pid)
    with socket.create_connection((HOST, port), timeout=timeout) as sock, PeakRssSampler(server_pid) as sampler:
        started = time.perf_counter()
        sent = 0
        try:
            sock.sendall(head)
            while sent < size:
                piece = chunk[: min(MIB, size - sent)]
                sock.sendall(piece)
                sent += len(piece)
        except OSError as error:
            # A server that refuses the body early says why in its response, if it sent one.
            try:
                status, headers, rest = _read_head(sock)
            except (OSError, TransferFailed):
                raise TransferFailed(f"upload stopped after {sent} bytes: {error!r}") from error
            raise _drain_error(sock, status, headers, rest) from error
        status, headers, rest = _read_head(sock)
        seconds = time.perf_counter() - started
        if not 200 <= status < 300:
            raise _drain_error(sock, status, headers, rest)
    return TransferResult(size / MIB / seconds, seconds, sampler.peak - baseline, sampler.peak)


def download(server_pid: int, port: int, size: int, *, timeout: float = 120.0) -> TransferResult:
    head = sign_s3_unsigned_payload("GET", f"http://{HOST}:{port}", KEY_PATH, 0)
    buffer = bytearray(MIB)
    view = memoryview(buffer)
    baseline = tree_rss_bytes(server_pid)
    with socket.create_connection((HOST, port), timeout=timeout) as sock, PeakRssSampler(server_pid) as sampler:
        started = time.perf_counter()
        sock.sendall(head)
        status, headers, rest = _read_head(sock)
        if not 200 <= status < 300:
            raise _drain_error(sock, status, headers, rest)
        if "content-length" not in headers:
            raise TransferFailed(f"no Content-Length on GetObject (headers: {sorted(headers)})")
        expected = int(headers["content-length"])
        received = len(rest)
        deadline = started + timeout
        while received < expected and time.perf_counter() < deadline:
            n = sock.recv_into(view)
            if n == 0:
                break
            received += n
        seconds = time.perf_counter() - started
    if received != expected or expected != size:
        raise TransferFailed(f"received {received} of {expected} bytes (object is {size})")
    return TransferResult(size / MIB / seconds, seconds, sampler.peak - baseline, sampler.peak)
