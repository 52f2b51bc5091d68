"""Upload integrity: Content-MD5, x-amz-content-sha256 and the x-amz-checksum-* algorithms.

What a request asks to be verified is read (and its format checked) before the body is
streamed, the hashers observe the body as it streams, and the verdict comes once it has ended
(trailing checksums arrive only then). An object uploaded without a checksum gets CRC64NVME, as
AWS computes for every new object.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from overcast.protocol import checksums
from overcast.services.s3.errors import (
    InvalidDigest,
    InvalidRequest,
    XAmzContentSHA256Mismatch,
    checksum_mismatch,
    content_md5_mismatch,
)

ALGORITHMS = checksums.ALGORITHMS
DEFAULT_ALGORITHM = "CRC64NVME"
_HEX_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


def _is_hex_sha256(text: str) -> bool:
    """What _HEX_SHA256.match accepts, for the usual 64 characters without the regex engine."""
    if len(text) != 64:
        return _HEX_SHA256.match(text) is not None
    try:
        binascii.a2b_hex(text)  # hex digits only, either case (a non-ASCII str raises ValueError)
    except (binascii.Error, ValueError):
        return False
    return True


def digest_size(algorithm: str) -> int:
    return checksums.DIGEST_SIZES[algorithm]


# Each algorithm with the request member that carries its checksum, built once.
_ALGORITHM_OF_MEMBER = {f"Checksum{algorithm}": algorithm for algorithm in ALGORITHMS}
_CHECKSUM_MEMBER_NAMES = frozenset(_ALGORITHM_OF_MEMBER)


def _b64_digest_size(value: str) -> int | None:
    # What base64.b64decode(value, validate=True) does, without its Python-level wrapper.
    try:
        return len(binascii.a2b_base64(value, strict_mode=True))
    except (binascii.Error, ValueError):
        return None


@dataclass
class UploadIntegrity:
    content_md5: str | None = None  # base64 as sent
    content_sha256: str | None = None  # hex, when the payload was signed whole
    algorithm: str = DEFAULT_ALGORITHM
    expected: str | None = None  # base64 checksum sent in a header
    trailer: str | None = None  # lower-case header name of a trailing checksum
    stored_algorithm: str | None = None  # when the checksum kept differs from the one verified
    checked: tuple[str, str] | None = None  # (algorithm, base64) computed for verification
    _hasher: Any = field(default=None, repr=False)
    _sha256: Any = field(default=None, repr=False)
    _stored: Any = field(default=None, repr=False)

    @classmethod
    def from_request(cls, params: dict[str, Any], headers: dict[str, str], keep: str | None = None,
                     strict: bool = False) -> UploadIntegrity:
        """`keep`: the algorithm whose checksum must be kept (a multipart upload's); with
        `strict`, a request that checks another algorithm is refused rather than also hashed."""
        # Every request goes through here: what is found is kept in locals and the object is
        # built once at the end.
        content_md5 = params.get("ContentMD5")
        if content_md5 is not None and _b64_digest_size(content_md5) != 16:
            raise InvalidDigest(content_md5)
        sha256 = headers.get("x-amz-content-sha256")
        content_sha256 = sha256.lower() if sha256 and _is_hex_sha256(sha256) else None
        # The x-amz-checksum-* members present (a set test, not a lookup per algorithm).
        present = _CHECKSUM_MEMBER_NAMES.intersection(params)
        supplied = [_ALGORITHM_OF_MEMBER[member] for member in present if params[member] is not None] if present else ()
        if len(supplied) > 1:
            raise InvalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
        declared = params.get("ChecksumAlgorithm")
        declared = declared.upper() if isinstance(declared, str) else None
        trailer = _trailing_checksum(headers)
        algorithm, expected, trailer_name = DEFAULT_ALGORITHM, None, None
        if supplied:
            algorithm = supplied[0]
            if declared and declared != algorithm:
                raise InvalidRequest("Value for x-amz-sdk-checksum-algorithm header is invalid.")
            expected = params["Checksum" + algorithm]
            if _b64_digest_size(expected) != digest_size(algorithm):
                raise InvalidRequest(f"Value for x-amz-checksum-{algorithm.lower()} header is invalid.")
        elif trailer is not None:
            algorithm, trailer_name = trailer
        elif declared:
            if declared not in ALGORITHMS:
                raise InvalidRequest("Value for x-amz-sdk-checksum-algorithm header is invalid.")
            algorithm = declared
        elif keep is not None:
            algorithm = keep
        stored_algorithm = stored = None
        if keep is not None and keep != algorithm:
            if strict:
                raise InvalidRequest(f"Checksum Type mismatch occurred, expected checksum Type: {keep.lower()}, "
                                     f"actual checksum Type: {algorithm.lower()}")
            stored_algorithm = keep
            stored = checksums.hasher_for(keep)
        return cls(content_md5, content_sha256, algorithm, expected, trailer_name, stored_algorithm, None,
                   checksums.hasher_for(algorithm), hashlib.sha256() if content_sha256 is not None else None, stored)

    def observers(self) -> list[Callable[[bytes], None]]:
        out: list[Callable[[bytes], None]] = [self._hasher.update]
        if self._stored is not None:
            out.append(self._stored.update)
        if self._sha256 is not None:
            out.append(self._sha256.update)
        return out

    def verify(self, md5_hex: str, trailers: dict[str, str] | None) -> tuple[str, str]:
        """Raise the error AWS gives for a mismatch; else return (algorithm, base64 checksum)."""
        if self.content_md5 is not None:
            calculated = base64.b64encode(bytes.fromhex(md5_hex)).decode()
            if calculated != self.content_md5:
                raise content_md5_mismatch(self.content_md5, calculated)
        if self._sha256 is not None:
            computed = self._sha256.hexdigest()
            if computed != self.content_sha256:
                raise XAmzContentSHA256Mismatch(self.content_sha256 or "", computed)
        actual = self._hasher.digest_b64()
        expected = self.expected
        if self.trailer is not None and trailers:
            expected = trailers.get(self.trailer)
            if expected is not None and _b64_digest_size(expected) != digest_size(self.algorithm):
                raise InvalidRequest(f"Value for {self.trailer} trailing header is invalid.")
        if expected is not None and expected != actual:
            raise checksum_mismatch(self.algorithm)
        self.checked = (self.algorithm, actual)
        if self._stored is not None:
            return self.stored_algorithm or self.algorithm, self._stored.digest_b64()
        return self.algorithm, actual


def _trailing_checksum(headers: dict[str, str]) -> tuple[str, str] | None:
    declared = headers.get("x-amz-trailer")
    if not declared:
        return None
    for name in declared.split(","):
        name = name.strip().lower()
        if name.startswith("x-amz-checksum-"):
            algorithm = name[len("x-amz-checksum-"):].upper()
            if algorithm in ALGORITHMS:
                return algorithm, name
    return None


def checksum_of(algorithm: str, data: bytes) -> str:
    return checksums.checksum_b64(algorithm, data)
