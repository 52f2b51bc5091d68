"""Buckets: create (with its location rules), head, list, location, delete."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.services.s3.conftest import assert_error, unique_bucket_name


def client_as(server, region: str = "us-east-1", access_key: str = "test"):
    return boto3.client("s3", endpoint_url=server.endpoint_url, region_name=region, aws_access_key_id=access_key,
                        aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}))


@pytest.fixture(scope="module")
def s3_eu(server):
    return client_as(server, "eu-west-1")


def test_create_head_list_delete(s3):
    name = unique_bucket_name()
    created = s3.create_bucket(Bucket=name)
    assert created["Location"] == f"/{name}"
    head = s3.head_bucket(Bucket=name)
    assert head["BucketRegion"] == "us-east-1"
    listed = s3.list_buckets()
    entry = next(b for b in listed["Buckets"] if b["Name"] == name)
    assert entry["CreationDate"].tzinfo is not None
    assert len(listed["Owner"]["ID"]) == 64
    s3.delete_bucket(Bucket=name)
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    with pytest.raises(ClientError) as exc:
        s3.head_bucket(Bucket=name)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_location_constraint_creates_in_region(s3):
    name = unique_bucket_name()
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-central-1"
    assert s3.head_bucket(Bucket=name)["BucketRegion"] == "eu-central-1"


def test_us_east_1_location_is_empty(s3, bucket):
    assert s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") is None


def test_regional_endpoint_requires_matching_constraint(server, s3_eu):
    name = unique_bucket_name()
    with pytest.raises(ClientError) as exc:
        s3_eu.create_bucket(Bucket=name)
    assert_error(exc, "IllegalLocationConstraintException", 400,
                 "The unspecified location constraint is incompatible for the region specific endpoint this "
                 "request was sent to.")
    with pytest.raises(ClientError) as exc:
        s3_eu.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "ap-south-1"})
    assert_error(exc, "IllegalLocationConstraintException", 400,
                 "The ap-south-1 location constraint is incompatible for the region specific endpoint this "
                 "request was sent to.")
    s3_eu.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert s3_eu.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"


def test_us_east_1_refuses_its_own_name_as_constraint(s3):
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket=unique_bucket_name(), CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
    assert_error(exc, "InvalidLocationConstraint", 400, "The specified location-constraint is not valid")


def test_recreating_own_bucket(s3, s3_eu):
    name = unique_bucket_name()
    s3.create_bucket(Bucket=name)
    # us-east-1 keeps its legacy answer: 200 OK.
    s3.create_bucket(Bucket=name)
    regional = unique_bucket_name()
    s3_eu.create_bucket(Bucket=regional, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    with pytest.raises(ClientError) as exc:
        s3_eu.create_bucket(Bucket=regional, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    error = assert_error(exc, "BucketAlreadyOwnedByYou", 409,
                         "Your previous request to create the named bucket succeeded and you already own it.")
    assert error["BucketName"] == regional


def test_bucket_of_another_account(server, s3):
    other = client_as(server, access_key="111122223333")
    name = unique_bucket_name()
    s3.create_bucket(Bucket=name)
    with pytest.raises(ClientError) as exc:
        other.create_bucket(Bucket=name)
    assert_error(exc, "BucketAlreadyExists", 409,
                 "The requested bucket name is not available. The bucket namespace is shared by all users of the "
                 "system. Please select a different name and try again.")
    assert name not in [b["Name"] for b in other.list_buckets()["Buckets"]]


@pytest.mark.parametrize("name", [
    "ab", "a" * 64, "Upper-case", "under_score", "-leading-dash", "trailing-dash-", "double..dot",
    "192.168.5.4", "xn--punycode", "name-s3alias", "dot.-dash",
])
def test_invalid_bucket_names(s3, name):
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket=name)
    error = assert_error(exc, "InvalidBucketName", 400, "The specified bucket is not valid.")
    assert error["BucketName"] == name


@pytest.mark.parametrize("name", ["abc", "a" * 63, "my.bucket.name", "1bucket2", "a-b-c"])
def test_valid_bucket_names(s3, name):
    try:
        s3.create_bucket(Bucket=name)
    except ClientError as error:  # the shared server may already hold it from another run of this test
        assert error.response["Error"]["Code"] == "BucketAlreadyOwnedByYou"
    s3.head_bucket(Bucket=name)


def test_no_such_bucket(s3):
    name = unique_bucket_name()
    for call in (lambda: s3.get_bucket_location(Bucket=name), lambda: s3.delete_bucket(Bucket=name),
                 lambda: s3.list_objects_v2(Bucket=name), lambda: s3.put_object(Bucket=name, Key="k", Body=b"x"),
                 lambda: s3.get_object(Bucket=name, Key="k")):
        with pytest.raises(ClientError) as exc:
            call()
        error = assert_error(exc, "NoSuchBucket", 404, "The specified bucket does not exist")
        assert error["BucketName"] == name


def test_delete_non_empty_bucket(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket=bucket)
    error = assert_error(exc, "BucketNotEmpty", 409, "The bucket you tried to delete is not empty")
    assert error["BucketName"] == bucket
    s3.delete_object(Bucket=bucket, Key="k")
    s3.delete_bucket(Bucket=bucket)


def test_list_buckets_paging_and_prefix(s3):
    prefix = unique_bucket_name("page")
    names = [f"{prefix}-{i}" for i in range(5)]
    for name in names:
        s3.create_bucket(Bucket=name)
    first = s3.list_buckets(Prefix=prefix, MaxBuckets=2)
    assert [b["Name"] for b in first["Buckets"]] == names[:2]
    assert first["Prefix"] == prefix
    seen = [b["Name"] for b in first["Buckets"]]
    token = first.get("ContinuationToken")
    while token:
        page = s3.list_buckets(Prefix=prefix, MaxBuckets=2, ContinuationToken=token)
        seen += [b["Name"] for b in page["Buckets"]]
        token = page.get("ContinuationToken")
    assert seen == names


def test_expected_bucket_owner(s3, bucket):
    s3.head_bucket(Bucket=bucket, ExpectedBucketOwner="000000000000")
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ExpectedBucketOwner="000000000000")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k", ExpectedBucketOwner="111122223333")
    assert_error(exc, "AccessDenied", 403, "Access Denied")


def test_deleted_bucket_is_forgotten_by_every_check(s3, s3_eu):
    """Bucket checks are answered from memory after the first: a delete must drop the name, and
    a bucket re-created under it (elsewhere) must be seen as it is now."""
    name = unique_bucket_name()
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"x")  # the bucket is now known to the checks
    s3.delete_object(Bucket=name, Key="k")
    s3.delete_bucket(Bucket=name)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=name, Key="k", Body=b"x")
    assert_error(exc, "NoSuchBucket", 404)
    s3_eu.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    try:
        assert s3_eu.head_bucket(Bucket=name)["BucketRegion"] == "eu-west-1"
        s3_eu.put_object(Bucket=name, Key="k", Body=b"y")
        assert s3_eu.get_object(Bucket=name, Key="k")["Body"].read() == b"y"
    finally:
        s3_eu.delete_object(Bucket=name, Key="k")
        s3_eu.delete_bucket(Bucket=name)
