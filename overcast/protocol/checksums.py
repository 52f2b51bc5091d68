"""S3's flexible checksums, MD5 digests and x-amz-content-sha256: incremental hashers, checks
and the multipart combinations.

Every hasher has update(bytes) and digest() / digest_b64(); values travel base64-encoded in
x-amz-checksum-<algorithm> headers. awscrt (CRC32C, CRC64NVME, xxHash) costs ~50 ms to import,
so it is imported on first use only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from overcast.protocol.errors import ServiceError

# In the order of S3's ChecksumAlgorithm enum.
ALGORITHMS = (
    "CRC32",
    "CRC32C",
    "SHA1",
    "SHA256",
    "CRC64NVME",
    "SHA512",
    "MD5",
    "XXHASH64",
    "XXHASH3",
    "XXHASH128",
)
CRC_ALGORITHMS = frozenset({"CRC32", "CRC32C", "CRC64NVME"})  # the ones FULL_OBJECT multipart allows
DIGEST_SIZES = {
    "CRC32": 4,
    "CRC32C": 4,
    "CRC64NVME": 8,
    "SHA1": 20,
    "SHA256": 32,
    "SHA512": 64,
    "MD5": 16,
    "XXHASH64": 8,
    "XXHASH3": 8,
    "XXHASH128": 16,
}
HEADER_PREFIX = "x-amz-checksum-"


class Hasher(Protocol):
    def update(self, data: bytes | memoryview) -> None: ...

    def digest(self) -> bytes: ...

    def digest_b64(self) -> str: ...


def header_name(algorithm: str) -> str:
    """x-amz-checksum-crc32 for CRC32, and so on."""
    return HEADER_PREFIX + algorithm.lower()


def algorithm_for_header(name: str) -> str | None:
    """CRC32 for x-amz-checksum-crc32 (any case), None for other headers."""
    lname = name.lower()
    if not lname.startswith(HEADER_PREFIX):
        return None
    algorithm = lname[len(HEADER_PREFIX) :].upper()
    return algorithm if algorithm in DIGEST_SIZES else None


def normalize_algorithm(name: str | None) -> str | None:
    """The algorithm's canonical spelling, or None when S3 does not know it."""
    if not name:
        return None
    upper = name.upper()
    return upper if upper in DIGEST_SIZES else None


class _Crc:
    __slots__ = ("_fn", "_value", "_size", "_mask")

    def __init__(self, fn: Callable[[Any, int], int], size: int):
        self._fn = fn
        self._value = 0
        self._size = size
        self._mask = (1 << (size * 8)) - 1

    def update(self, data: bytes | memoryview) -> None:
        self._value = self._fn(data, self._value) & self._mask

    @property
    def value(self) -> int:
        return self._value

    def digest(self) -> bytes:
        return self._value.to_bytes(self._size, "big")

    def digest_b64(self) -> str:
        return binascii.b2a_base64(self.digest(), newline=False).decode()


class _Hashlib:
    __slots__ = ("_hash",)

    def __init__(self, hash_object: Any):
        self._hash = hash_object

    def update(self, data: bytes | memoryview) -> None:
        self._hash.update(data)

    def digest(self) -> bytes:
        return self._hash.digest()

    def digest_b64(self) -> str:
        return binascii.b2a_base64(self._hash.digest(), newline=False).decode()


class _XXHash:
    __slots__ = ("_hash", "_digest")

    def __init__(self, hash_object: Any):
        self._hash = hash_object
        self._digest: bytes | None = None

    def update(self, data: bytes | memoryview) -> None:
        self._hash.update(bytes(data) if isinstance(data, memoryview) else data)

    def digest(self) -> bytes:
        # The CRT's finalize() may be called only once.
        if self._digest is None:
            self._digest = bytes(self._hash.finalize())
        return self._digest

    def digest_b64(self) -> str:
        return binascii.b2a_base64(self.digest(), newline=False).decode()


def _crt() -> Any:
    from awscrt import checksums

    return checksums


def hasher_for(algorithm: str) -> Hasher:
    """A fresh incremental hasher for an S3 checksum algorithm (any case). ValueError if unknown."""
    name = algorithm.upper()
    if name == "CRC32":
        return _Crc(zlib.crc32, 4)
    if name == "CRC32C":
        return _Crc(_crt().crc32c, 4)
    if name == "CRC64NVME":
        return _Crc(_crt().crc64nvme, 8)
    if name in ("SHA1", "SHA256", "SHA512", "MD5"):
        return _Hashlib(hashlib.new(name.lower()))
    if name == "XXHASH64":
        return _XXHash(_crt().XXHash.new_xxhash64())
    if name == "XXHASH3":
        return _XXHash(_crt().XXHash.new_xxhash3_64())
    if name == "XXHASH128":
        return _XXHash(_crt().XXHash.new_xxhash3_128())
    raise ValueError(f"unknown checksum algorithm {algorithm!r}")


def checksum_b64(algorithm: str, data: bytes) -> str:
    hasher = hasher_for(algorithm)
    hasher.update(data)
    return hasher.digest_b64()


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def decode_checksum(algorithm: str, value: str) -> bytes | None:
    """The raw digest in a base64 header value, or None if it is not one of the right size."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == DIGEST_SIZES.get(algorithm.upper()) else None


# ---------------------------------------------------------------- multipart


def composite_checksum(algorithm: str, part_checksums_b64: Iterable[str]) -> str:
    """S3's COMPOSITE multipart checksum: the checksum of the parts' raw checksums, then -N."""
    hasher = hasher_for(algorithm)
    count = 0
    for value in part_checksums_b64:
        hasher.update(base64.b64decode(value))
        count += 1
    return f"{hasher.digest_b64()}-{count}"


def full_object_crc(algorithm: str, parts: Iterable[tuple[str, int]]) -> str:
    """S3's FULL_OBJECT multipart checksum: the parts' CRCs (base64, byte length) combined into
    the CRC of the whole object, as if it had been computed in one pass."""
    name = algorithm.upper()
    crt = _crt()
    combine = {
        "CRC32": crt.combine_crc32,
        "CRC32C": crt.combine_crc32c,
        "CRC64NVME": crt.combine_crc64nvme,
    }.get(name)
    if combine is None:
        raise ValueError(f"{algorithm} cannot be combined into a full-object checksum")
    size = DIGEST_SIZES[name]
    total: int | None = None
    for value, length in parts:
        crc = int.from_bytes(base64.b64decode(value), "big")
        total = crc if total is None else combine(total, crc, length)
    if total is None:
        total = 0
    return base64.b64encode(total.to_bytes(size, "big")).decode()


def multipart_etag(part_md5s: Iterable[str | bytes]) -> str:
    """The ETag of a completed multipart upload (no quotes): md5 of the parts' raw MD5s, then -N.

    Parts may be given as hex strings (their ETags, quoted or not) or raw 16-byte digests.
    """
    outer = hashlib.md5()
    count = 0
    for md5 in part_md5s:
        outer.update(bytes.fromhex(md5.strip('"')) if isinstance(md5, str) else md5)
        count += 1
    return f"{outer.hexdigest()}-{count}"


# ---------------------------------------------------------------- errors


def invalid_checksum_error(algorithm: str) -> ServiceError:
    """A checksum header whose value is not base64 of the right size."""
    return ServiceError(
        f"Value for {header_name(algorithm)} header is invalid.", code="InvalidRequest", status=400
    )


def checksum_mismatch_error(algorithm: str) -> ServiceError:
    return ServiceError(
        f"The {algorithm.upper()} you specified did not match the calculated checksum.",
        code="BadDigest",
        status=400,
    )


def invalid_md5_error() -> ServiceError:
    return ServiceError("The Content-MD5 you specified was invalid.", code="InvalidDigest", status=400)


def md5_mismatch_error() -> ServiceError:
    return ServiceError(
        "The Content-MD5 you specified did not match what we received.", code="BadDigest", status=400
    )


class ChecksumValidator:
    """Hashes a body as it streams and compares with the checksum the client declared.

    The declared value may come from a header at the start or, for aws-chunked bodies, from a
    trailer known only at the end: pass it to check() then.
    """

    __slots__ = ("algorithm", "hasher", "declared")

    def __init__(self, algorithm: str, declared_b64: str | None = None):
        self.algorithm = algorithm.upper()
        self.hasher = hasher_for(self.algorithm)
        if declared_b64 is not None and decode_checksum(self.algorithm, declared_b64) is None:
            raise invalid_checksum_error(self.algorithm)
        self.declared = declared_b64

    def update(self, data: bytes | memoryview) -> None:
        self.hasher.update(data)

    def check(self, declared_b64: str | None = None) -> str:
        """The computed checksum (base64); raises BadDigest if it differs from the declared one."""
        if declared_b64 is not None:
            if decode_checksum(self.algorithm, declared_b64) is None:
                raise invalid_checksum_error(self.algorithm)
            self.declared = declared_b64
        computed = self.hasher.digest_b64()
        if self.declared is not None and computed != self.declared:
            raise checksum_mismatch_error(self.algorithm)
        return computed


# ---------------------------------------------------------------- x-amz-content-sha256

# Every value of x-amz-content-sha256 that is not a hex digest.
PAYLOAD_KEYWORDS = frozenset(
    {
        "UNSIGNED-PAYLOAD",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
        "STREAMING-AWS4-HMAC-SHA256-EVENTS",
    }
)
BAD_PAYLOAD_HASH_MESSAGE = (
    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or "
    "a valid sha256 value."
)
_HEX = frozenset("0123456789abcdefABCDEF")


def is_sha256_hex(value: str) -> bool:
    return len(value) == 64 and _HEX.issuperset(value)


def validate_content_sha256(value: str | None) -> None:
    """S3's checks of the x-amz-content-sha256 header on a header-signed request."""
    if value is None:
        raise ServiceError(
            "Missing required header for this request: x-amz-content-sha256",
            code="InvalidRequest",
            status=400,
        )
    if value in PAYLOAD_KEYWORDS or is_sha256_hex(value):
        return
    raise ServiceError(
        BAD_PAYLOAD_HASH_MESSAGE,
        code="InvalidArgument",
        status=400,
        ArgumentName="x-amz-content-sha256",
        ArgumentValue=value,
    )


class PayloadHashChecker:
    """Hashes a body as it streams and checks it against the x-amz-content-sha256 it declared."""

    __slots__ = ("expected", "_hash")

    def __init__(self, expected_hex: str):
        self.expected = expected_hex.lower()
        self._hash = hashlib.sha256()

    @classmethod
    def for_headers(cls, headers: Mapping[str, str]) -> PayloadHashChecker | None:
        """A checker when the headers declare a hex digest of the body, else None."""
        declared = headers.get("x-amz-content-sha256")
        if declared and is_sha256_hex(declared):
            return cls(declared)
        return None

    @classmethod
    def for_request(cls, request: Any) -> PayloadHashChecker | None:
        return cls.for_headers(request.headers)

    def update(self, data: bytes | memoryview) -> None:
        self._hash.update(data)

    def check(self) -> None:
        """Raises XAmzContentSHA256Mismatch when the body did not hash to the declared value."""
        computed = self._hash.hexdigest()
        if computed != self.expected:
            raise ServiceError(
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
                code="XAmzContentSHA256Mismatch",
                status=400,
                ClientComputedContentSHA256=self.expected,
                S3ComputedContentSHA256=computed,
            )
