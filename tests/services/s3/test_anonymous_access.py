"""Requests without credentials: private by default, public when a bucket policy or a public
ACL grants it, and not when the public access block says otherwise."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.services.s3.conftest import assert_error


@pytest.fixture(scope="module")
def anonymous(server):
    return boto3.client("s3", endpoint_url=server.endpoint_url, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))


def public_read_policy(bucket: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/*"}]})


def test_private_by_default(s3, anonymous, bucket):
    s3.put_object(Bucket=bucket, Key="secret.txt", Body=b"secret")
    for call in (lambda: anonymous.get_object(Bucket=bucket, Key="secret.txt"),
                 lambda: anonymous.list_objects_v2(Bucket=bucket),
                 lambda: anonymous.put_object(Bucket=bucket, Key="x", Body=b"x"),
                 lambda: anonymous.delete_object(Bucket=bucket, Key="secret.txt"),
                 lambda: anonymous.get_bucket_policy(Bucket=bucket),
                 lambda: anonymous.create_bucket(Bucket=bucket + "-anon")):
        with pytest.raises(ClientError) as exc:
            call()
        assert_error(exc, "AccessDenied", 403, "Access Denied")
    with pytest.raises(ClientError) as exc:
        anonymous.head_object(Bucket=bucket, Key="secret.txt")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert s3.get_object(Bucket=bucket, Key="secret.txt")["Body"].read() == b"secret"


def test_public_policy_grants_reads_only(s3, anonymous, public_bucket):
    s3.put_object(Bucket=public_bucket, Key="index.html", Body=b"<h1>hi</h1>")
    s3.put_bucket_policy(Bucket=public_bucket, Policy=public_read_policy(public_bucket))
    assert anonymous.get_object(Bucket=public_bucket, Key="index.html")["Body"].read() == b"<h1>hi</h1>"
    assert anonymous.head_object(Bucket=public_bucket, Key="index.html")["ContentLength"] == 11
    # A missing key is 403 to a caller who may not list the bucket (GetObject's reference), so
    # that reading does not reveal which keys exist.
    with pytest.raises(ClientError) as exc:
        anonymous.get_object(Bucket=public_bucket, Key="missing.html")
    assert_error(exc, "AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        anonymous.list_objects_v2(Bucket=public_bucket)
    assert_error(exc, "AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        anonymous.put_object(Bucket=public_bucket, Key="defaced.html", Body=b"x")
    assert_error(exc, "AccessDenied", 403)
    # The public access block can take the grant away.
    s3.put_public_access_block(Bucket=public_bucket, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
    with pytest.raises(ClientError) as exc:
        anonymous.get_object(Bucket=public_bucket, Key="index.html")
    assert_error(exc, "AccessDenied", 403)


def test_public_read_object_acl(s3, anonymous, public_bucket):
    s3.put_object(Bucket=public_bucket, Key="shared.txt", Body=b"shared", ACL="public-read")
    s3.put_object(Bucket=public_bucket, Key="private.txt", Body=b"private")
    assert anonymous.get_object(Bucket=public_bucket, Key="shared.txt")["Body"].read() == b"shared"
    with pytest.raises(ClientError) as exc:
        anonymous.get_object(Bucket=public_bucket, Key="private.txt")
    assert_error(exc, "AccessDenied", 403)


def test_a_missing_key_is_404_to_a_caller_who_may_list(s3, anonymous, public_bucket):
    """With s3:ListBucket granted too, a missing key is NoSuchKey (GetObject's reference: 404
    with s3:ListBucket, 403 without)."""
    s3.put_bucket_policy(Bucket=public_bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{public_bucket}/*"},
        {"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{public_bucket}"}]}))
    with pytest.raises(ClientError) as exc:
        anonymous.get_object(Bucket=public_bucket, Key="missing.html")
    assert_error(exc, "NoSuchKey", 404)
    with pytest.raises(ClientError) as exc:
        anonymous.head_object(Bucket=public_bucket, Key="missing.html")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
