"""The `aws-chunked` body encoding that S3 uploads use for streaming signatures and checksums.

A body looks like:

    <hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n ... 0[;chunk-signature=<sig>]\\r\\n
    [<trailer-name>:<value>\\r\\n ...][x-amz-trailer-signature:<sig>\\r\\n]\\r\\n

`decode_if_chunked(request)` gives a body with RequestBody's interface that yields the payload
alone, in constant memory: data is passed on as the slices of what arrives, never re-buffered,
and only chunk headers and trailers (bounded lines) are held. Framing errors become S3's 400s.

With a `ChunkSignatureChain`, each chunk's signature is checked against the chain that starts at
the request's seed signature. A chunk's data is handed on before its signature is known to be
good (the check needs the whole chunk), so a consumer must treat an error from the stream as
"discard everything" — which it does anyway for a broken upload.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator

from overcast.protocol.errors import ServiceError, SignatureDoesNotMatch
from overcast.protocol.sigv4 import EMPTY_SHA256, SigV4Auth, signing_key
from overcast.protocol.sigv4_errors import S3_SIGNATURE_MESSAGE
from overcast.server.http import BodyTooLarge, Request, RequestBody

SIGNED_PAYLOADS = frozenset(
    {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"}
)
TRAILER_PAYLOADS = frozenset(
    {"STREAMING-UNSIGNED-PAYLOAD-TRAILER", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"}
)
MIN_CHUNK_SIZE = 8192  # S3: every chunk but the last must be at least this big
_MAX_LINE = 4096  # a chunk header or trailer line longer than this is not a real client's
_MAX_TRAILERS = 64
_HEXDIGITS = b"0123456789abcdefABCDEF"

_HEADER, _DATA, _DATA_END, _TRAILER, _DONE = range(5)


def incomplete_body() -> ServiceError:
    return ServiceError("The request body terminated unexpectedly", code="IncompleteBody", status=400)


def length_mismatch(expected: int, provided: int) -> ServiceError:
    return ServiceError(
        "You did not provide the number of bytes specified by the Content-Length HTTP header",
        code="IncompleteBody",
        status=400,
        NumberBytesExpected=str(expected),
        NumberBytesProvided=str(provided),
    )


def is_aws_chunked(request: Request) -> bool:
    headers = request.headers
    if "aws-chunked" in headers.get("content-encoding", ""):
        return True
    payload = headers.get("x-amz-content-sha256", "")
    # STREAMING-...-EVENTS is an event stream (transcribe), not aws-chunked.
    return payload.startswith("STREAMING-") and not payload.endswith("-EVENTS")


def stored_content_encoding(content_encoding: str | None) -> str | None:
    """The Content-Encoding S3 keeps for the object: the header without aws-chunked."""
    if not content_encoding or "aws-chunked" not in content_encoding:
        return content_encoding
    rest = [p.strip() for p in content_encoding.split(",") if p.strip() and p.strip() != "aws-chunked"]
    return ", ".join(rest) or None


class ChunkSignatureChain:
    """The chain of chunk signatures that starts at the request's own (seed) signature."""

    __slots__ = ("_key", "_prefix", "_trailer_prefix", "previous")

    def __init__(self, key: bytes, amz_date: str, scope: str, seed_signature: str):
        self._key = key
        self._prefix = f"AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n"
        self._trailer_prefix = f"AWS4-HMAC-SHA256-TRAILER\n{amz_date}\n{scope}\n"
        self.previous = seed_signature

    @classmethod
    def for_auth(cls, auth: SigV4Auth, secret: str) -> ChunkSignatureChain:
        key = signing_key(secret, auth.date, auth.region, auth.service)
        return cls(key, auth.amz_date, auth.scope, auth.signature)

    def expected_chunk_signature(self, data_sha256_hex: str) -> str:
        to_sign = f"{self._prefix}{self.previous}\n{EMPTY_SHA256}\n{data_sha256_hex}"
        return hmac.new(self._key, to_sign.encode(), hashlib.sha256).hexdigest()

    def check_chunk(self, data_sha256_hex: str, signature: str) -> None:
        expected = self.expected_chunk_signature(data_sha256_hex)
        if not (signature.isascii() and hmac.compare_digest(expected, signature)):
            raise SignatureDoesNotMatch(S3_SIGNATURE_MESSAGE)
        self.previous = signature

    def expected_trailer_signature(self, canonical_trailers: bytes) -> str:
        digest = hashlib.sha256(canonical_trailers).hexdigest()
        to_sign = f"{self._trailer_prefix}{self.previous}\n{digest}"
        return hmac.new(self._key, to_sign.encode(), hashlib.sha256).hexdigest()

    def check_trailer(self, canonical_trailers: bytes, signature: str) -> None:
        expected = self.expected_trailer_signature(canonical_trailers)
        if not (signature.isascii() and hmac.compare_digest(expected, signature)):
            raise SignatureDoesNotMatch(S3_SIGNATURE_MESSAGE)


class ChunkedDecoder:
    """Incremental aws-chunked parser: feed() the bytes as they come, finish() at the end."""

    def __init__(
        self,
        *,
        decoded_length: int | None = None,
        chain: ChunkSignatureChain | None = None,
        min_chunk_size: int = MIN_CHUNK_SIZE,
        expect_trailer: bool = False,
    ):
        self.decoded_length = decoded_length
        self._expect_trailer = expect_trailer
        self.trailers: dict[str, str] = {}
        self.bytes_decoded = 0
        self._chain = chain
        self._min_chunk_size = min_chunk_size
        self._state = _HEADER
        self._pending = b""
        self._remaining = 0
        self._chunk_number = 0
        self._last_size: int | None = None
        self._chunk_signature = ""
        self._chunk_hash = hashlib.sha256() if chain else None
        self._trailer_lines: list[bytes] = []
        self._trailer_signature: str | None = None

    @property
    def done(self) -> bool:
        return self._state == _DONE

    def feed(self, data: bytes) -> list[bytes]:
        """The payload pieces found in `data` (possibly none)."""
        if self._pending:
            data = self._pending + data
            self._pending = b""
        out: list[bytes] = []
        pos = 0
        end = len(data)
        while pos < end:
            state = self._state
            if state == _DATA:
                take = min(self._remaining, end - pos)
                piece = data if (pos == 0 and take == end) else data[pos : pos + take]
                if self._chunk_hash is not None:
                    self._chunk_hash.update(piece)
                out.append(piece)
                pos += take
                self._remaining -= take
                if self._remaining == 0:
                    self._state = _DATA_END
            elif state == _DATA_END:
                if end - pos < 2:
                    self._pending = data[pos:]
                    break
                if data[pos : pos + 2] != b"\r\n":
                    raise incomplete_body()
                pos += 2
                self._end_chunk()
            elif state == _HEADER or state == _TRAILER:
                line_end = data.find(b"\r\n", pos)
                if line_end < 0:
                    if end - pos > _MAX_LINE:
                        raise incomplete_body()
                    self._pending = data[pos:]
                    break
                line = data[pos:line_end]
                pos = line_end + 2
                if state == _HEADER:
                    self._start_chunk(line)
                else:
                    self._trailer_line(line)
            else:
                # Bytes after the terminating empty line: nothing a client means, ignored.
                break
        if out:
            self._count(sum(len(p) for p in out))
        return out

    def finish(self) -> None:
        """Call at the end of the stream: raises if the body stopped short or lied about its size."""
        if self._state == _TRAILER and not (self._pending or self._trailer_lines or self._expect_trailer):
            # Some clients end right after the last chunk's header, without the empty line.
            self._finish_trailers()
        if self._state != _DONE:
            raise incomplete_body()
        if self.decoded_length is not None and self.bytes_decoded != self.decoded_length:
            raise length_mismatch(self.decoded_length, self.bytes_decoded)

    def _count(self, size: int) -> None:
        self.bytes_decoded += size
        if self.decoded_length is not None and self.bytes_decoded > self.decoded_length:
            raise length_mismatch(self.decoded_length, self.bytes_decoded)

    def _start_chunk(self, line: bytes) -> None:
        size_text, _, extensions = line.partition(b";")
        size_text = size_text.strip()
        if not size_text or len(size_text) > 16 or size_text.translate(None, _HEXDIGITS):
            raise incomplete_body()
        size = int(size_text, 16)
        signature = ""
        if extensions:
            for extension in extensions.split(b";"):
                name, _, value = extension.partition(b"=")
                if name.strip() == b"chunk-signature":
                    signature = value.strip().decode("ascii", "replace")
        if size and self._last_size is not None and self._last_size < self._min_chunk_size:
            raise ServiceError(
                f"Only the last chunk is allowed to have a size less than {self._min_chunk_size} bytes",
                code="InvalidChunkSizeError",
                status=400,
                Chunk=str(self._chunk_number),
                BadChunkSize=str(self._last_size),
            )
        self._chunk_number += 1
        self._last_size = size
        self._chunk_signature = signature
        if self._chain is not None and not signature:
            raise SignatureDoesNotMatch(S3_SIGNATURE_MESSAGE)
        if size == 0:
            self._end_chunk()
            self._state = _TRAILER
        else:
            self._remaining = size
            self._state = _DATA

    def _end_chunk(self) -> None:
        if self._chain is not None and self._chunk_hash is not None:
            self._chain.check_chunk(self._chunk_hash.hexdigest(), self._chunk_signature)
            self._chunk_hash = hashlib.sha256()
        self._state = _HEADER

    def _trailer_line(self, line: bytes) -> None:
        if not line:
            self._finish_trailers()
            return
        name, sep, value = line.partition(b":")
        if not sep or len(self._trailer_lines) >= _MAX_TRAILERS:
            raise incomplete_body()
        name = name.strip().lower()
        value = value.strip()
        if name == b"x-amz-trailer-signature":
            self._trailer_signature = value.decode("ascii", "replace")
            return
        self._trailer_lines.append(name + b":" + value + b"\n")
        self.trailers[name.decode("latin-1")] = value.decode("latin-1")

    def _finish_trailers(self) -> None:
        if self._chain is not None and (self._trailer_lines or self._trailer_signature is not None):
            if self._trailer_signature is None:
                raise SignatureDoesNotMatch(S3_SIGNATURE_MESSAGE)
            self._chain.check_trailer(b"".join(self._trailer_lines), self._trailer_signature)
        self._state = _DONE


class AwsChunkedBody(RequestBody):
    """A request body that decodes aws-chunked on the fly, with RequestBody's interface."""

    def __init__(self, source: RequestBody, decoder: ChunkedDecoder):
        super().__init__(None)
        self._encoded = source
        self._decoder = decoder
        self._done = False

    @property
    def trailers(self) -> dict[str, str]:
        """Trailing headers (x-amz-checksum-crc32, ...): filled once the body has been read."""
        return self._decoder.trailers

    @property
    def decoded_length(self) -> int | None:
        """The payload length the client declared (x-amz-decoded-content-length)."""
        return self._decoder.decoded_length

    @property
    def bytes_decoded(self) -> int:
        return self._decoder.bytes_decoded

    async def read(self, limit: int | None = None) -> bytes:
        if self._done:
            return self._buffer
        if self._consumed:
            raise RuntimeError("request body already streamed")
        declared = self._decoder.decoded_length
        if limit is not None and declared is not None and declared > limit:
            raise BodyTooLarge(declared)
        parts = []
        size = 0
        async for piece in self.stream():
            parts.append(piece)
            size += len(piece)
            if limit is not None and size > limit:
                raise BodyTooLarge(size)
        self._buffer = b"".join(parts)
        return self._buffer

    async def stream(self) -> AsyncIterator[bytes]:
        if self._consumed:
            raise RuntimeError("request body already streamed")
        self._consumed = True
        decoder = self._decoder
        async for data in self._encoded.stream():
            for piece in decoder.feed(data):
                yield piece
        decoder.finish()
        self._done = True

    @property
    def fully_read(self) -> bool:
        return self._done


def decode_if_chunked(
    request: Request,
    *,
    auth: SigV4Auth | None = None,
    secret: str | None = None,
    min_chunk_size: int = MIN_CHUNK_SIZE,
) -> RequestBody:
    """The request's body with aws-chunked framing removed (the body itself if not chunked).

    Pass `auth` (the request's verified SigV4Auth) and `secret` to check the chunk signatures of
    a STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] body.
    """
    if not is_aws_chunked(request):
        return request.body
    headers = request.headers
    declared = headers.get("x-amz-decoded-content-length")
    decoded_length: int | None = None
    if declared is not None:
        try:
            decoded_length = int(declared)
        except ValueError:
            raise ServiceError(
                "Value for x-amz-decoded-content-length header is invalid.",
                code="InvalidArgument",
                status=400,
            ) from None
    chain = None
    if (
        auth is not None
        and secret is not None
        and not auth.presigned
        and headers.get("x-amz-content-sha256") in SIGNED_PAYLOADS
    ):
        chain = ChunkSignatureChain.for_auth(auth, secret)
    expect_trailer = "x-amz-trailer" in headers or headers.get("x-amz-content-sha256") in TRAILER_PAYLOADS
    decoder = ChunkedDecoder(
        decoded_length=decoded_length,
        chain=chain,
        min_chunk_size=min_chunk_size,
        expect_trailer=expect_trailer,
    )
    return AwsChunkedBody(request.body, decoder)
