"""Object Lock by the server's clock: a retention protects its version until the retain-until
date passes on Overcast's clock (moved with /_overcast/clock), lifecycle expiration never removes a
locked version, and locks survive a restart and kill -9."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.conftest import make_client
from tests.services.s3.conftest import assert_error, unique_bucket_name
from tests.services.s3.test_lifecycle import keys, move_clock, wait_for

PROTECTED = "Access Denied because object protected by object lock."
DAY = 86400


def later(days: float) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)


def test_a_retention_ends_when_the_server_clock_passes_it(fresh_server):
    s3 = make_client("s3", fresh_server.endpoint_url)
    bucket = unique_bucket_name("lock")
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    governance = s3.put_object(Bucket=bucket, Key="g", Body=b"x", ObjectLockMode="GOVERNANCE",
                               ObjectLockRetainUntilDate=later(2))["VersionId"]
    compliance = s3.put_object(Bucket=bucket, Key="c", Body=b"x", ObjectLockMode="COMPLIANCE",
                               ObjectLockRetainUntilDate=later(2))["VersionId"]
    try:
        move_clock(fresh_server, {"advance": 1 * DAY})
        for key, version in (("g", governance), ("c", compliance)):
            with pytest.raises(ClientError) as exc:
                s3.delete_object(Bucket=bucket, Key=key, VersionId=version)
            assert_error(exc, "AccessDenied", 403, PROTECTED)
        # A date still ahead of the real clock is in the past on the server's: refused as past.
        with pytest.raises(ClientError) as exc:
            s3.put_object(Bucket=bucket, Key="n", Body=b"x", ObjectLockMode="GOVERNANCE",
                          ObjectLockRetainUntilDate=later(0.5))
        assert_error(exc, "InvalidArgument", 400, "The retain until date must be in the future!")
        move_clock(fresh_server, {"advance": 2 * DAY})
        # Expired: the compliance retention no longer stops a shorter one, nor its removal.
        s3.put_object_retention(Bucket=bucket, Key="c", VersionId=compliance, Retention={})
        for key, version in (("g", governance), ("c", compliance)):
            assert s3.delete_object(Bucket=bucket, Key=key, VersionId=version)["VersionId"] == version
        assert "Versions" not in s3.list_object_versions(Bucket=bucket)
    finally:
        move_clock(fresh_server, {"reset": True})


def test_lifecycle_expiration_leaves_locked_versions_in_place(fresh_server):
    s3 = make_client("s3", fresh_server.endpoint_url)
    bucket = unique_bucket_name("lock-life")
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 10}}})
    version = s3.put_object(Bucket=bucket, Key="doc", Body=b"kept")["VersionId"]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "all", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 1}}]})
    try:
        move_clock(fresh_server, {"advance": 3 * DAY})
        # Expiring the current version only adds a delete marker on top of it.
        assert wait_for(lambda: keys(s3, bucket) == [])
        listing = s3.list_object_versions(Bucket=bucket)
        assert [v["VersionId"] for v in listing["Versions"]] == [version]
        assert [m["IsLatest"] for m in listing["DeleteMarkers"]] == [True]
        with pytest.raises(ClientError) as exc:
            s3.delete_object(Bucket=bucket, Key="doc", VersionId=version)
        assert_error(exc, "AccessDenied", 403, PROTECTED)
        assert s3.get_object(Bucket=bucket, Key="doc", VersionId=version)["Body"].read() == b"kept"
    finally:
        move_clock(fresh_server, {"reset": True})


@pytest.mark.parametrize("stop", ["restart", "kill9"])
def test_locks_survive_a_restart(fresh_server, stop):
    s3 = make_client("s3", fresh_server.endpoint_url)
    bucket = unique_bucket_name("lock-durable")
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    until = later(3)
    first = s3.put_object(Bucket=bucket, Key="doc", Body=b"1", ObjectLockMode="COMPLIANCE",
                          ObjectLockRetainUntilDate=until)["VersionId"]
    s3.put_object(Bucket=bucket, Key="doc", Body=b"2", ObjectLockLegalHoldStatus="ON")  # first is noncurrent now
    if stop == "kill9":
        fresh_server.kill9()
        fresh_server.start()
    else:
        fresh_server.restart()
    s3 = make_client("s3", fresh_server.endpoint_url)
    assert s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]["Rule"] == {
        "DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}
    assert s3.get_object_retention(Bucket=bucket, Key="doc", VersionId=first)["Retention"] == {
        "Mode": "COMPLIANCE", "RetainUntilDate": until}
    head = s3.head_object(Bucket=bucket, Key="doc")
    assert (head["ObjectLockMode"], head["ObjectLockLegalHoldStatus"]) == ("GOVERNANCE", "ON")
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert_error(exc, "InvalidBucketState", 409)
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=bucket, Key="doc", VersionId=first, BypassGovernanceRetention=True)
    assert_error(exc, "AccessDenied", 403, PROTECTED)
