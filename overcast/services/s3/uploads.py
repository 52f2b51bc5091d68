"""Taking in an object body: small ones into memory (they go into the object's row), large
ones streamed into a blob file while the hashers watch, never held whole."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from overcast.server.http import RequestBody
from overcast.services.s3.errors import IncompleteBody
from overcast.storage.interface import BlobInfo, BlobStore

# Bodies up to this size are stored in the object row: one group commit makes them durable and
# a read is one query. Larger ones are files, which cost an fsync and a rename of their own.
INLINE_LIMIT = 64 * 1024


@dataclass
class Received:
    size: int
    md5: str  # hex
    body: bytes | None = None  # inline
    blob_id: str | None = None
    trailers: dict[str, str] | None = None


async def receive_body(body: Any, blobs: BlobStore, observers: Sequence[Callable[[bytes], None]],
                       inline_limit: int = INLINE_LIMIT) -> Received:
    """Read a request body (bytes, None, or a streaming body) into an inline buffer or a blob;
    bodies up to `inline_limit` bytes stay in memory."""
    if body is None or isinstance(body, (bytes, bytearray, memoryview)):
        return _inline(bytes(body or b""), observers, None)
    if isinstance(body, str):
        return _inline(body.encode("utf-8"), observers, None)
    if type(body) is RequestBody and body.fully_read:
        # Read whole by the HTTP server already (small bodies are): no stream to walk.
        data = await body.read()
        if len(data) <= inline_limit:
            return _inline(data, observers, None)
    chunks = body.stream().__aiter__()
    buffered: list[bytes] = []
    size = 0
    try:
        async for chunk in chunks:
            if not chunk:
                continue
            buffered.append(chunk)
            size += len(chunk)
            if size > inline_limit:
                break
        else:
            return _inline(b"".join(buffered), observers, getattr(body, "trailers", None))
    except ConnectionError:
        raise IncompleteBody() from None

    async def everything() -> AsyncIterator[bytes]:
        for chunk in buffered:
            yield chunk
        buffered.clear()
        async for chunk in chunks:
            yield chunk

    try:
        info = await blobs.write(everything(), observers)
    except ConnectionError:
        raise IncompleteBody() from None
    return Received(size=info.size, md5=info.md5, blob_id=info.blob_id, trailers=getattr(body, "trailers", None))


def _inline(data: bytes, observers: Sequence[Callable[[bytes], None]], trailers: dict[str, str] | None) -> Received:
    for observe in observers:
        observe(data)
    return Received(len(data), hashlib.md5(data).hexdigest(), data, None, trailers)  # size, md5, body, blob_id, trailers


async def copy_stream(blobs: BlobStore, source: AsyncIterator[bytes],
                      observers: Sequence[Callable[[bytes], None]]) -> BlobInfo:
    """A new blob holding everything `source` yields (copies of large or multipart objects)."""
    return await blobs.write(source, observers)


async def open_blob(blobs: BlobStore, blob_id: str, start: int, end: int | None) -> AsyncIterator[bytes]:
    """Start reading a blob now, so that a missing file (replaced meanwhile) fails here, where
    the caller can still answer an error, rather than in the middle of a response."""
    reader = blobs.read(blob_id, start, end)
    try:
        first = await reader.__anext__()
    except StopAsyncIteration:
        first = b""

    async def rest() -> AsyncIterator[bytes]:
        try:
            if first:
                yield first
            async for chunk in reader:
                yield chunk
        finally:
            aclose = getattr(reader, "aclose", None)
            if aclose is not None:
                await aclose()

    return rest()
