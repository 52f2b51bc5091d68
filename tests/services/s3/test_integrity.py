"""Upload integrity: Content-MD5, x-amz-content-sha256, x-amz-checksum-* (in headers and trailers)."""

from __future__ import annotations

import base64
import hashlib
import zlib

import pytest
from botocore.exceptions import ClientError

from overcast.protocol import checksums
from tests.services.s3.conftest import assert_error, raw_request

BODY = b"integrity matters\n" * 100


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def test_content_md5_accepted(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=BODY, ContentMD5=b64(hashlib.md5(BODY).digest()))
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == BODY


def test_content_md5_mismatch(s3, bucket):
    wrong = b64(hashlib.md5(b"something else").digest())
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=BODY, ContentMD5=wrong)
    assert_error(exc, "BadDigest", 400, "The Content-MD5 you specified did not match what we received.")
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="k")


@pytest.mark.parametrize("value", ["not base64!", b64(b"short")])
def test_content_md5_invalid(s3, bucket, value):
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=BODY, ContentMD5=value)
    assert_error(exc, "InvalidDigest", 400, "The Content-MD5 you specified was invalid.")


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"])
def test_checksum_algorithms_stored_and_returned(s3, bucket, algorithm):
    expected = checksums.checksum_b64(algorithm, BODY)
    put = s3.put_object(Bucket=bucket, Key=algorithm, Body=BODY, ChecksumAlgorithm=algorithm)
    assert put[f"Checksum{algorithm}"] == expected
    head = s3.head_object(Bucket=bucket, Key=algorithm, ChecksumMode="ENABLED")
    assert head[f"Checksum{algorithm}"] == expected
    assert head["ChecksumType"] == "FULL_OBJECT"
    got = s3.get_object(Bucket=bucket, Key=algorithm, ChecksumMode="ENABLED")
    assert got[f"Checksum{algorithm}"] == expected
    assert got["Body"].read() == BODY
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=algorithm)["Contents"][0]
    assert listed["ChecksumAlgorithm"] == [algorithm]


def test_checksum_not_returned_without_checksum_mode(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=BODY, ChecksumAlgorithm="SHA256")
    head = s3.head_object(Bucket=bucket, Key="k")
    assert "ChecksumSHA256" not in head


@pytest.mark.parametrize("algorithm,size", [("CRC32", 4), ("CRC32C", 4), ("SHA1", 20), ("SHA256", 32),
                                            ("CRC64NVME", 8)])
def test_checksum_mismatch(s3, bucket, algorithm, size):
    wrong = b64(b"\x01" * size)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=BODY, **{f"Checksum{algorithm}": wrong})
    assert_error(exc, "BadDigest", 400, f"The {algorithm} you specified did not match the calculated checksum.")


def test_checksum_value_malformed(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=BODY, ChecksumCRC32=b64(b"\x00" * 8))
    assert_error(exc, "InvalidRequest", 400, "Value for x-amz-checksum-crc32 header is invalid.")


def test_x_amz_content_sha256_mismatch(server, bucket, s3):
    claimed = hashlib.sha256(b"other bytes").hexdigest()
    status, _, body = raw_request(server.endpoint_url, "PUT", f"/{bucket}/sha", body=BODY,
                                  headers={"x-amz-content-sha256": claimed})
    assert status == 400
    assert b"<Code>XAmzContentSHA256Mismatch</Code>" in body
    assert b"<Message>The provided 'x-amz-content-sha256' header does not match what was computed.</Message>" in body
    assert f"<ClientComputedContentSHA256>{claimed}</ClientComputedContentSHA256>".encode() in body
    actual = hashlib.sha256(BODY).hexdigest()
    assert f"<S3ComputedContentSHA256>{actual}</S3ComputedContentSHA256>".encode() in body
    status, _, _ = raw_request(server.endpoint_url, "PUT", f"/{bucket}/sha", body=BODY,
                               headers={"x-amz-content-sha256": actual})
    assert status == 200
    assert s3.get_object(Bucket=bucket, Key="sha")["Body"].read() == BODY


def _chunked(data: bytes, trailer: str) -> bytes:
    """aws-chunked framing (every chunk but the last must be at least 8 KiB: one chunk here)."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n0\r\n" + trailer.encode() + b"\r\n\r\n"


def _chunked_headers(trailer_name: str) -> dict[str, str]:
    return {"Content-Encoding": "aws-chunked", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            "x-amz-trailer": trailer_name, "x-amz-decoded-content-length": str(len(BODY))}


def test_trailing_checksum(server, s3, bucket):
    crc = b64(zlib.crc32(BODY).to_bytes(4, "big"))
    body = _chunked(BODY, f"x-amz-checksum-crc32:{crc}")
    status, headers, _ = raw_request(server.endpoint_url, "PUT", f"/{bucket}/trailer", body=body,
                                     headers=_chunked_headers("x-amz-checksum-crc32"))
    assert status == 200
    assert headers["x-amz-checksum-crc32"] == crc
    got = s3.get_object(Bucket=bucket, Key="trailer", ChecksumMode="ENABLED")
    assert got["Body"].read() == BODY
    assert got["ChecksumCRC32"] == crc
    assert "ContentEncoding" not in got  # aws-chunked is the upload's framing, not the object's


def test_trailing_checksum_mismatch(server, s3, bucket):
    body = _chunked(BODY, "x-amz-checksum-crc32:AAAAAA==")
    status, _, response = raw_request(server.endpoint_url, "PUT", f"/{bucket}/bad-trailer", body=body,
                                      headers=_chunked_headers("x-amz-checksum-crc32"))
    assert status == 400
    assert b"<Code>BadDigest</Code>" in response
    assert b"The CRC32 you specified did not match the calculated checksum." in response
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="bad-trailer")


def test_default_checksum_is_crc64nvme(server, s3, bucket):
    status, _, _ = raw_request(server.endpoint_url, "PUT", f"/{bucket}/plain", body=BODY)
    assert status == 200
    head = s3.head_object(Bucket=bucket, Key="plain", ChecksumMode="ENABLED")
    assert head["ChecksumCRC64NVME"] == checksums.checksum_b64("CRC64NVME", BODY)
