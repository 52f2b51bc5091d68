"""The Lambda output reader: a function's stdout/stderr pipe split into lines, however the bytes
arrive, with over-long lines handed on in pieces of at most LIMIT bytes."""

from __future__ import annotations

import asyncio
import random

from overcast.services.lambda_.runtime.output import OutputReader


def _read(chunks: list[bytes], limit: int | None = None) -> list[bytes]:
    lines: list[bytes] = []
    loop = asyncio.new_event_loop()
    try:
        reader = OutputReader(lines.append, loop.create_future())
        if limit is not None:
            reader.LIMIT = limit
        for chunk in chunks:
            reader.data_received(chunk)
        reader.connection_lost(None)
    finally:
        loop.close()
    return lines


def _chunked(data: bytes, rng: random.Random) -> list[bytes]:
    chunks, start = [], 0
    while start < len(data):
        size = rng.choice((1, 2, 7, 64, 512, 4096))
        chunks.append(data[start:start + size])
        start += size
    return chunks


def test_lines_come_out_whole_however_the_bytes_are_split():
    rng = random.Random(7)
    text = b"".join(b"line %d %s\n" % (n, b"x" * rng.randrange(0, 3000)) for n in range(200)) + b"tail"
    expected = text.splitlines(keepends=True)
    for _ in range(20):
        assert _read(_chunked(text, rng)) == expected


def test_a_line_longer_than_the_limit_is_handed_on_in_pieces():
    long_line = bytes(range(256)) * 40  # 10,240 bytes, no newline
    for chunks in ([long_line + b"\nnext\n"], _chunked(long_line + b"\nnext\n", random.Random(3))):
        lines = _read(chunks, limit=1000)
        assert b"".join(lines) == long_line + b"\nnext\n"
        assert all(len(line) <= 1000 for line in lines)
        assert lines[-1] == b"next\n"


def test_an_unterminated_last_line_is_flushed_at_the_end():
    assert _read([b"a\nb", b"c"]) == [b"a\n", b"bc"]
    assert _read([b""]) == []
