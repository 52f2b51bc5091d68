"""What a new bucket starts with, as on AWS since April 2023: all four Block Public Access
settings on and Object Ownership BucketOwnerEnforced (ACLs disabled), unless CreateBucket's
x-amz-object-ownership says otherwise; and how CreateBucket's ACL headers meet that setting.

A bucket written before these defaults keeps its old behaviour across a restart
(test_a_bucket_from_before_the_defaults_keeps_its_behaviour)."""

from __future__ import annotations

import json
import sqlite3
import subprocess

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from overcast.storage import DATABASE_FILE
from tests.conftest import make_client
from tests.services.s3.conftest import BLOCK_PUBLIC_ACCESS_SETTINGS, assert_error, unique_bucket_name

ALL_BLOCKED = dict.fromkeys(BLOCK_PUBLIC_ACCESS_SETTINGS, True)
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
OTHER_ACCOUNT = 'id="79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"'
ENFORCED_WITH_ACL = "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"


def ownership_of(s3, bucket: str) -> str:
    return s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"][0]["ObjectOwnership"]


def block_of(s3, bucket: str) -> dict:
    return s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]


def assert_no_bucket(s3, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.head_bucket(Bucket=bucket)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def public_policy(bucket: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]})


# ---- the defaults ---------------------------------------------------------------------------------

def test_a_new_bucket_blocks_public_access_and_disables_acls(s3, bucket):
    assert block_of(s3, bucket) == ALL_BLOCKED
    assert ownership_of(s3, bucket) == "BucketOwnerEnforced"


def test_the_defaults_through_the_aws_cli(aws_cli_env):
    bucket = unique_bucket_name("cli-defaults")

    def aws(*args: str) -> dict:
        result = subprocess.run(["aws", "s3api", *args, "--bucket", bucket], env=aws_cli_env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout or "{}")

    aws("create-bucket")
    assert aws("get-public-access-block")["PublicAccessBlockConfiguration"] == ALL_BLOCKED
    assert aws("get-bucket-ownership-controls")["OwnershipControls"] == {
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}


def test_the_default_block_refuses_a_public_policy_and_keeps_a_private_one(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket=bucket, Policy=public_policy(bucket))
    assert_error(exc, "AccessDenied", 403, "Access Denied")
    pinned = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/*"}]})
    s3.put_bucket_policy(Bucket=bucket, Policy=pinned)
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == pinned
    # Once the user turns the block off, the public policy is accepted.
    s3.put_public_access_block(Bucket=bucket,
                               PublicAccessBlockConfiguration=dict.fromkeys(BLOCK_PUBLIC_ACCESS_SETTINGS, False))
    s3.put_bucket_policy(Bucket=bucket, Policy=public_policy(bucket))


@pytest.mark.parametrize("ownership", ["BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced"])
def test_create_bucket_with_object_ownership(s3, ownership):
    bucket = unique_bucket_name("own")
    s3.create_bucket(Bucket=bucket, ObjectOwnership=ownership)
    assert ownership_of(s3, bucket) == ownership
    # Object Ownership does not change the block: it is on either way.
    assert block_of(s3, bucket) == ALL_BLOCKED


def test_an_unknown_object_ownership_is_refused(s3):
    bucket = unique_bucket_name("own")
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket=bucket, ObjectOwnership="Everyone")
    error = assert_error(exc, "InvalidArgument", 400, "Invalid x-amz-object-ownership header: Everyone")
    assert (error["ArgumentName"], error["ArgumentValue"]) == ("x-amz-object-ownership", "Everyone")
    assert_no_bucket(s3, bucket)


# ---- CreateBucket's ACL headers under each ownership setting ----------------------------------------

@pytest.mark.parametrize("ownership", [None, "BucketOwnerEnforced"])
@pytest.mark.parametrize("acl", [{"ACL": "public-read"}, {"ACL": "authenticated-read"}, {"GrantRead": OTHER_ACCOUNT},
                                 {"GrantFullControl": f'uri="{ALL_USERS}"'}])
def test_an_acl_with_acls_disabled_is_refused_at_creation(s3, ownership, acl):
    bucket = unique_bucket_name("enf")
    extra = {"ObjectOwnership": ownership} if ownership else {}
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket=bucket, **acl, **extra)
    assert_error(exc, "InvalidBucketAclWithObjectOwnership", 400, ENFORCED_WITH_ACL)
    assert_no_bucket(s3, bucket)


def test_a_private_acl_at_creation(s3):
    # Given BucketOwnerEnforced, the private ACL (the owner's full control) changes nothing.
    enforced = unique_bucket_name("priv")
    s3.create_bucket(Bucket=enforced, ACL="private", ObjectOwnership="BucketOwnerEnforced")
    assert ownership_of(s3, enforced) == "BucketOwnerEnforced"
    # Without a setting, S3 makes such a bucket BucketOwnerPreferred (rclone creates buckets this way).
    preferred = unique_bucket_name("priv")
    s3.create_bucket(Bucket=preferred, ACL="private")
    assert ownership_of(s3, preferred) == "BucketOwnerPreferred"
    assert [g["Permission"] for g in s3.get_bucket_acl(Bucket=preferred)["Grants"]] == ["FULL_CONTROL"]
    assert block_of(s3, preferred) == ALL_BLOCKED


@pytest.mark.parametrize("ownership", ["ObjectWriter", "BucketOwnerPreferred"])
def test_acl_headers_are_stored_when_ownership_allows_acls(s3, ownership):
    bucket = unique_bucket_name("acl")
    s3.create_bucket(Bucket=bucket, ObjectOwnership=ownership, GrantRead=OTHER_ACCOUNT,
                     GrantFullControl='id="0123456789abcdef"')
    grants = s3.get_bucket_acl(Bucket=bucket)["Grants"]
    ids = {(g["Grantee"].get("ID"), g["Permission"]) for g in grants}
    assert ids == {(OTHER_ACCOUNT[4:-1], "READ"), ("0123456789abcdef", "FULL_CONTROL")}
    canned = unique_bucket_name("acl")
    s3.create_bucket(Bucket=canned, ObjectOwnership=ownership, ACL="private")
    assert [g["Permission"] for g in s3.get_bucket_acl(Bucket=canned)["Grants"]] == ["FULL_CONTROL"]


def test_log_delivery_write_grants_the_log_delivery_group(s3):
    # What a bucket that receives server access logs is given on AWS: the LogDelivery group may
    # write objects and read the bucket's ACL; it is not public, so the default block allows it.
    bucket = unique_bucket_name("logs")
    s3.create_bucket(Bucket=bucket, ObjectOwnership="ObjectWriter", ACL="log-delivery-write")
    grants = {(g["Grantee"].get("URI") or g["Grantee"].get("ID"), g["Permission"])
              for g in s3.get_bucket_acl(Bucket=bucket)["Grants"]}
    log_delivery = "http://acs.amazonaws.com/groups/s3/LogDelivery"
    assert {(log_delivery, "WRITE"), (log_delivery, "READ_ACP")} <= grants
    assert len(grants) == 3  # and the owner's FULL_CONTROL


def test_aws_exec_read_grants_ec2_read(s3):
    bucket = unique_bucket_name("exec")
    s3.create_bucket(Bucket=bucket, ObjectOwnership="ObjectWriter", ACL="aws-exec-read")
    grants = s3.get_bucket_acl(Bucket=bucket)["Grants"]
    ec2 = [g for g in grants if g["Grantee"].get("DisplayName") == "za-team"]
    assert ec2 == [{"Grantee": {"Type": "CanonicalUser", "DisplayName": "za-team",
                                "ID": "6aa5a366c34c1cbe25dc49211496e913e0351eb0e8c37aa3477e40942ec6b97c"},
                    "Permission": "READ"}]
    assert len(grants) == 2  # and the owner's FULL_CONTROL


@pytest.mark.parametrize("ownership", ["ObjectWriter", "BucketOwnerPreferred"])
@pytest.mark.parametrize("acl", [{"ACL": "public-read"}, {"ACL": "public-read-write"},
                                 {"GrantRead": f'uri="{ALL_USERS}"'}])
def test_a_public_acl_at_creation_meets_the_new_buckets_block(s3, ownership, acl):
    bucket = unique_bucket_name("pub")
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket=bucket, ObjectOwnership=ownership, **acl)
    assert_error(exc, "InvalidBucketAclWithBlockPublicAccessError", 400,
                 "Bucket cannot have public ACLs set with BlockPublicAccess enabled")
    assert_no_bucket(s3, bucket)


def test_acl_sources_are_checked_at_creation(s3):
    bucket = unique_bucket_name("src")
    with pytest.raises(ClientError) as both:
        s3.create_bucket(Bucket=bucket, ObjectOwnership="ObjectWriter", ACL="private", GrantRead=OTHER_ACCOUNT)
    assert_error(both, "InvalidRequest", 400, "Specifying both Canned ACLs and Header Grants is not allowed")
    with pytest.raises(ClientError) as malformed:
        s3.create_bucket(Bucket=bucket, ObjectOwnership="ObjectWriter", GrantRead="nobody")
    assert_error(malformed, "InvalidArgument", 400, "Argument format not recognized")
    assert_no_bucket(s3, bucket)


# ---- a data directory from before the defaults ------------------------------------------------------

def test_a_bucket_from_before_the_defaults_keeps_its_behaviour(fresh_server):
    """Before this change CreateBucket stored no configuration (the row's config column took its
    default, '{}'). Such a row is built here, the server restarted, and the bucket must still
    behave as it did: no block, ACLs enabled; while a bucket created now gets the defaults."""
    s3 = make_client("s3", fresh_server.endpoint_url)
    old = unique_bucket_name("old")
    s3.create_bucket(Bucket=old)
    fresh_server.stop()
    db = sqlite3.connect(fresh_server.data_dir / DATABASE_FILE)
    try:
        with db:
            assert db.execute("UPDATE s3_buckets SET config = '{}' WHERE name = ?", (old,)).rowcount == 1
    finally:
        db.close()
    fresh_server.start()
    anonymous = boto3.client("s3", endpoint_url=fresh_server.endpoint_url, region_name="us-east-1",
                             config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))

    with pytest.raises(ClientError) as exc:
        s3.get_public_access_block(Bucket=old)
    assert_error(exc, "NoSuchPublicAccessBlockConfiguration", 404)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_ownership_controls(Bucket=old)
    assert_error(exc, "OwnershipControlsNotFoundError", 404)
    s3.put_object(Bucket=old, Key="acl.txt", Body=b"by acl", ACL="public-read")
    assert anonymous.get_object(Bucket=old, Key="acl.txt")["Body"].read() == b"by acl"
    s3.put_bucket_acl(Bucket=old, ACL="public-read")
    s3.put_bucket_policy(Bucket=old, Policy=public_policy(old))
    s3.put_object(Bucket=old, Key="policy.txt", Body=b"by policy")
    assert anonymous.get_object(Bucket=old, Key="policy.txt")["Body"].read() == b"by policy"

    new = unique_bucket_name("new")
    s3.create_bucket(Bucket=new)
    fresh_server.restart()
    assert block_of(s3, new) == ALL_BLOCKED
    assert ownership_of(s3, new) == "BucketOwnerEnforced"
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=new, Key="k", Body=b"x", ACL="public-read")
    assert_error(exc, "AccessControlListNotSupported", 400, "The bucket does not allow ACLs")
    # The old bucket's configuration survived the restart as it was written.
    assert anonymous.get_object(Bucket=old, Key="acl.txt")["Body"].read() == b"by acl"
    with pytest.raises(ClientError) as exc:
        s3.get_public_access_block(Bucket=old)
    assert_error(exc, "NoSuchPublicAccessBlockConfiguration", 404)
