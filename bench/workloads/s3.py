"""S3 object workloads on small (1 KiB) bodies."""

from __future__ import annotations

from typing import Any

from bench.workloads import Workload

BUCKET = "bench-bucket"
BODY_1K = bytes(range(256)) * 4
PRELOADED_KEYS = 100


def ensure_bucket(client: Any) -> None:
    try:
        client.create_bucket(Bucket=BUCKET)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass


def _setup_get(client: Any) -> None:
    ensure_bucket(client)
    for i in range(PRELOADED_KEYS):
        client.put_object(Bucket=BUCKET, Key=f"small/get-{i}", Body=BODY_1K)


def _put(client: Any, i: int) -> Any:
    return client.put_object(Bucket=BUCKET, Key=f"small/put-{i % 1000}", Body=BODY_1K)


def _get(client: Any, i: int) -> Any:
    response = client.get_object(Bucket=BUCKET, Key=f"small/get-{i % PRELOADED_KEYS}")
    body = response["Body"].read()
    if len(body) != len(BODY_1K):
        raise AssertionError(f"GetObject returned {len(body)} bytes, expected {len(BODY_1K)}")
    return body


WORKLOADS = [
    Workload("s3-put-1k", "S3 PutObject 1 KiB", "s3", "s3", ensure_bucket, _put),
    Workload("s3-get-1k", "S3 GetObject 1 KiB", "s3", "s3", _setup_get, _get, distinct_requests=PRELOADED_KEYS,
             min_response_body=len(BODY_1K)),
]
