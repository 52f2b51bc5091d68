"""Large bodies are hashed and written by worker threads while they arrive: whatever goes wrong
on the way (a checksum that does not match, a client that goes away) leaves no file behind, and
a part's blob becomes the object's bytes without being copied."""

from __future__ import annotations

import base64
import hashlib
import socket
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.conftest import make_client
from tests.services.s3.conftest import unique_bucket_name

MIB = 1024 * 1024
AUTH = ("AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, "
        "Signature=00")


def pattern(size: int, seed: str = "") -> bytes:
    block = hashlib.sha256(f"{seed}{size}".encode()).digest() * 2048  # 64 KiB, not all one byte
    return (block * (size // len(block) + 1))[:size]


def blob_files(data_dir: Path) -> list[Path]:
    """Every file under the blob root, temporary ones included."""
    return sorted(p for p in (data_dir / "blobs").rglob("*") if p.is_file())


def wait_for_no_blob_files(data_dir: Path, timeout: float = 10.0) -> list[Path]:
    # A worker thread may still be finishing its batch when the error is answered; the file is
    # removed as soon as it is done.
    deadline = time.monotonic() + timeout
    while (left := blob_files(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


@pytest.fixture
def fresh_s3(fresh_server):
    s3 = make_client("s3", fresh_server.endpoint_url)
    bucket = unique_bucket_name()
    s3.create_bucket(Bucket=bucket)
    return s3, bucket


def test_large_put_with_a_wrong_checksum_leaves_no_file(fresh_server, fresh_s3):
    s3, bucket = fresh_s3
    wrong = base64.b64encode(b"\x01\x02\x03\x04").decode()
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=pattern(12 * MIB + 5), ChecksumCRC32=wrong)
    error = exc.value.response
    assert error["Error"]["Code"] == "BadDigest"
    assert error["Error"]["Message"] == "The CRC32 you specified did not match the calculated checksum."
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert wait_for_no_blob_files(fresh_server.data_dir) == []
    with pytest.raises(ClientError) as missing:
        s3.head_object(Bucket=bucket, Key="k")
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_large_put_with_a_wrong_content_md5_leaves_no_file(fresh_server, fresh_s3):
    s3, bucket = fresh_s3
    body = pattern(5 * MIB)
    wrong = base64.b64encode(hashlib.md5(b"something else").digest()).decode()
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=body, ContentMD5=wrong)
    assert exc.value.response["Error"]["Code"] == "BadDigest"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert wait_for_no_blob_files(fresh_server.data_dir) == []


def test_client_gone_mid_upload_leaves_no_temporary_file(fresh_server, fresh_s3):
    s3, bucket = fresh_s3
    with socket.create_connection(("127.0.0.1", fresh_server.port), timeout=30) as sock:
        sock.sendall((f"PUT /{bucket}/half HTTP/1.1\r\nHost: 127.0.0.1:{fresh_server.port}\r\n"
                      f"Authorization: {AUTH}\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\n"
                      f"Content-Length: {64 * MIB}\r\n\r\n").encode())
        chunk = pattern(MIB)
        for _ in range(20):  # well past the bytes that wait for the threads: some are on disk
            sock.sendall(chunk)
        time.sleep(0.3)
    assert wait_for_no_blob_files(fresh_server.data_dir) == []
    with pytest.raises(ClientError) as missing:
        s3.head_object(Bucket=bucket, Key="half")
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    # The server goes on taking uploads.
    body = pattern(3 * MIB, "after")
    put = s3.put_object(Bucket=bucket, Key="whole", Body=body)
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert s3.get_object(Bucket=bucket, Key="whole")["Body"].read() == body


def test_upload_part_with_a_wrong_checksum_leaves_no_file(fresh_server, fresh_s3):
    s3, bucket = fresh_s3
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mpu", ChecksumAlgorithm="SHA256")["UploadId"]
    wrong = base64.b64encode(b"\x07" * 32).decode()
    with pytest.raises(ClientError) as exc:
        s3.upload_part(Bucket=bucket, Key="mpu", UploadId=upload_id, PartNumber=1, Body=pattern(6 * MIB),
                       ChecksumSHA256=wrong)
    error = exc.value.response
    assert error["Error"]["Code"] == "BadDigest"
    assert error["Error"]["Message"] == "The SHA256 you specified did not match the calculated checksum."
    assert wait_for_no_blob_files(fresh_server.data_dir) == []
    assert s3.list_parts(Bucket=bucket, Key="mpu", UploadId=upload_id).get("Parts", []) == []


def test_completing_an_upload_copies_no_part(fresh_server, fresh_s3):
    s3, bucket = fresh_s3
    parts = [pattern(5 * MIB, "one"), pattern(5 * MIB, "two"), pattern(MIB + 7, "three")]
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mpu")["UploadId"]
    etags = [s3.upload_part(Bucket=bucket, Key="mpu", UploadId=upload_id, PartNumber=n, Body=body)["ETag"]
             for n, body in enumerate(parts, 1)]
    part_files = blob_files(fresh_server.data_dir)
    assert len(part_files) == 3
    s3.complete_multipart_upload(Bucket=bucket, Key="mpu", UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": etag} for n, etag in enumerate(etags, 1)]})
    # The parts' files are the object's: none was copied into a new one.
    assert blob_files(fresh_server.data_dir) == part_files
    assert s3.get_object(Bucket=bucket, Key="mpu")["Body"].read() == b"".join(parts)
