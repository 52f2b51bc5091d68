"""Object-level behaviour checked against AWS: website redirect locations refused on upload,
tagging and ACLs of a named version, 304 answers without a body's headers, and policy
conditions on a key the request does not have."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.services.s3.conftest import assert_error, raw_request

REDIRECT_MESSAGE = "The website redirect location must have a prefix of 'http://' or 'https://' or '/'."


@pytest.mark.parametrize("location", ["example.com/page", "ftp://example.com/", "page.html"])
def test_put_object_refuses_a_bad_redirect_location(s3, bucket, location):
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="page", Body=b"x", WebsiteRedirectLocation=location)
    assert_error(exc, "InvalidRedirectLocation", 400, REDIRECT_MESSAGE)
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    with pytest.raises(ClientError) as exc:
        s3.create_multipart_upload(Bucket=bucket, Key="page", WebsiteRedirectLocation=location)
    assert_error(exc, "InvalidRedirectLocation", 400, REDIRECT_MESSAGE)


def test_redirect_locations_accepted(s3, bucket):
    for location in ("/other.html", "http://example.com/", "https://example.com/x"):
        s3.put_object(Bucket=bucket, Key="page", Body=b"x", WebsiteRedirectLocation=location)
        assert s3.head_object(Bucket=bucket, Key="page")["WebsiteRedirectLocation"] == location


@pytest.fixture
def two_versions(s3, public_bucket):
    s3.put_bucket_versioning(Bucket=public_bucket, VersioningConfiguration={"Status": "Enabled"})
    old = s3.put_object(Bucket=public_bucket, Key="doc", Body=b"v1")["VersionId"]
    new = s3.put_object(Bucket=public_bucket, Key="doc", Body=b"v2")["VersionId"]
    return public_bucket, old, new


def test_tagging_acts_on_the_named_version(s3, two_versions):
    bucket, old, new = two_versions
    put = s3.put_object_tagging(Bucket=bucket, Key="doc", VersionId=old,
                                Tagging={"TagSet": [{"Key": "age", "Value": "old"}]})
    assert put["VersionId"] == old
    s3.put_object_tagging(Bucket=bucket, Key="doc", Tagging={"TagSet": [{"Key": "age", "Value": "new"}]})
    got_old = s3.get_object_tagging(Bucket=bucket, Key="doc", VersionId=old)
    assert (got_old["TagSet"], got_old["VersionId"]) == ([{"Key": "age", "Value": "old"}], old)
    got_new = s3.get_object_tagging(Bucket=bucket, Key="doc")
    assert (got_new["TagSet"], got_new["VersionId"]) == ([{"Key": "age", "Value": "new"}], new)
    assert s3.delete_object_tagging(Bucket=bucket, Key="doc", VersionId=old)["VersionId"] == old
    assert s3.get_object_tagging(Bucket=bucket, Key="doc", VersionId=old)["TagSet"] == []
    assert s3.get_object_tagging(Bucket=bucket, Key="doc", VersionId=new)["TagSet"] == [
        {"Key": "age", "Value": "new"}]


def test_acl_acts_on_the_named_version(s3, two_versions):
    bucket, old, new = two_versions
    s3.put_object_acl(Bucket=bucket, Key="doc", VersionId=old, ACL="public-read")
    old_grants = s3.get_object_acl(Bucket=bucket, Key="doc", VersionId=old)["Grants"]
    assert "READ" in [g["Permission"] for g in old_grants]
    for kwargs in ({}, {"VersionId": new}):
        grants = s3.get_object_acl(Bucket=bucket, Key="doc", **kwargs)["Grants"]
        assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]


def test_version_subresources_of_a_missing_version(s3, two_versions):
    bucket, old, _ = two_versions
    missing = "f" * 32
    calls = [
        lambda: s3.put_object_tagging(Bucket=bucket, Key="doc", VersionId=missing,
                                      Tagging={"TagSet": [{"Key": "a", "Value": "b"}]}),
        lambda: s3.get_object_tagging(Bucket=bucket, Key="doc", VersionId=missing),
        lambda: s3.delete_object_tagging(Bucket=bucket, Key="doc", VersionId=missing),
        lambda: s3.put_object_acl(Bucket=bucket, Key="doc", VersionId=missing, ACL="public-read"),
        lambda: s3.get_object_acl(Bucket=bucket, Key="doc", VersionId=missing),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        error = assert_error(exc, "NoSuchVersion", 404, "The specified version does not exist.")
        assert error["VersionId"] == missing
    with pytest.raises(ClientError) as exc:
        s3.get_object_tagging(Bucket=bucket, Key="doc", VersionId="not-a-version")
    assert_error(exc, "InvalidArgument", 400, "Invalid version id specified")
    with pytest.raises(ClientError) as exc:
        s3.put_object_tagging(Bucket=bucket, Key="doc", VersionId="not-a-version",
                              Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    assert_error(exc, "InvalidArgument", 400, "Invalid version id specified")
    # Nothing was changed by the refusals.
    assert s3.get_object_tagging(Bucket=bucket, Key="doc", VersionId=old)["TagSet"] == []


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_not_modified_has_no_body_headers(server, s3, bucket, method):
    etag = s3.put_object(Bucket=bucket, Key="cached.xml", Body=b"<a>cached</a>", ContentType="text/xml")["ETag"]
    status, headers, body = raw_request(server.endpoint_url, method, f"/{bucket}/cached.xml",
                                        headers={"If-None-Match": etag})
    assert (status, body) == (304, b"")
    assert "content-type" not in headers and "content-length" not in headers, headers
    assert "transfer-encoding" not in headers, headers
    assert headers["etag"] == etag
    # The refusal of a precondition still carries its XML error body.
    status, headers, body = raw_request(server.endpoint_url, "GET", f"/{bucket}/cached.xml",
                                        headers={"If-Match": '"0000"'})
    assert status == 412 and headers["content-type"] == "application/xml"
    assert b"<Code>PreconditionFailed</Code>" in body and int(headers["content-length"]) == len(body)


def test_referer_condition_needs_a_referer(server, s3, public_bucket):
    anonymous = boto3.client("s3", endpoint_url=server.endpoint_url, region_name="us-east-1",
                             config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
    s3.put_object(Bucket=public_bucket, Key="img.png", Body=b"png")
    s3.put_bucket_policy(Bucket=public_bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{public_bucket}/*",
         "Condition": {"StringLike": {"aws:Referer": "*"}}}]}))
    # IAM treats a key the request lacks as false: no Referer, no grant.
    with pytest.raises(ClientError) as exc:
        anonymous.get_object(Bucket=public_bucket, Key="img.png")
    assert_error(exc, "AccessDenied", 403, "Access Denied")
    status, _, _ = raw_request(server.endpoint_url, "GET", f"/{public_bucket}/img.png",
                               headers={"Authorization": None, "Referer": "https://site.example/"})
    assert status == 200
