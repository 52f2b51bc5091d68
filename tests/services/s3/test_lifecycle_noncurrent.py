"""Lifecycle's NoncurrentVersionExpiration by the server's clock: noncurrent versions go
NoncurrentDays after they became noncurrent, the NewerNoncurrentVersions newest kept, and never
while Object Lock protects them ("a locked version of an object cannot be deleted by a S3
Lifecycle expiration policy", S3 user guide)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from tests.conftest import make_client
from tests.services.s3.conftest import unique_bucket_name
from tests.services.s3.test_lifecycle import move_clock, wait_for

DAY = 86400


def version_ids(s3, bucket: str) -> set[str]:
    listing = s3.list_object_versions(Bucket=bucket)
    return {v["VersionId"] for v in listing.get("Versions", []) + listing.get("DeleteMarkers", [])}


def test_noncurrent_versions_expire_but_the_newest_are_kept(fresh_server):
    s3 = make_client("s3", fresh_server.endpoint_url)
    bucket = unique_bucket_name("noncurrent")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    oldest, newer, current = (s3.put_object(Bucket=bucket, Key="logs/doc", Body=b"v")["VersionId"] for _ in range(3))
    outside = [s3.put_object(Bucket=bucket, Key="keep/doc", Body=b"v")["VersionId"] for _ in range(2)]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "old", "Filter": {"Prefix": "logs/"}, "Status": "Enabled",
         "NoncurrentVersionExpiration": {"NoncurrentDays": 2, "NewerNoncurrentVersions": 1}}]})
    try:
        move_clock(fresh_server, {"advance": 1 * DAY})
        time.sleep(0.5)  # a sweep ran on the move; nothing was due yet
        assert version_ids(s3, bucket) == {oldest, newer, current, *outside}
        move_clock(fresh_server, {"advance": 2 * DAY})
        assert wait_for(lambda: version_ids(s3, bucket) == {newer, current, *outside})
    finally:
        move_clock(fresh_server, {"reset": True})


def test_noncurrent_expiration_skips_locked_versions_until_their_lock_ends(fresh_server):
    s3 = make_client("s3", fresh_server.endpoint_url)
    bucket = unique_bucket_name("noncurrent-lock")
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    until = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0)
    retained = s3.put_object(Bucket=bucket, Key="doc", Body=b"1", ObjectLockMode="COMPLIANCE",
                             ObjectLockRetainUntilDate=until)["VersionId"]
    held = s3.put_object(Bucket=bucket, Key="doc", Body=b"2", ObjectLockLegalHoldStatus="ON")["VersionId"]
    s3.put_object(Bucket=bucket, Key="doc", Body=b"3")  # unlocked: the first to go
    current = s3.put_object(Bucket=bucket, Key="doc", Body=b"4")["VersionId"]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "all", "Filter": {}, "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]})
    try:
        move_clock(fresh_server, {"advance": 3 * DAY})
        assert wait_for(lambda: version_ids(s3, bucket) == {retained, held, current})
        move_clock(fresh_server, {"advance": 10 * DAY})  # the retention is over; the legal hold is not
        assert wait_for(lambda: version_ids(s3, bucket) == {held, current})
        s3.put_object_legal_hold(Bucket=bucket, Key="doc", VersionId=held, LegalHold={"Status": "OFF"})
        move_clock(fresh_server, {"advance": 60})
        assert wait_for(lambda: version_ids(s3, bucket) == {current})
    finally:
        move_clock(fresh_server, {"reset": True})


def test_newer_noncurrent_versions_alone_is_refused(s3):
    """NoncurrentVersionExpiration needs NoncurrentDays: with NewerNoncurrentVersions alone AWS answers
    InvalidArgument "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"
    (hashicorp/terraform-provider-aws#35328). It was stored, and then never acted on."""
    import pytest
    from botocore.exceptions import ClientError

    from tests.services.s3.conftest import assert_error

    bucket = unique_bucket_name("noncurrent-count")
    s3.create_bucket(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
            {"ID": "keep-3", "Filter": {}, "Status": "Enabled",
             "NoncurrentVersionExpiration": {"NewerNoncurrentVersions": 3}}]})
    assert_error(exc, "InvalidArgument", 400,
                 "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer")
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert_error(exc, "NoSuchLifecycleConfiguration", 404)


def test_expired_object_delete_markers_go_once_nothing_is_under_them(fresh_server):
    """The user guide's clean-up rule, NoncurrentVersionExpiration with ExpiredObjectDeleteMarker:
    once a deleted object's versions have expired, the delete marker left alone on top goes too
    ("If the lifecycle configuration is set to delete current versions, or the
    ExpiredObjectDeleteMarker action is explicitly set, Amazon S3 removes the expired object's
    delete marker", managing delete markers). A marker with a version under it stays, as does a
    current object. It was stored and never acted on: the bucket kept its markers for ever."""
    s3 = make_client("s3", fresh_server.endpoint_url)
    bucket = unique_bucket_name("expired-markers")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="clean/gone", Body=b"v")
    s3.delete_object(Bucket=bucket, Key="clean/gone")  # a marker over one version, to expire first
    s3.put_object(Bucket=bucket, Key="clean/live", Body=b"v")
    s3.put_object(Bucket=bucket, Key="days/gone", Body=b"v")
    days_marker = s3.delete_object(Bucket=bucket, Key="days/gone")["VersionId"]
    s3.delete_object(Bucket=bucket, Key="days/gone", VersionId=s3.list_object_versions(
        Bucket=bucket, Prefix="days/")["Versions"][0]["VersionId"])  # the marker alone is left
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "clean", "Filter": {"Prefix": "clean/"}, "Status": "Enabled",
         "NoncurrentVersionExpiration": {"NoncurrentDays": 1}, "Expiration": {"ExpiredObjectDeleteMarker": True}},
        {"ID": "days", "Filter": {"Prefix": "days/"}, "Status": "Enabled", "Expiration": {"Days": 5}}]})
    try:
        move_clock(fresh_server, {"advance": 3 * DAY})
        # clean/gone's version expired and then its marker; days/gone's marker is younger than 5 days.
        assert wait_for(lambda: [m["VersionId"] for m in s3.list_object_versions(Bucket=bucket).get(
            "DeleteMarkers", [])] == [days_marker])
        assert [v["Key"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]] == ["clean/live"]
        move_clock(fresh_server, {"advance": 3 * DAY})
        assert wait_for(lambda: "DeleteMarkers" not in s3.list_object_versions(Bucket=bucket))
        assert [v["Key"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]] == ["clean/live"]
    finally:
        move_clock(fresh_server, {"reset": True})
