"""Block Public Access as AWS documents it: BlockPublicAcls refuses writes that carry a public
ACL (canned, x-amz-grant-* headers or an AccessControlPolicy body) and changes nothing;
IgnorePublicAcls makes stored public ACLs grant anonymous callers nothing; RestrictPublicBuckets
takes away what a public policy grants them, and leaves a non-public one. Also: grant headers
are stored as grants, and CopyObject never carries the source's ACL.

Every bucket here has ACLs enabled and starts with no block in force (create_public_bucket), so
that each test sets the one setting it is about."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.services.s3.conftest import assert_error, create_public_bucket

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
BLOCK_ACLS = {"BlockPublicAcls": True}
PUBLIC_CANNED = ("public-read", "public-read-write", "authenticated-read")
# Each way a request can carry a public ACL besides a canned one: grant headers naming either group.
PUBLIC_GRANT_HEADERS = ({"GrantRead": f'uri="{ALL_USERS}"'},
                        {"GrantFullControl": f'uri="{AUTHENTICATED_USERS}"'},
                        {"GrantReadACP": f'id="abc123", uri="{ALL_USERS}"'})


@pytest.fixture
def bucket(s3) -> str:
    return create_public_bucket(s3)


@pytest.fixture(scope="module")
def anonymous(server):
    return boto3.client("s3", endpoint_url=server.endpoint_url, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))


def public_ways() -> list[dict]:
    return [{"ACL": acl} for acl in PUBLIC_CANNED] + list(PUBLIC_GRANT_HEADERS)


def denied(call) -> None:
    with pytest.raises(ClientError) as exc:
        call()
    assert_error(exc, "AccessDenied", 403, "Access Denied")


def group_grants(acl: dict) -> list[tuple[str, str]]:
    return [(g["Grantee"].get("URI"), g["Permission"]) for g in acl["Grants"] if g["Grantee"].get("Type") == "Group"]


def public_body(s3, bucket: str) -> dict:
    owner = s3.get_bucket_acl(Bucket=bucket)["Owner"]
    return {"Owner": owner, "Grants": [
        {"Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"}]}


# ---- BlockPublicAcls ------------------------------------------------------------------------------

def test_block_public_acls_refuses_a_public_bucket_acl(s3, bucket):
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=BLOCK_ACLS)
    before = s3.get_bucket_acl(Bucket=bucket)["Grants"]
    for way in public_ways():
        denied(lambda way=way: s3.put_bucket_acl(Bucket=bucket, **way))
    denied(lambda: s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy=public_body(s3, bucket)))
    assert s3.get_bucket_acl(Bucket=bucket)["Grants"] == before
    # Private ACLs and grants to accounts are not public.
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    s3.put_bucket_acl(Bucket=bucket, GrantRead='id="0123456789abcdef"')
    assert [g["Grantee"].get("ID") for g in s3.get_bucket_acl(Bucket=bucket)["Grants"]] == ["0123456789abcdef"]


def test_block_public_acls_refuses_a_public_object_acl(s3, bucket):
    s3.put_object(Bucket=bucket, Key="doc.txt", Body=b"doc")
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=BLOCK_ACLS)
    for way in public_ways():
        denied(lambda way=way: s3.put_object_acl(Bucket=bucket, Key="doc.txt", **way))
    denied(lambda: s3.put_object_acl(Bucket=bucket, Key="doc.txt", AccessControlPolicy=public_body(s3, bucket)))
    assert group_grants(s3.get_object_acl(Bucket=bucket, Key="doc.txt")) == []
    s3.put_object_acl(Bucket=bucket, Key="doc.txt", ACL="bucket-owner-full-control")


def test_block_public_acls_refuses_writes_that_carry_a_public_acl(s3, bucket):
    s3.put_object(Bucket=bucket, Key="source.txt", Body=b"source")
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=BLOCK_ACLS)
    for way in public_ways():
        denied(lambda way=way: s3.put_object(Bucket=bucket, Key="new.txt", Body=b"x", **way))
        denied(lambda way=way: s3.copy_object(Bucket=bucket, Key="copy.txt",
                                              CopySource={"Bucket": bucket, "Key": "source.txt"}, **way))
        denied(lambda way=way: s3.create_multipart_upload(Bucket=bucket, Key="big.bin", **way))
    listed = s3.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == ["source.txt"]
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    # The same writes without a public ACL go through.
    s3.put_object(Bucket=bucket, Key="new.txt", Body=b"x", ACL="private")
    s3.copy_object(Bucket=bucket, Key="copy.txt", CopySource={"Bucket": bucket, "Key": "source.txt"})
    s3.abort_multipart_upload(Bucket=bucket, Key="big.bin",
                              UploadId=s3.create_multipart_upload(Bucket=bucket, Key="big.bin")["UploadId"])


def test_block_public_acls_leaves_existing_public_acls_alone(s3, anonymous, bucket):
    s3.put_object(Bucket=bucket, Key="shared.txt", Body=b"shared", ACL="public-read")
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=BLOCK_ACLS)
    # Refusing new public ACLs does not change how the ones already stored are honoured.
    assert anonymous.get_object(Bucket=bucket, Key="shared.txt")["Body"].read() == b"shared"
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_object_acl(Bucket=bucket, Key="shared.txt", ACL="public-read-write")


# ---- IgnorePublicAcls -------------------------------------------------------------------------------

def test_ignore_public_acls_takes_away_what_public_acls_grant(s3, anonymous, bucket):
    s3.put_object(Bucket=bucket, Key="shared.txt", Body=b"shared", ACL="public-read")
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    assert anonymous.get_object(Bucket=bucket, Key="shared.txt")["Body"].read() == b"shared"
    assert [o["Key"] for o in anonymous.list_objects_v2(Bucket=bucket)["Contents"]] == ["shared.txt"]
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
    denied(lambda: anonymous.get_object(Bucket=bucket, Key="shared.txt"))
    denied(lambda: anonymous.list_objects_v2(Bucket=bucket))
    # The ACLs themselves are kept, and count again once the block is gone.
    assert (ALL_USERS, "READ") in group_grants(s3.get_object_acl(Bucket=bucket, Key="shared.txt"))
    s3.delete_public_access_block(Bucket=bucket)
    assert anonymous.get_object(Bucket=bucket, Key="shared.txt")["Body"].read() == b"shared"


def test_ignore_public_acls_leaves_a_public_policy(s3, anonymous, bucket):
    s3.put_object(Bucket=bucket, Key="page.html", Body=b"page")
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket))
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
    assert anonymous.get_object(Bucket=bucket, Key="page.html")["Body"].read() == b"page"


# ---- RestrictPublicBuckets / BlockPublicPolicy ------------------------------------------------------

def policy(bucket: str, condition: dict | None = None) -> str:
    statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                 "Resource": f"arn:aws:s3:::{bucket}/*"}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_restrict_public_buckets_keeps_a_non_public_policy(s3, anonymous, bucket):
    s3.put_object(Bucket=bucket, Key="page.html", Body=b"page")
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket, {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}))
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
    assert anonymous.get_object(Bucket=bucket, Key="page.html")["Body"].read() == b"page"
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket))
    denied(lambda: anonymous.get_object(Bucket=bucket, Key="page.html"))


def test_block_public_policy_keeps_the_stored_policy(s3, bucket):
    pinned = policy(bucket, {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    s3.put_bucket_policy(Bucket=bucket, Policy=pinned)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicPolicy": True})
    denied(lambda: s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket)))
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == pinned


# ---- ACLs from grant headers, copies, and configuration changes seen at once ------------------------

def test_grant_headers_are_stored_and_honoured(s3, anonymous, bucket):
    s3.put_bucket_acl(Bucket=bucket, GrantRead=f'uri="{ALL_USERS}"', GrantWriteACP='id="0123456789abcdef"')
    acl = s3.get_bucket_acl(Bucket=bucket)
    assert group_grants(acl) == [(ALL_USERS, "READ")]
    assert {"Grantee": {"Type": "CanonicalUser", "ID": "0123456789abcdef"}, "Permission": "WRITE_ACP"} in acl["Grants"]
    s3.put_object(Bucket=bucket, Key="granted.txt", Body=b"granted", GrantRead=f'uri="{ALL_USERS}"')
    assert group_grants(s3.get_object_acl(Bucket=bucket, Key="granted.txt")) == [(ALL_USERS, "READ")]
    assert anonymous.get_object(Bucket=bucket, Key="granted.txt")["Body"].read() == b"granted"
    assert [o["Key"] for o in anonymous.list_objects_v2(Bucket=bucket)["Contents"]] == ["granted.txt"]


def test_copy_object_does_not_keep_the_source_acl(s3, anonymous, bucket):
    s3.put_object(Bucket=bucket, Key="public.txt", Body=b"public", ACL="public-read")
    s3.copy_object(Bucket=bucket, Key="copy.txt", CopySource={"Bucket": bucket, "Key": "public.txt"})
    assert group_grants(s3.get_object_acl(Bucket=bucket, Key="copy.txt")) == []
    denied(lambda: anonymous.get_object(Bucket=bucket, Key="copy.txt"))
    s3.copy_object(Bucket=bucket, Key="copy2.txt", CopySource={"Bucket": bucket, "Key": "copy.txt"},
                   ACL="public-read")
    assert anonymous.get_object(Bucket=bucket, Key="copy2.txt")["Body"].read() == b"public"


def test_a_recreated_bucket_does_not_inherit_the_old_configuration(s3, anonymous, bucket):
    s3.put_object(Bucket=bucket, Key="page.html", Body=b"page")
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket))
    assert anonymous.get_object(Bucket=bucket, Key="page.html")["Body"].read() == b"page"
    s3.delete_object(Bucket=bucket, Key="page.html")
    s3.delete_bucket(Bucket=bucket)
    create_public_bucket(s3, bucket)
    s3.put_object(Bucket=bucket, Key="page.html", Body=b"private now")
    denied(lambda: anonymous.get_object(Bucket=bucket, Key="page.html"))
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=bucket)
    assert_error(exc, "NoSuchBucketPolicy", 404, "The bucket policy does not exist")


def test_one_acl_source_per_request(s3):
    """A canned ACL and grant headers together are refused, and so is either with a body."""
    create_public_bucket(s3, "acl-sources")
    s3.put_object(Bucket="acl-sources", Key="k", Body=b"x")
    grant = 'id="0123456789abcdef"'
    with pytest.raises(ClientError) as both:
        s3.put_object(Bucket="acl-sources", Key="both", Body=b"x", ACL="private", GrantRead=grant)
    assert_error(both, "InvalidRequest", 400, "Specifying both Canned ACLs and Header Grants is not allowed")
    with pytest.raises(ClientError) as both_acl:
        s3.put_object_acl(Bucket="acl-sources", Key="k", ACL="private", GrantRead=grant)
    assert_error(both_acl, "InvalidRequest", 400, "Specifying both Canned ACLs and Header Grants is not allowed")
    owner = s3.get_object_acl(Bucket="acl-sources", Key="k")["Owner"]
    with pytest.raises(ClientError) as with_body:
        s3.put_bucket_acl(Bucket="acl-sources", ACL="private",
                          AccessControlPolicy={"Owner": owner, "Grants": []})
    assert_error(with_body, "UnexpectedContent", 400, "This request does not support content")
    # Nothing was stored by the refused requests.
    assert "both" not in [o["Key"] for o in s3.list_objects_v2(Bucket="acl-sources").get("Contents", [])]
    assert s3.get_object_acl(Bucket="acl-sources", Key="k")["Grants"][0]["Permission"] == "FULL_CONTROL"


@pytest.mark.parametrize("member,header,value", [
    ("GrantRead", "x-amz-grant-read", "test_sample_file.csv"),
    ("GrantFullControl", "x-amz-grant-full-control", 'user="0123456789abcdef"'),
    ("GrantWriteACP", "x-amz-grant-write-acp", 'id="0123456789abcdef",'),
    ("GrantReadACP", "x-amz-grant-read-acp", "id="),
])
def test_a_malformed_grant_header_is_refused_and_changes_nothing(s3, member, header, value):
    create_public_bucket(s3, "grant-format")
    s3.put_object(Bucket="grant-format", Key="k", Body=b"before")
    writes = [
        lambda: s3.put_object(Bucket="grant-format", Key="k", Body=b"after", **{member: value}),
        lambda: s3.put_object_acl(Bucket="grant-format", Key="k", **{member: value}),
        lambda: s3.put_bucket_acl(Bucket="grant-format", **{member: value}),
        lambda: s3.create_multipart_upload(Bucket="grant-format", Key="mp", **{member: value}),
        lambda: s3.copy_object(Bucket="grant-format", Key="copy", CopySource={"Bucket": "grant-format", "Key": "k"},
                               **{member: value}),
    ]
    for write in writes:
        with pytest.raises(ClientError) as refused:
            write()
        error = assert_error(refused, "InvalidArgument", 400, "Argument format not recognized")
        assert (error.get("ArgumentName"), error.get("ArgumentValue")) == (header, value)
    assert s3.get_object(Bucket="grant-format", Key="k")["Body"].read() == b"before"
    assert s3.get_object_acl(Bucket="grant-format", Key="k")["Grants"][0]["Permission"] == "FULL_CONTROL"
    assert "Uploads" not in s3.list_multipart_uploads(Bucket="grant-format")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="grant-format")["Contents"]] == ["k"]
    # Well-formed spellings: several grantees, quoted or bare, any case of the type.
    s3.put_object_acl(Bucket="grant-format", Key="k",
                      **{member: f'ID="0123456789abcdef", uri="{ALL_USERS}" ,emailAddress=someone@example.com'})
