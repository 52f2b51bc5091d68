"""Large objects: blob-backed bodies stream in and out, ranges inside them, copies, and the
files behind replaced or deleted objects go away."""

from __future__ import annotations

import hashlib
import http.client
import os
from pathlib import Path

import pytest

from tests.conftest import make_client
from tests.services.s3.conftest import unique_bucket_name

MIB = 1024 * 1024


def pattern(size: int) -> bytes:
    block = hashlib.sha256(str(size).encode()).digest() * 2048  # 64 KiB, not all one byte
    return (block * (size // len(block) + 1))[:size]


def blob_files(data_dir: Path) -> list[Path]:
    root = data_dir / "blobs"
    return sorted(p for p in root.rglob("*") if p.is_file() and "tmp" not in p.relative_to(root).parts)


def test_large_put_get_range_copy(s3, bucket):
    data = pattern(9 * MIB + 123)
    put = s3.put_object(Bucket=bucket, Key="big", Body=data)
    assert put["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="big")
    assert got["ContentLength"] == len(data)
    assert got["Body"].read() == data
    part = s3.get_object(Bucket=bucket, Key="big", Range=f"bytes={5 * MIB}-{6 * MIB + 10}")
    assert part["Body"].read() == data[5 * MIB:6 * MIB + 11]
    tail = s3.get_object(Bucket=bucket, Key="big", Range="bytes=-100")
    assert tail["Body"].read() == data[-100:]
    s3.copy_object(Bucket=bucket, Key="big-copy", CopySource={"Bucket": bucket, "Key": "big"})
    assert s3.get_object(Bucket=bucket, Key="big-copy")["Body"].read() == data


def test_replaced_and_deleted_blobs_are_unlinked(fresh_server):
    s3 = make_client("s3", fresh_server.endpoint_url)
    bucket = unique_bucket_name()
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a", Body=pattern(200_000))
    s3.put_object(Bucket=bucket, Key="b", Body=pattern(300_000))
    assert len(blob_files(fresh_server.data_dir)) == 2
    s3.put_object(Bucket=bucket, Key="a", Body=pattern(400_000))  # replaced by another blob
    assert len(blob_files(fresh_server.data_dir)) == 2
    s3.put_object(Bucket=bucket, Key="b", Body=b"small now")  # replaced by an inline body
    assert len(blob_files(fresh_server.data_dir)) == 1
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a"}]})
    assert blob_files(fresh_server.data_dir) == []
    assert s3.get_object(Bucket=bucket, Key="b")["Body"].read() == b"small now"


def test_unreferenced_blobs_are_swept_on_start(fresh_server):
    s3 = make_client("s3", fresh_server.endpoint_url)
    bucket = unique_bucket_name()
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="kept", Body=pattern(100_000))
    kept = blob_files(fresh_server.data_dir)
    assert len(kept) == 1
    orphan = kept[0].parent / ("0" * 32 if kept[0].name != "0" * 32 else "1" * 32)
    orphan_in_shard = kept[0].parent.parent / orphan.name[:2] / orphan.name
    orphan_in_shard.parent.mkdir(exist_ok=True)
    orphan_in_shard.write_bytes(b"half written")
    fresh_server.restart()
    s3 = make_client("s3", fresh_server.endpoint_url)
    assert s3.get_object(Bucket=bucket, Key="kept")["Body"].read() == pattern(100_000)
    assert blob_files(fresh_server.data_dir) == kept


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc to read the server's RSS")
def test_huge_object_streams_in_constant_memory(fresh_server):
    s3 = make_client("s3", fresh_server.endpoint_url)
    bucket = unique_bucket_name()
    s3.create_bucket(Bucket=bucket)
    size = 300 * MIB
    chunk = pattern(MIB)
    conn = http.client.HTTPConnection("127.0.0.1", fresh_server.port, timeout=120)
    conn.request("PUT", f"/{bucket}/huge", body=(chunk for _ in range(size // MIB)),
                 headers={"Content-Length": str(size), "Authorization": "AWS4-HMAC-SHA256 Credential=test/"
                          "20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"})
    response = conn.getresponse()
    response.read()
    assert response.status == 200
    expected = hashlib.md5()
    for _ in range(size // MIB):
        expected.update(chunk)
    assert response.getheader("ETag") == f'"{expected.hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="huge")
    digest = hashlib.md5()
    total = 0
    for piece in got["Body"].iter_chunks(MIB):
        digest.update(piece)
        total += len(piece)
    assert total == size and digest.hexdigest() == expected.hexdigest()
    # Neither direction held the object: the server's peak RSS stays far below its size.
    assert _peak_rss_kib(fresh_server.proc.pid) < 150 * 1024
