"""A bucket with Object Ownership BucketOwnerEnforced (every new bucket, unless told otherwise)
has ACLs disabled: a write may carry no ACL, or one that gives the bucket owner full control
(bucket-owner-full-control, or grants saying the same); any other fails with
AccessControlListNotSupported and changes nothing. Reading an ACL shows the owner's full
control, and ACLs stored before grant nobody anything."""

from __future__ import annotations

import subprocess

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.services.s3.conftest import assert_error, create_public_bucket, unique_bucket_name

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
NOT_SUPPORTED = ("AccessControlListNotSupported", 400, "The bucket does not allow ACLs")
# ACLs a write may not carry with ACLs disabled: public or not, canned, header grants or a body.
REFUSED_ACLS = [{"ACL": "public-read"}, {"ACL": "private"}, {"ACL": "authenticated-read"},
                {"ACL": "bucket-owner-read"}, {"GrantRead": 'id="0123456789abcdef"'},
                {"GrantFullControl": f'uri="{ALL_USERS}"'}]


@pytest.fixture(scope="module")
def anonymous(server):
    return boto3.client("s3", endpoint_url=server.endpoint_url, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))


def refused(call) -> None:
    with pytest.raises(ClientError) as exc:
        call()
    assert_error(exc, *NOT_SUPPORTED)


def owner_only(s3, bucket: str) -> dict:
    owner = s3.get_bucket_acl(Bucket=bucket)["Owner"]
    return {"Owner": owner, "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]},
                                        "Permission": "FULL_CONTROL"}]}


def permissions(acl: dict) -> list[str]:
    return [g["Permission"] for g in acl["Grants"]]


@pytest.mark.parametrize("acl", REFUSED_ACLS)
def test_writes_that_carry_an_acl_are_refused(s3, bucket, acl):
    s3.put_object(Bucket=bucket, Key="source.txt", Body=b"source")
    refused(lambda: s3.put_object(Bucket=bucket, Key="new.txt", Body=b"x", **acl))
    refused(lambda: s3.copy_object(Bucket=bucket, Key="copy.txt", CopySource={"Bucket": bucket, "Key": "source.txt"},
                                   **acl))
    refused(lambda: s3.create_multipart_upload(Bucket=bucket, Key="big.bin", **acl))
    refused(lambda: s3.put_object_acl(Bucket=bucket, Key="source.txt", **acl))
    refused(lambda: s3.put_bucket_acl(Bucket=bucket, **acl))
    # Nothing was written.
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["source.txt"]
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)


def test_an_acl_body_other_than_the_owners_full_control_is_refused(s3, bucket):
    s3.put_object(Bucket=bucket, Key="doc.txt", Body=b"doc")
    body = owner_only(s3, bucket)
    body["Grants"].append({"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"})
    refused(lambda: s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy=body))
    refused(lambda: s3.put_object_acl(Bucket=bucket, Key="doc.txt", AccessControlPolicy=body))


def test_the_owners_full_control_is_accepted(s3, bucket):
    owner_id = s3.get_bucket_acl(Bucket=bucket)["Owner"]["ID"]
    s3.put_object(Bucket=bucket, Key="canned.txt", Body=b"x", ACL="bucket-owner-full-control")
    s3.put_object(Bucket=bucket, Key="granted.txt", Body=b"x", GrantFullControl=f'id="{owner_id}"')
    s3.copy_object(Bucket=bucket, Key="copy.txt", CopySource={"Bucket": bucket, "Key": "canned.txt"},
                   ACL="bucket-owner-full-control")
    s3.abort_multipart_upload(Bucket=bucket, Key="big.bin", UploadId=s3.create_multipart_upload(
        Bucket=bucket, Key="big.bin", ACL="bucket-owner-full-control")["UploadId"])
    s3.put_object_acl(Bucket=bucket, Key="canned.txt", AccessControlPolicy=owner_only(s3, bucket))
    s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy=owner_only(s3, bucket))
    s3.put_bucket_acl(Bucket=bucket, ACL="bucket-owner-full-control")
    assert permissions(s3.get_bucket_acl(Bucket=bucket)) == ["FULL_CONTROL"]
    assert permissions(s3.get_object_acl(Bucket=bucket, Key="granted.txt")) == ["FULL_CONTROL"]


def test_an_unknown_canned_acl_is_still_invalid(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="everyone")
    error = assert_error(exc, "InvalidArgument", 400, "Invalid canned ACL")
    assert (error["ArgumentName"], error["ArgumentValue"]) == ("x-amz-acl", "everyone")


def test_the_aws_cli_sees_the_refusal(aws_cli_env, s3, bucket, tmp_path):
    body = tmp_path / "body.txt"
    body.write_text("x")
    result = subprocess.run(["aws", "s3api", "put-object", "--bucket", bucket, "--key", "k", "--body", str(body),
                             "--acl", "public-read"], env=aws_cli_env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert ("An error occurred (AccessControlListNotSupported) when calling the PutObject operation: "
            "The bucket does not allow ACLs") in result.stderr


def test_turning_the_block_off_does_not_enable_acls(s3, bucket):
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicAcls": False})
    refused(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="public-read"))


def test_enforcing_ownership_takes_stored_acls_away(s3, anonymous):
    """ACLs written while they were enabled stay stored but grant nothing, and reads show the
    owner's full control; deleting the ownership controls brings them back."""
    bucket = create_public_bucket(s3)
    s3.put_object(Bucket=bucket, Key="shared.txt", Body=b"shared", ACL="public-read")
    assert anonymous.get_object(Bucket=bucket, Key="shared.txt")["Body"].read() == b"shared"
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [
        {"ObjectOwnership": "BucketOwnerEnforced"}]})
    with pytest.raises(ClientError) as exc:
        anonymous.get_object(Bucket=bucket, Key="shared.txt")
    assert_error(exc, "AccessDenied", 403, "Access Denied")
    assert permissions(s3.get_object_acl(Bucket=bucket, Key="shared.txt")) == ["FULL_CONTROL"]
    s3.delete_bucket_ownership_controls(Bucket=bucket)
    assert "READ" in permissions(s3.get_object_acl(Bucket=bucket, Key="shared.txt"))
    assert anonymous.get_object(Bucket=bucket, Key="shared.txt")["Body"].read() == b"shared"


def test_enforcing_ownership_is_refused_while_the_bucket_acl_grants_others(s3):
    bucket = create_public_bucket(s3, unique_bucket_name("grants"))
    s3.put_bucket_acl(Bucket=bucket, GrantRead='id="0123456789abcdef"')
    enforce = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=enforce)
    assert_error(exc, "InvalidBucketAclWithObjectOwnership", 400,
                 "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "ObjectWriter"}]
    # Reset to the private ACL first, as AWS asks, and the change goes through.
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=enforce)
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == enforce["Rules"]
