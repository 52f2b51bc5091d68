"""Lifecycle expiration acts by the server's clock: advancing it past an expiry deletes objects
and aborts stale multipart uploads."""

from __future__ import annotations

import json
import time
import urllib.request

from tests.conftest import make_client
from tests.services.s3.conftest import unique_bucket_name


def move_clock(server, body: dict) -> None:
    request = urllib.request.Request(server.endpoint_url + "/_overcast/clock", data=json.dumps(body).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def wait_for(condition, timeout: float = 30.0) -> bool:
    # Waiting for background work to happen, not measuring how fast it is.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def keys(s3, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_expiration_by_days_and_abort_incomplete_uploads(fresh_server):
    s3 = make_client("s3", fresh_server.endpoint_url)
    bucket = unique_bucket_name("life")
    s3.create_bucket(Bucket=bucket)
    for key in ("tmp/a", "tmp/b", "keep/c", "tmp-not/d"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x" * (100_000 if key == "tmp/b" else 10))
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="tmp/upload")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="tmp/upload", UploadId=upload_id, PartNumber=1, Body=b"part")
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "tmp", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled", "Expiration": {"Days": 2},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
        {"ID": "off", "Filter": {"Prefix": "keep/"}, "Status": "Disabled", "Expiration": {"Days": 1}},
    ]})
    try:
        move_clock(fresh_server, {"advance": 1 * 86400})
        time.sleep(0.5)
        assert keys(s3, bucket) == ["keep/c", "tmp-not/d", "tmp/a", "tmp/b"]  # not yet expired
        move_clock(fresh_server, {"advance": 2 * 86400})
        assert wait_for(lambda: keys(s3, bucket) == ["keep/c", "tmp-not/d"])
        assert wait_for(lambda: "Uploads" not in s3.list_multipart_uploads(Bucket=bucket))
        blob_root = fresh_server.data_dir / "blobs"
        assert not [p for p in blob_root.rglob("*") if p.is_file() and "tmp" not in p.relative_to(blob_root).parts]
    finally:
        move_clock(fresh_server, {"reset": True})


def test_expiration_in_a_versioned_bucket_leaves_a_delete_marker(fresh_server):
    s3 = make_client("s3", fresh_server.endpoint_url)
    bucket = unique_bucket_name("life")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket=bucket, Key="doc", Body=b"v1")["VersionId"]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "all", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 1}}]})
    try:
        move_clock(fresh_server, {"advance": 3 * 86400})
        assert wait_for(lambda: keys(s3, bucket) == [])
        listing = s3.list_object_versions(Bucket=bucket)
        assert [m["IsLatest"] for m in listing["DeleteMarkers"]] == [True]
        assert [v["VersionId"] for v in listing["Versions"]] == [version]
    finally:
        move_clock(fresh_server, {"reset": True})
