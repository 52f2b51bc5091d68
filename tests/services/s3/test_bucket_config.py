"""Bucket sub-resources stored and echoed, their NoSuch* errors, and validation that changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from tests.services.s3.conftest import assert_error

PUBLIC_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": None}],
}


def public_policy(bucket: str) -> str:
    policy = json.loads(json.dumps(PUBLIC_POLICY))
    policy["Statement"][0]["Resource"] = f"arn:aws:s3:::{bucket}/*"
    return json.dumps(policy)


def test_policy(s3, public_bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=public_bucket)
    error = assert_error(exc, "NoSuchBucketPolicy", 404, "The bucket policy does not exist")
    assert error["BucketName"] == public_bucket
    s3.put_bucket_policy(Bucket=public_bucket, Policy=public_policy(public_bucket))
    assert json.loads(s3.get_bucket_policy(Bucket=public_bucket)["Policy"]) == json.loads(public_policy(public_bucket))
    assert s3.get_bucket_policy_status(Bucket=public_bucket)["PolicyStatus"]["IsPublic"] is True
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket=public_bucket, Policy="not json")
    assert_error(exc, "MalformedPolicy", 400)
    # The malformed document changed nothing.
    assert json.loads(s3.get_bucket_policy(Bucket=public_bucket)["Policy"]) == json.loads(public_policy(public_bucket))
    s3.delete_bucket_policy(Bucket=public_bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=public_bucket)
    assert_error(exc, "NoSuchBucketPolicy", 404)


def test_website(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_website(Bucket=bucket)
    assert_error(exc, "NoSuchWebsiteConfiguration", 404, "The specified bucket does not have a website configuration")
    config = {
        "IndexDocument": {"Suffix": "index.html"},
        "ErrorDocument": {"Key": "error.html"},
        "RoutingRules": [{"Condition": {"KeyPrefixEquals": "docs/"},
                          "Redirect": {"ReplaceKeyPrefixWith": "documents/", "HttpRedirectCode": "301"}}],
    }
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=config)
    got = s3.get_bucket_website(Bucket=bucket)
    assert got["IndexDocument"] == {"Suffix": "index.html"}
    assert got["ErrorDocument"] == {"Key": "error.html"}
    assert got["RoutingRules"] == config["RoutingRules"]
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "a/b.html"}})
    assert_error(exc, "InvalidArgument", 400, "The IndexDocument Suffix is not well formed")
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"ErrorDocument": {"Key": "e.html"}})
    assert_error(exc, "InvalidArgument", 400,
                 "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty")
    assert s3.get_bucket_website(Bucket=bucket)["IndexDocument"] == {"Suffix": "index.html"}
    s3.delete_bucket_website(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_website(Bucket=bucket)


def test_cors(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_cors(Bucket=bucket)
    assert_error(exc, "NoSuchCORSConfiguration", 404, "The CORS configuration does not exist")
    rules = [{"AllowedOrigins": ["https://example.com"], "AllowedMethods": ["GET", "PUT"],
              "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 300}]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == rules
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
            {"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}]})
    assert_error(exc, "InvalidRequest", 400,
                 "Found unsupported HTTP method in CORS config. Unsupported method is PATCH")
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == rules
    s3.delete_bucket_cors(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_cors(Bucket=bucket)


def test_lifecycle(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert_error(exc, "NoSuchLifecycleConfiguration", 404, "The lifecycle configuration does not exist")
    rules = [{"ID": "expire-tmp", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled", "Expiration": {"Days": 1}}]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == rules
    dated = [{"ID": "by-date", "Filter": {"Prefix": ""}, "Status": "Enabled",
              "Expiration": {"Date": datetime(2031, 1, 1, tzinfo=UTC)}}]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": dated})
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == dated
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
            {"ID": "bad", "Filter": {"Prefix": ""}, "Status": "Maybe", "Expiration": {"Days": 1}}]})
    assert_error(exc, "MalformedXML", 400)
    s3.delete_bucket_lifecycle(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)


def test_tagging(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=bucket)
    assert_error(exc, "NoSuchTagSet", 404, "The TagSet does not exist")
    tags = [{"Key": "team", "Value": "web"}, {"Key": "env", "Value": "dev"}]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == tags
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]})
    assert_error(exc, "InvalidTag", 400, "Cannot provide multiple Tags with the same key")
    s3.delete_bucket_tagging(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_tagging(Bucket=bucket)
    # A system tag: refused in different words for buckets and objects (LocalStack's
    # AWS-validated tagging snapshots).
    system = {"TagSet": [{"Key": "aws:x", "Value": "1"}]}
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_tagging(Bucket=bucket, Tagging=system)
    assert_error(exc, "InvalidTag", 400, "System tags cannot be added/updated by requester")
    s3.put_object(Bucket=bucket, Key="tagged", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.put_object_tagging(Bucket=bucket, Key="tagged", Tagging=system)
    assert_error(exc, "InvalidTag", 400, "Your TagKey cannot be prefixed with aws:")


def test_public_access_block_and_ownership(s3, bucket):
    # A new bucket starts with every block on and ACLs disabled (new_bucket_defaults.py has more).
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicPolicy": True})
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": False}
    s3.delete_public_access_block(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_public_access_block(Bucket=bucket)
    assert_error(exc, "NoSuchPublicAccessBlockConfiguration", 404,
                 "The public access block configuration was not found")
    s3.delete_bucket_ownership_controls(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_ownership_controls(Bucket=bucket)
    assert_error(exc, "OwnershipControlsNotFoundError", 404, "The bucket ownership controls were not found")
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [
        {"ObjectOwnership": "BucketOwnerPreferred"}]})
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerPreferred"}]


def test_encryption_versioning_acl_defaults(s3, public_bucket):
    default = s3.get_bucket_encryption(Bucket=public_bucket)["ServerSideEncryptionConfiguration"]
    assert default["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert "Status" not in s3.get_bucket_versioning(Bucket=public_bucket)
    s3.put_bucket_versioning(Bucket=public_bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=public_bucket)["Status"] == "Enabled"
    acl = s3.get_bucket_acl(Bucket=public_bucket)
    assert [g["Permission"] for g in acl["Grants"]] == ["FULL_CONTROL"]
    s3.put_bucket_acl(Bucket=public_bucket, ACL="public-read")
    grants = s3.get_bucket_acl(Bucket=public_bucket)["Grants"]
    assert {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"} in [g["Grantee"] for g in grants]


def test_notification_configuration_stored(s3, bucket):
    assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket=bucket)
    config = {"QueueConfigurations": [{"Id": "q", "QueueArn": "arn:aws:sqs:us-east-1:000000000000:q",
                                       "Events": ["s3:ObjectCreated:*"],
                                       "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}}}]}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    got = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert got["QueueConfigurations"][0]["QueueArn"] == "arn:aws:sqs:us-east-1:000000000000:q"
    assert got["QueueConfigurations"][0]["Events"] == ["s3:ObjectCreated:*"]


def test_config_on_missing_bucket(s3):
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_cors(Bucket="no-such-bucket-for-config-test")
    assert_error(exc, "NoSuchBucket", 404)


@pytest.mark.parametrize("call, params", [
    ("put_bucket_versioning", {"VersioningConfiguration": {"Status": "Sometimes"}}),
    ("put_bucket_ownership_controls", {"OwnershipControls": {"Rules": [{"ObjectOwnership": "Nobody"}]}}),
    ("put_public_access_block", {"PublicAccessBlockConfiguration": {}}),
], ids=["versioning", "ownership", "public-access-block"])
def test_a_missing_bucket_is_named_before_a_bad_document(s3, call, params):
    with pytest.raises(ClientError) as exc:
        getattr(s3, call)(Bucket="no-such-bucket-for-config-order", **params)
    assert_error(exc, "NoSuchBucket", 404)


def test_replication_and_object_lock_are_absent_as_s3_says(s3, bucket):
    # What Terraform's aws_s3_bucket reads after every change, of a bucket that has neither.
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_replication(Bucket=bucket)
    assert_error(exc, "ReplicationConfigurationNotFoundError", 404, "The replication configuration was not found")
    with pytest.raises(ClientError) as exc:
        s3.get_object_lock_configuration(Bucket=bucket)
    assert_error(exc, "ObjectLockConfigurationNotFoundError", 404,
                 "Object Lock configuration does not exist for this bucket")
    s3.delete_bucket_replication(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_replication(Bucket="no-such-bucket-for-replication")
    assert_error(exc, "NoSuchBucket", 404)
