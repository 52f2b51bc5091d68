"""Where an object's bytes are, and how to stream a span of them: inline in its row, one blob
file, or the blobs of the parts of a completed multipart upload, one after the other."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from overcast.services.s3.models import StoredObject
from overcast.services.s3.uploads import open_blob

if TYPE_CHECKING:
    from overcast.services.s3.store import S3Store
    from overcast.storage.interface import BlobStore


class ObjectReplaced(Exception):
    """The object changed between reading its row and opening its bytes: read it again."""


def inline_bytes(obj: StoredObject, first: int, last: int) -> bytes | None:
    """Bytes first..last (inclusive) of an object whose bytes are in its row (or of an empty
    span); None when they are in files (object_bytes streams those)."""
    if last < first:
        return b""
    if obj.parts_count <= 0 and obj.blob_id is None:  # not obj.is_multipart
        body = obj.body or b""
        return body if (first, last) == (0, len(body) - 1) else body[first:last + 1]
    return None


async def object_bytes(store: S3Store, blobs: BlobStore, obj: StoredObject, first: int,
                       last: int) -> bytes | AsyncIterator[bytes]:
    """Bytes first..last (inclusive) of the object: bytes when inline, else a stream that has
    already opened its first file (so a vanished file surfaces here as ObjectReplaced)."""
    inline = inline_bytes(obj, first, last)
    if inline is not None:
        return inline
    try:
        if obj.blob_id is not None:
            return await open_blob(blobs, obj.blob_id, first, last + 1)
        segments: list[tuple[int, int, str]] | None
        if obj.noncurrent:
            segments = store.get_version_segments(obj.bucket, obj.key, obj.version_label)
        else:
            segments = store.get_segments(obj.bucket, obj.key, obj.etag)
        if not segments:
            raise ObjectReplaced()
        pieces = []
        offset = 0
        for _number, size, blob_id in segments:
            end = offset + size
            if end > first and offset <= last and size:
                pieces.append((blob_id, max(first - offset, 0), min(last + 1, end) - offset))
            offset = end
        head = await open_blob(blobs, pieces[0][0], pieces[0][1], pieces[0][2])
    except FileNotFoundError:
        raise ObjectReplaced() from None
    if len(pieces) == 1:
        return head
    return _chain(blobs, head, pieces[1:])


async def _chain(blobs: BlobStore, head: AsyncIterator[bytes], rest: list[tuple[str, int, int]]) -> AsyncIterator[bytes]:
    async for chunk in head:
        yield chunk
    for blob_id, start, end in rest:
        async for chunk in await open_blob(blobs, blob_id, start, end):
            yield chunk

