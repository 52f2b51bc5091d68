"""A bucket's Object Lock configuration: CreateBucket with x-amz-bucket-object-lock-enabled,
Put/GetObjectLockConfiguration, and the versioning that Object Lock needs and keeps.

S3's answers as recorded against it: LocalStack's AWS-validated TestS3ObjectLock (test_s3_api.py)
and moto's aws_verified test_s3_locking.py."""

from __future__ import annotations

import json
import shutil

import pytest
from botocore.exceptions import ClientError

from tests.services.s3.conftest import assert_error, unique_bucket_name
from tests.services.s3.test_aws_cli import aws

NEEDS_VERSIONING = "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration"
KEEPS_VERSIONING = "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed."
NOT_FOUND = "Object Lock configuration does not exist for this bucket"


@pytest.fixture
def locked_bucket(s3) -> str:
    name = unique_bucket_name("lock")
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


def lock_configuration(s3, bucket: str) -> dict:
    return s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]


def test_a_bucket_created_with_object_lock_is_versioned_and_locked(s3, locked_bucket):
    assert s3.get_bucket_versioning(Bucket=locked_bucket)["Status"] == "Enabled"
    assert lock_configuration(s3, locked_bucket) == {"ObjectLockEnabled": "Enabled"}
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_versioning(Bucket=locked_bucket, VersioningConfiguration={"Status": "Suspended"})
    assert_error(exc, "InvalidBucketState", 409, KEEPS_VERSIONING)
    assert s3.get_bucket_versioning(Bucket=locked_bucket)["Status"] == "Enabled"
    # Enabling it again changes nothing and is allowed.
    s3.put_bucket_versioning(Bucket=locked_bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=locked_bucket)["Status"] == "Enabled"


def test_object_lock_on_an_existing_bucket_needs_versioning_enabled(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_object_lock_configuration(Bucket=bucket)
    assert assert_error(exc, "ObjectLockConfigurationNotFoundError", 404, NOT_FOUND)["BucketName"] == bucket
    enable = {"ObjectLockEnabled": "Enabled"}
    with pytest.raises(ClientError) as exc:
        s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=enable)
    assert_error(exc, "InvalidBucketState", 409, NEEDS_VERSIONING)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    with pytest.raises(ClientError) as exc:
        s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=enable)
    assert_error(exc, "InvalidBucketState", 409, NEEDS_VERSIONING)
    with pytest.raises(ClientError) as exc:
        s3.get_object_lock_configuration(Bucket=bucket)
    assert_error(exc, "ObjectLockConfigurationNotFoundError", 404)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=enable)
    assert lock_configuration(s3, bucket) == enable
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert_error(exc, "InvalidBucketState", 409, KEEPS_VERSIONING)


def test_default_retention_is_set_replaced_and_removed(s3, locked_bucket):
    days = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}}
    s3.put_object_lock_configuration(Bucket=locked_bucket, ObjectLockConfiguration=days)
    assert lock_configuration(s3, locked_bucket) == days
    years = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 100}}}
    # The token that once let AWS Support enable Object Lock on an existing bucket is accepted.
    s3.put_object_lock_configuration(Bucket=locked_bucket, ObjectLockConfiguration=years, Token="any-token")
    assert lock_configuration(s3, locked_bucket) == years
    s3.put_object_lock_configuration(Bucket=locked_bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    assert lock_configuration(s3, locked_bucket) == {"ObjectLockEnabled": "Enabled"}


@pytest.mark.parametrize("document", [
    {"Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}},
    {},
    {"ObjectLockEnabled": "Enabled", "Rule": {}},
    {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {}}},
    {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE"}}},
    {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1, "Years": 1}}},
    {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "BAD-VALUE", "Days": 1}}},
    {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Days": 1}}},
], ids=["no-enabled", "empty", "empty-rule", "empty-retention", "no-period", "days-and-years", "bad-mode",
        "no-mode"])
def test_a_malformed_configuration_is_refused_and_changes_nothing(s3, locked_bucket, document):
    kept = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 3}}}
    s3.put_object_lock_configuration(Bucket=locked_bucket, ObjectLockConfiguration=kept)
    with pytest.raises(ClientError) as exc:
        s3.put_object_lock_configuration(Bucket=locked_bucket, ObjectLockConfiguration=document)
    assert_error(exc, "MalformedXML", 400,
                 "The XML you provided was not well-formed or did not validate against our published schema")
    assert lock_configuration(s3, locked_bucket) == kept


@pytest.mark.parametrize("period, message", [
    ({"Days": 0}, "Default retention period must be a positive integer value"),
    ({"Years": -1}, "Default retention period must be a positive integer value"),
    ({"Days": 999999999}, "Default retention period too large."),
    ({"Years": 101}, "Default retention period too large."),
], ids=["days-0", "years-negative", "days-too-many", "years-past-100"])
def test_a_period_out_of_range_is_an_invalid_argument(s3, locked_bucket, period, message):
    document = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", **period}}}
    with pytest.raises(ClientError) as exc:
        s3.put_object_lock_configuration(Bucket=locked_bucket, ObjectLockConfiguration=document)
    error = assert_error(exc, "InvalidArgument", 400, message)
    assert error["ArgumentName"] == next(iter(period))
    assert lock_configuration(s3, locked_bucket) == {"ObjectLockEnabled": "Enabled"}


def test_a_missing_bucket_is_named(s3):
    for call, params in (("get_object_lock_configuration", {}),
                         ("put_object_lock_configuration", {"ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled"}})):
        with pytest.raises(ClientError) as exc:
            getattr(s3, call)(Bucket="no-such-bucket-for-object-lock", **params)
        assert_error(exc, "NoSuchBucket", 404)


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_object_lock_through_the_aws_cli(aws_cli_env, tmp_path):
    bucket = unique_bucket_name("cli-lock")
    aws(aws_cli_env, "s3api", "create-bucket", "--bucket", bucket, "--object-lock-enabled-for-bucket")
    aws(aws_cli_env, "s3api", "put-object-lock-configuration", "--bucket", bucket, "--object-lock-configuration",
        '{"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 2}}}')
    got = json.loads(aws(aws_cli_env, "s3api", "get-object-lock-configuration", "--bucket", bucket).stdout)
    assert got["ObjectLockConfiguration"]["Rule"]["DefaultRetention"] == {"Mode": "GOVERNANCE", "Days": 2}
    body = tmp_path / "body.txt"
    body.write_bytes(b"kept")
    # The CLI sends a checksum with the body, which a write under a default retention needs.
    aws(aws_cli_env, "s3api", "put-object", "--bucket", bucket, "--key", "k", "--body", str(body))
    head = json.loads(aws(aws_cli_env, "s3api", "head-object", "--bucket", bucket, "--key", "k").stdout)
    assert head["ObjectLockMode"] == "GOVERNANCE"
    refused = aws(aws_cli_env, "s3api", "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration",
                  "Status=Suspended", check=False)
    assert refused.returncode != 0 and "InvalidBucketState" in refused.stderr


def test_a_configuration_request_without_a_body_is_refused(s3, locked_bucket):
    # What boto3 sends for put_object_lock_configuration without ObjectLockConfiguration.
    with pytest.raises(ClientError) as exc:
        s3.put_object_lock_configuration(Bucket=locked_bucket)
    assert_error(exc, "MissingRequestBodyError", 400, "Request Body is empty")
    assert lock_configuration(s3, locked_bucket) == {"ObjectLockEnabled": "Enabled"}
