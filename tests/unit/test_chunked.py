"""aws-chunked decoding: bodies made by botocore itself, AWS's published example, edge cases."""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import hmac
import io
import time
from urllib.parse import urlsplit

import boto3
import pytest
from botocore import httpchecksum
from botocore.config import Config

from overcast.protocol import chunked, sigv4
from overcast.protocol.chunked import ChunkedDecoder, ChunkSignatureChain, decode_if_chunked
from overcast.protocol.errors import ServiceError
from overcast.server.http import Request, RequestBody


def run(coro):
    return asyncio.run(coro)


def receiving_body(data: bytes, piece: int) -> RequestBody:
    """A RequestBody fed by a source that hands it `piece` bytes at a time."""
    pieces = [data[i:i + piece] for i in range(0, len(data), piece)] or [b""]

    class Source:
        async def receive(self) -> tuple[bytes, bool]:
            return pieces.pop(0), len(pieces) > 0

    return RequestBody(Source())


def make_request(body: bytes, headers: dict[str, str], piece: int = 1 << 20) -> Request:
    return Request("PUT", "/bucket/key", "", headers, receiving_body(body, piece))


def decode_all(encoded: bytes, pieces: list[int] | None = None, **kwargs) -> tuple[bytes, ChunkedDecoder]:
    decoder = ChunkedDecoder(**kwargs)
    out = []
    if pieces is None:
        out.extend(decoder.feed(encoded))
    else:
        pos = 0
        for size in pieces:
            out.extend(decoder.feed(encoded[pos:pos + size]))
            pos += size
        out.extend(decoder.feed(encoded[pos:]))
    decoder.finish()
    return b"".join(out), decoder


def botocore_chunked(payload: bytes, algorithm: str | None = "crc32", chunk_size: int = 8192) -> bytes:
    checksum_cls = httpchecksum._CHECKSUM_CLS[algorithm] if algorithm else None
    wrapper = httpchecksum.AwsChunkedWrapper(
        io.BytesIO(payload), checksum_cls=checksum_cls,
        checksum_name=f"x-amz-checksum-{algorithm}" if algorithm else "x-amz-checksum", chunk_size=chunk_size,
    )
    return wrapper.read()


def assert_error(info, code: str, status: int = 400) -> None:
    assert info.value.code == code, info.value
    assert info.value.status == status


# ---------------------------------------------------------------- botocore-made bodies


@pytest.mark.parametrize("algorithm", ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"])
@pytest.mark.parametrize("size", [0, 1, 8191, 8192, 8193, 50_000])
def test_botocore_trailer_bodies(algorithm, size):
    payload = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    encoded = botocore_chunked(payload, algorithm)
    decoded, decoder = decode_all(encoded, decoded_length=len(payload))
    assert decoded == payload
    expected = httpchecksum._CHECKSUM_CLS[algorithm]()
    expected.update(payload)
    assert decoder.trailers == {f"x-amz-checksum-{algorithm}": expected.b64digest()}
    assert decoder.bytes_decoded == len(payload)


def test_botocore_body_without_trailer():
    payload = b"z" * 20000
    decoded, decoder = decode_all(botocore_chunked(payload, None), decoded_length=20000)
    assert decoded == payload and decoder.trailers == {}


class Captured(Exception):
    def __init__(self, request):
        self.request = request


def test_real_put_object_through_decode_if_chunked():
    """boto3's own PutObject over https: STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC trailer."""
    client = boto3.client(
        "s3", region_name="us-east-1", endpoint_url="https://localhost:4566",
        aws_access_key_id="AKID", aws_secret_access_key="SECRET",
        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
    )

    def stop(request, **_):
        raise Captured(request)

    client.meta.events.register("before-send", stop)
    payload = b"hello chunked world " * 5000
    with pytest.raises(Captured) as info:
        client.put_object(Bucket="b", Key="k", Body=io.BytesIO(payload))
    prepared = info.value.request
    headers = {k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in prepared.headers.items()}
    assert headers["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    encoded = prepared.body.read()
    request = make_request(encoded, headers, piece=1000)
    assert chunked.is_aws_chunked(request)

    auth = sigv4.parse_auth(request)
    request.path = urlsplit(prepared.url).path
    request.headers.setdefault("host", urlsplit(prepared.url).netloc)
    signed_at = calendar.timegm(time.strptime(auth.amz_date, "%Y%m%dT%H%M%SZ"))
    sigv4.verify(request, auth, "SECRET", signed_at)

    body = decode_if_chunked(request, auth=auth, secret="SECRET")
    assert isinstance(body, RequestBody)
    assert run(body.read()) == payload
    assert body.fully_read
    algorithm = headers["x-amz-trailer"]
    assert algorithm.startswith("x-amz-checksum-")
    assert set(body.trailers) == {algorithm}
    assert body.decoded_length == len(payload) == body.bytes_decoded


# ---------------------------------------------------------------- AWS's published example

# "Example: PUT Object" of AWS's "Transferring Payload in Multiple Chunks" (SigV4 streaming).
EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
EXAMPLE_HEADERS = {
    "host": "s3.amazonaws.com",
    "x-amz-date": "20130524T000000Z",
    "x-amz-storage-class": "REDUCED_REDUNDANCY",
    "authorization": (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
        "x-amz-decoded-content-length;x-amz-storage-class,"
        "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    ),
    "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "content-encoding": "aws-chunked",
    "x-amz-decoded-content-length": "66560",
    "content-length": "66824",
}
EXAMPLE_SIGNATURES = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
]
EXAMPLE_NOW = float(calendar.timegm((2013, 5, 24, 0, 0, 0)))


def example_body(signatures=EXAMPLE_SIGNATURES, data=(b"a" * 65536, b"a" * 1024)) -> bytes:
    parts = []
    for chunk, signature in zip(list(data) + [b""], signatures, strict=True):
        parts.append(b"%x;chunk-signature=%s\r\n%s\r\n" % (len(chunk), signature.encode(), chunk))
    return b"".join(parts)


def example_request(body: bytes, piece: int = 4096) -> Request:
    return Request("PUT", "/examplebucket/chunkObject.txt", "", dict(EXAMPLE_HEADERS), receiving_body(body, piece))


def test_aws_example_seed_and_chunk_signatures():
    body = example_body()
    assert len(body) == 66824
    request = example_request(body)
    auth = sigv4.parse_auth(request)
    sigv4.verify(request, auth, EXAMPLE_SECRET, EXAMPLE_NOW)
    decoded = decode_if_chunked(request, auth=auth, secret=EXAMPLE_SECRET)
    assert run(decoded.read()) == b"a" * 66560


@pytest.mark.parametrize("piece", [1, 7, 4096, 70000])
def test_aws_example_any_arrival_pattern(piece):
    body = example_body()
    request = example_request(body, piece)
    auth = sigv4.parse_auth(request)
    decoded = decode_if_chunked(request, auth=auth, secret=EXAMPLE_SECRET)

    async def collect():
        return b"".join([p async for p in decoded.stream()])

    assert run(collect()) == b"a" * 66560


@pytest.mark.parametrize(
    "body",
    [
        example_body(data=(b"a" * 65535 + b"b", b"a" * 1024)),  # data changed
        example_body(signatures=[EXAMPLE_SIGNATURES[0], EXAMPLE_SIGNATURES[0], EXAMPLE_SIGNATURES[2]]),
        example_body(signatures=[EXAMPLE_SIGNATURES[0], EXAMPLE_SIGNATURES[1], "0" * 64]),  # final chunk
        example_body().replace(b";chunk-signature=" + EXAMPLE_SIGNATURES[1].encode(), b""),  # missing
    ],
)
def test_aws_example_tampered_chunks(body):
    request = example_request(body)
    auth = sigv4.parse_auth(request)
    decoded = decode_if_chunked(request, auth=auth, secret=EXAMPLE_SECRET)
    with pytest.raises(ServiceError) as info:
        run(decoded.read())
    assert_error(info, "SignatureDoesNotMatch", 403)
    # Without verification the same bodies decode (signatures are not looked at).
    plain = decode_if_chunked(example_request(body))
    run(plain.read())


def test_wrong_secret_fails_on_first_chunk():
    request = example_request(example_body())
    auth = sigv4.parse_auth(request)
    decoded = decode_if_chunked(request, auth=auth, secret="other")
    with pytest.raises(ServiceError) as info:
        run(decoded.read())
    assert_error(info, "SignatureDoesNotMatch", 403)


def signed_trailer_body(payload_chunks: list[bytes], trailers: list[tuple[str, str]], key: bytes,
                        seed: str, amz_date: str, scope: str) -> bytes:
    """STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, computed here from the documented formulas."""
    previous = seed
    out = []
    for chunk in payload_chunks + [b""]:
        to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous,
                             hashlib.sha256(b"").hexdigest(), hashlib.sha256(chunk).hexdigest()])
        previous = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        out.append(b"%x;chunk-signature=%s\r\n" % (len(chunk), previous.encode()))
        if chunk:
            out.append(chunk + b"\r\n")
    canonical = "".join(f"{name}:{value}\n" for name, value in trailers).encode()
    to_sign = "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, previous,
                         hashlib.sha256(canonical).hexdigest()])
    trailer_signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    for name, value in trailers:
        out.append(f"{name}:{value}\r\n".encode())
    out.append(f"x-amz-trailer-signature:{trailer_signature}\r\n\r\n".encode())
    return b"".join(out)


def test_signed_trailer():
    key = sigv4.signing_key("SECRET", "20261124", "us-east-1", "s3")
    seed = "f" * 64
    scope = "20261124/us-east-1/s3/aws4_request"
    payload = [b"x" * 10000, b"y" * 5]
    trailers = [("x-amz-checksum-crc32c", "sOO8/Q==")]
    body = signed_trailer_body(payload, trailers, key, seed, "20261124T000000Z", scope)

    def decode(data: bytes):
        chain = ChunkSignatureChain(key, "20261124T000000Z", scope, seed)
        return decode_all(data, pieces=[3] * 40, chain=chain, decoded_length=10005)

    decoded, decoder = decode(body)
    assert decoded == b"".join(payload)
    assert decoder.trailers == {"x-amz-checksum-crc32c": "sOO8/Q=="}

    for tampered in (body.replace(b"sOO8/Q==", b"AAAAAA=="), body.replace(b"x-amz-trailer-signature:", b"x-amz-trailer-signature:0")):
        with pytest.raises(ServiceError) as info:
            decode(tampered)
        assert_error(info, "SignatureDoesNotMatch", 403)


# ---------------------------------------------------------------- hand-made edge cases

SMALL = b"5\r\nhello\r\n3;chunk-signature=abc\r\n, w\r\n4;foo=bar;chunk-signature=def\r\norld\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n"


def test_every_split_point():
    for cut in range(len(SMALL) + 1):
        decoded, decoder = decode_all(SMALL, pieces=[cut], min_chunk_size=0, decoded_length=12)
        assert decoded == b"hello, world"
        assert decoder.trailers == {"x-amz-checksum-crc32": "DUoRhQ=="}


def test_byte_by_byte_and_all_pairs_of_cuts():
    decoded, _ = decode_all(SMALL, pieces=[1] * len(SMALL), min_chunk_size=0)
    assert decoded == b"hello, world"
    for first in range(0, len(SMALL), 5):
        for second in range(0, len(SMALL) - first, 3):
            decoded, _ = decode_all(SMALL, pieces=[first, second], min_chunk_size=0)
            assert decoded == b"hello, world"


def test_empty_payload():
    for body in (b"0\r\n\r\n", b"0;chunk-signature=abc\r\n\r\n", b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"):
        decoded, _ = decode_all(body, decoded_length=0)
        assert decoded == b""


def test_missing_final_empty_line_is_tolerated_without_trailers():
    decoded, _ = decode_all(b"3\r\nabc\r\n0\r\n", min_chunk_size=0)
    assert decoded == b"abc"


def test_every_truncation_is_incomplete_body():
    for cut in range(len(SMALL) - 1):
        decoder = ChunkedDecoder(min_chunk_size=0, expect_trailer=True)
        decoder.feed(SMALL[:cut])
        with pytest.raises(ServiceError) as info:
            decoder.finish()
        assert_error(info, "IncompleteBody")
        assert info.value.message == "The request body terminated unexpectedly"


@pytest.mark.parametrize(
    "body",
    [
        b"zz\r\nhello\r\n0\r\n\r\n",  # size not hex
        b"+5\r\nhello\r\n0\r\n\r\n",
        b"5_0\r\nhello\r\n0\r\n\r\n",
        b"\r\nhello\r\n0\r\n\r\n",  # no size
        b"5\r\nhelloXX0\r\n\r\n",  # data not followed by CRLF
        b"3\r\nhello\r\n0\r\n\r\n",  # chunk shorter than the data sent
        b"0\r\nnot a trailer\r\n\r\n",
        b"f" * 5000,  # a header line that never ends
        b"1" * 20 + b"\r\n",  # absurd size
    ],
)
def test_malformed_framing_is_a_400(body):
    decoder = ChunkedDecoder(min_chunk_size=0)
    with pytest.raises(ServiceError) as info:
        decoder.feed(body)
        decoder.finish()
    assert info.value.status == 400
    assert info.value.code == "IncompleteBody"


def test_decoded_length_mismatch():
    body = b"5\r\nhello\r\n0\r\n\r\n"
    for declared in (4, 6):
        with pytest.raises(ServiceError) as info:
            decode_all(body, decoded_length=declared, min_chunk_size=0)
        assert_error(info, "IncompleteBody")
        assert info.value.message == (
            "You did not provide the number of bytes specified by the Content-Length HTTP header")
        assert info.value.fields["NumberBytesExpected"] == str(declared)


def test_small_chunk_before_the_last():
    body = b"5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"
    with pytest.raises(ServiceError) as info:
        decode_all(body)
    assert_error(info, "InvalidChunkSizeError")
    assert info.value.message == "Only the last chunk is allowed to have a size less than 8192 bytes"
    assert info.value.fields == {"Chunk": "1", "BadChunkSize": "5"}
    decoded, _ = decode_all(b"2000\r\n" + b"a" * 8192 + b"\r\n5\r\nhello\r\n0\r\n\r\n")
    assert decoded == b"a" * 8192 + b"hello"


# ---------------------------------------------------------------- the RequestBody face


def test_not_chunked_is_left_alone():
    request = make_request(b"plain", {"content-type": "text/plain"})
    assert decode_if_chunked(request) is request.body
    events = make_request(b"", {"x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-EVENTS"})
    assert not chunked.is_aws_chunked(events)


def test_detected_by_content_encoding_alone():
    request = make_request(SMALL, {"content-encoding": "aws-chunked", "x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    body = decode_if_chunked(request, min_chunk_size=0)
    assert run(body.read()) == b"hello, world"
    assert run(body.read()) == b"hello, world"  # cached, like RequestBody


def test_read_limit():
    from overcast.server.http import BodyTooLarge

    request = make_request(SMALL, {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": "12"})
    with pytest.raises(BodyTooLarge):
        run(decode_if_chunked(request, min_chunk_size=0).read(limit=5))
    request = make_request(SMALL, {"content-encoding": "aws-chunked"}, piece=3)
    with pytest.raises(BodyTooLarge):
        run(decode_if_chunked(request, min_chunk_size=0).read(limit=5))


def test_bad_decoded_length_header():
    request = make_request(SMALL, {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": "abc"})
    with pytest.raises(ServiceError) as info:
        decode_if_chunked(request)
    assert info.value.status == 400


def test_stored_content_encoding():
    assert chunked.stored_content_encoding("aws-chunked") is None
    assert chunked.stored_content_encoding("aws-chunked,gzip") == "gzip"
    assert chunked.stored_content_encoding("gzip, aws-chunked") == "gzip"
    assert chunked.stored_content_encoding("gzip") == "gzip"
    assert chunked.stored_content_encoding(None) is None
