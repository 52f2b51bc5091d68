"""A function's output: the one pipe its stdout and stderr share, read line by line."""

from __future__ import annotations

import asyncio
import fcntl
import sys
import termios
from collections.abc import Callable


class OutputReader(asyncio.Protocol):
    """The function's stdout and stderr (one pipe), handed on line by line; a line longer than
    the buffer limit is handed on in pieces."""

    LIMIT = 1 << 20

    def __init__(self, on_line: Callable[[bytes], None], done: asyncio.Future):
        self._on_line = on_line
        self._done = done
        self._partial = b""

    def data_received(self, data: bytes) -> None:
        if self._partial:
            data = self._partial + data
        start = 0
        while True:
            end = data.find(b"\n", start)
            if end < 0:
                break
            self._on_line(data[start:end + 1])
            start = end + 1
        rest = data[start:]
        while len(rest) > self.LIMIT:
            self._on_line(rest[:self.LIMIT])
            rest = rest[self.LIMIT:]
        self._partial = rest

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self._partial:
            self._on_line(self._partial)
            self._partial = b""
        if not self._done.done():
            self._done.set_result(None)

    def flush_partial(self) -> None:
        if self._partial:
            partial, self._partial = self._partial, b""
            self._on_line(partial)


def unread_bytes(fd: int) -> int:
    """Bytes waiting in a pipe (0 when it is closed)."""
    try:
        return int.from_bytes(fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"), sys.byteorder)
    except OSError:
        return 0
