"""One keep-alive connection sending prepared bytes and reading whole responses, for latency samples.

Both sides of a comparison (an API Gateway call and the direct Invoke it wraps, say) go through this
same client, so the client's own cost cancels out of the difference.
"""

from __future__ import annotations

import socket
import time

from bench.loadgen import _find_response_end
from bench.servers import HOST


class RawResponse:
    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.body = body  # as sent: a chunked body keeps its chunk framing


class RawConnection:
    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.port = port
        self.timeout = timeout
        self.sock: socket.socket | None = None

    def _connect(self) -> socket.socket:
        if self.sock is None:
            self.sock = socket.create_connection((HOST, self.port), timeout=self.timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.sock

    def exchange(self, request: bytes) -> tuple[RawResponse, float]:
        """Send one request, read its whole response: (response, seconds from send to the last byte)."""
        sock = self._connect()
        started = time.perf_counter()
        sock.sendall(request)
        buffer = bytearray()
        deadline = started + self.timeout
        while True:
            found = _find_response_end(buffer)
            if found is not None and found[1] != 100:
                break
            if found is not None:  # 100 Continue: drop it, the real answer follows
                del buffer[: found[0]]
                continue
            if time.perf_counter() > deadline:
                self.close()
                raise TimeoutError("no complete response")
            chunk = sock.recv(262144)
            if not chunk:
                self.close()
                raise ConnectionError(f"connection closed mid-response: {bytes(buffer[:200])!r}")
            buffer += chunk
        elapsed = time.perf_counter() - started
        end, status, close, _ = found
        head_end = buffer.find(b"\r\n\r\n") + 4
        response = RawResponse(status, bytes(buffer[head_end:end]))
        if close:
            self.close()
        return response, elapsed

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
