"""Our checksums against botocore's own implementations (what clients compute and send)."""

from __future__ import annotations

import base64
import hashlib
import zlib

import pytest
from botocore import httpchecksum
from hypothesis import given
from hypothesis import strategies as st

from overcast.protocol import checksums
from overcast.protocol.errors import ServiceError

BOTOCORE_ALGORITHMS = sorted(name.upper() for name in httpchecksum._CHECKSUM_CLS)
SAMPLES = [b"", b"a", b"hello world", bytes(range(256)) * 41, b"\x00" * 70000]


def botocore_b64(algorithm: str, data: bytes) -> str:
    checksum = httpchecksum._CHECKSUM_CLS[algorithm.lower()]()
    checksum.update(data)
    return checksum.b64digest()


def test_botocore_knows_the_crt_algorithms():
    # If the CRT were missing botocore would only know the hashlib ones and this file would
    # silently test less.
    assert {"CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"} <= set(BOTOCORE_ALGORITHMS)


@pytest.mark.parametrize("algorithm", BOTOCORE_ALGORITHMS)
@pytest.mark.parametrize("data", SAMPLES, ids=lambda d: f"len{len(d)}")
def test_same_as_botocore(algorithm, data):
    assert checksums.checksum_b64(algorithm, data) == botocore_b64(algorithm, data)


@pytest.mark.parametrize("algorithm", checksums.ALGORITHMS)
def test_incremental_equals_one_shot(algorithm):
    data = bytes(range(256)) * 100
    hasher = checksums.hasher_for(algorithm)
    for start in range(0, len(data), 777):
        hasher.update(memoryview(data)[start:start + 777])
    assert hasher.digest_b64() == checksums.checksum_b64(algorithm, data)
    assert len(hasher.digest()) == checksums.DIGEST_SIZES[algorithm]
    assert hasher.digest() == hasher.digest()  # asking twice is allowed


@given(st.binary(max_size=2000), st.integers(min_value=0, max_value=2000))
def test_crc_split_anywhere(data, cut):
    cut = min(cut, len(data))
    for algorithm in ("CRC32", "CRC32C", "CRC64NVME"):
        hasher = checksums.hasher_for(algorithm)
        hasher.update(data[:cut])
        hasher.update(data[cut:])
        assert hasher.digest_b64() == botocore_b64(algorithm, data)


def test_known_values():
    assert checksums.checksum_b64("crc32", b"hello world") == base64.b64encode(
        zlib.crc32(b"hello world").to_bytes(4, "big")).decode()
    # CRC32C("123456789") is the standard check value 0xE3069283.
    assert checksums.hasher_for("CRC32C").__class__ is not None
    h = checksums.hasher_for("crc32c")
    h.update(b"123456789")
    assert h.digest() == bytes.fromhex("e3069283")
    # CRC64/NVME check value for "123456789".
    h = checksums.hasher_for("CRC64NVME")
    h.update(b"123456789")
    assert h.digest() == bytes.fromhex("ae8b14860a799888")


def test_unknown_algorithm():
    with pytest.raises(ValueError):
        checksums.hasher_for("ADLER32")
    assert checksums.normalize_algorithm("crc32c") == "CRC32C"
    assert checksums.normalize_algorithm("adler32") is None
    assert checksums.normalize_algorithm(None) is None


def test_header_names():
    assert checksums.header_name("CRC64NVME") == "x-amz-checksum-crc64nvme"
    assert checksums.algorithm_for_header("X-Amz-Checksum-Sha256") == "SHA256"
    assert checksums.algorithm_for_header("x-amz-checksum-type") is None
    assert checksums.algorithm_for_header("content-md5") is None


def test_md5_helpers():
    assert checksums.md5_hex(b"abc") == hashlib.md5(b"abc").hexdigest()
    assert checksums.md5_b64(b"abc") == base64.b64encode(hashlib.md5(b"abc").digest()).decode()


def test_decode_checksum():
    good = checksums.checksum_b64("CRC32", b"x")
    assert checksums.decode_checksum("CRC32", good) is not None
    assert checksums.decode_checksum("CRC32", "not base64!") is None
    assert checksums.decode_checksum("SHA256", good) is None  # wrong size


def test_composite_multipart_checksum():
    parts = [b"a" * 5000, b"b" * 3000, b"c"]
    part_sums = [checksums.checksum_b64("SHA256", p) for p in parts]
    expected = hashlib.sha256(b"".join(base64.b64decode(s) for s in part_sums)).digest()
    assert checksums.composite_checksum("SHA256", part_sums) == base64.b64encode(expected).decode() + "-3"


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME"])
def test_full_object_crc_combines_parts(algorithm):
    parts = [b"first part " * 100, b"", b"second", bytes(range(256)) * 3]
    combined = checksums.full_object_crc(
        algorithm, [(checksums.checksum_b64(algorithm, p), len(p)) for p in parts]
    )
    assert combined == checksums.checksum_b64(algorithm, b"".join(parts))


def test_full_object_needs_a_crc():
    with pytest.raises(ValueError):
        checksums.full_object_crc("SHA256", [])


def test_multipart_etag():
    parts = [b"one", b"two"]
    expected = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + "-2"
    assert checksums.multipart_etag([f'"{hashlib.md5(p).hexdigest()}"' for p in parts]) == expected
    assert checksums.multipart_etag([hashlib.md5(p).digest() for p in parts]) == expected


def test_validator():
    data = b"payload"
    good = checksums.checksum_b64("CRC32", data)
    validator = checksums.ChecksumValidator("crc32", good)
    validator.update(data)
    assert validator.check() == good

    validator = checksums.ChecksumValidator("CRC32", checksums.checksum_b64("CRC32", b"other"))
    validator.update(data)
    with pytest.raises(ServiceError) as info:
        validator.check()
    assert (info.value.code, info.value.status) == ("BadDigest", 400)
    assert info.value.message == "The CRC32 you specified did not match the calculated checksum."

    with pytest.raises(ServiceError) as info:
        checksums.ChecksumValidator("SHA256", "AAAA")
    assert (info.value.code, info.value.message) == (
        "InvalidRequest", "Value for x-amz-checksum-sha256 header is invalid.")

    # A trailer: the declared value arrives at the end.
    validator = checksums.ChecksumValidator("CRC64NVME")
    validator.update(data)
    assert validator.check(checksums.checksum_b64("CRC64NVME", data))
