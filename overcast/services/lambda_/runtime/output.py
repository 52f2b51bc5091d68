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
        # The unfinished line as the pieces that came, joined only once it ends: re-joining and
        # re-searching it at every read would cost time quadratic in the line's length.
        self._pieces: list[bytes] = []
        self._pending = 0

    def data_received(self, data: bytes) -> None:
        end = data.find(b"\n")
        if end < 0:
            self._hold(data)
            return
        if self._pieces:
            self._pieces.append(data[:end + 1])
            line = b"".join(self._pieces)
            self._pieces, self._pending = [], 0
            self._emit(line)
        else:
            self._emit(data[:end + 1])
        start = end + 1
        while True:
            end = data.find(b"\n", start)
            if end < 0:
                break
            self._emit(data[start:end + 1])
            start = end + 1
        if start < len(data):
            self._hold(data[start:])

    def _hold(self, piece: bytes) -> None:
        if not piece:
            return
        self._pieces.append(piece)
        self._pending += len(piece)
        if self._pending > self.LIMIT:
            rest = b"".join(self._pieces)
            while len(rest) > self.LIMIT:
                self._on_line(rest[:self.LIMIT])
                rest = rest[self.LIMIT:]
            self._pieces, self._pending = ([rest] if rest else []), len(rest)

    def _emit(self, line: bytes) -> None:
        # A line longer than the limit is handed on in pieces of at most LIMIT bytes.
        while len(line) > self.LIMIT:
            self._on_line(line[:self.LIMIT])
            line = line[self.LIMIT:]
        self._on_line(line)

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.flush_partial()
        if not self._done.done():
            self._done.set_result(None)

    def flush_partial(self) -> None:
        if self._pieces:
            partial = b"".join(self._pieces)
            self._pieces, self._pending = [], 0
            self._on_line(partial)


def unread_bytes(fd: int) -> int:
    """Bytes waiting in a pipe (0 when it is closed)."""
    try:
        return int.from_bytes(fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"), sys.byteorder)
    except OSError:
        return 0
