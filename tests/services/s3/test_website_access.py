"""Who may read a website: the bucket policy (Allow to everyone, explicit Deny, conditions),
the public access block, and object ACLs, as AWS's website endpoint decides."""

from __future__ import annotations

import json

import pytest

from tests.services.s3.test_website import assert_error_page
from tests.services.s3.website_support import Website


@pytest.fixture
def private_site(s3, server) -> Website:
    """A website bucket with content and no policy."""
    web = Website.new(s3, server, "webacl")
    web.put("index.html", "<h1>home</h1>")
    web.put("public/page.html", "<p>public</p>")
    web.put("secret/page.html", "<p>secret</p>")
    web.configure(IndexDocument={"Suffix": "index.html"})
    return web


def policy(bucket: str, *statements: dict) -> str:
    full = []
    for statement in statements:
        entry = {"Principal": "*", "Action": "s3:GetObject", **statement}
        entry["Resource"] = f"arn:aws:s3:::{bucket}/{statement.get('Resource', '*')}"
        full.append(entry)
    return json.dumps({"Version": "2012-10-17", "Statement": full})


def test_private_bucket_answers_403_for_objects_and_missing_keys(private_site):
    assert_error_page(private_site.get("/"), 403, "AccessDenied", "Access Denied")
    assert_error_page(private_site.get("/public/page.html"), 403, "AccessDenied", "Access Denied")
    # Without leave to list the bucket a reader may not learn that a key is missing.
    response = private_site.get("/nothing.html")
    assert_error_page(response, 403, "AccessDenied", "Access Denied")
    assert response.headers["x-amz-error-code"] == "AccessDenied"


def test_missing_key_is_404_when_the_bucket_may_be_listed(private_site, s3):
    s3.put_bucket_policy(Bucket=private_site.bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket",
         "Resource": f"arn:aws:s3:::{private_site.bucket}"}]}))
    assert_error_page(private_site.get("/nothing.html"), 404, "NoSuchKey", "The specified key does not exist.",
                      Key="nothing.html")
    assert private_site.get("/index.html").status == 403  # listing is not reading


def test_missing_key_is_404_when_get_object_is_granted(private_site):
    private_site.make_public()
    response = private_site.get("/nothing.html")
    assert_error_page(response, 404, "NoSuchKey", "The specified key does not exist.", Key="nothing.html")
    assert response.headers["x-amz-error-code"] == "NoSuchKey"


def test_public_read_bucket_acl_makes_missing_keys_404(private_site, s3):
    s3.put_bucket_acl(Bucket=private_site.bucket, ACL="public-read")
    assert private_site.get("/nothing.html").status == 404
    assert private_site.get("/index.html").status == 403  # the bucket ACL does not open its objects


def test_policy_for_a_prefix_only(private_site, s3):
    s3.put_bucket_policy(Bucket=private_site.bucket,
                         Policy=policy(private_site.bucket, {"Effect": "Allow", "Resource": "public/*"}))
    assert private_site.get("/public/page.html").status == 200
    assert private_site.get("/secret/page.html").status == 403
    assert private_site.get("/").status == 403


def test_explicit_deny_wins_over_allow(private_site, s3):
    s3.put_bucket_policy(Bucket=private_site.bucket, Policy=policy(
        private_site.bucket, {"Effect": "Allow", "Resource": "*"}, {"Effect": "Deny", "Resource": "secret/*"}))
    assert private_site.get("/public/page.html").status == 200
    assert_error_page(private_site.get("/secret/page.html"), 403, "AccessDenied", "Access Denied")


def test_deleting_the_policy_makes_the_site_private_again(private_site, s3):
    private_site.make_public()
    assert private_site.get("/").status == 200
    s3.delete_bucket_policy(Bucket=private_site.bucket)
    assert private_site.get("/").status == 403


def test_restrict_public_buckets_blocks_a_public_policy(private_site, s3):
    private_site.make_public()
    s3.put_public_access_block(Bucket=private_site.bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
        "RestrictPublicBuckets": True})
    assert_error_page(private_site.get("/"), 403, "AccessDenied", "Access Denied")
    s3.delete_public_access_block(Bucket=private_site.bucket)
    assert private_site.get("/").status == 200


def test_block_public_policy_alone_leaves_an_existing_policy_working(private_site, s3):
    # BlockPublicPolicy refuses new public policies; AWS documents that it does not change how
    # an existing one is evaluated.
    private_site.make_public()
    s3.put_public_access_block(Bucket=private_site.bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": False})
    assert private_site.get("/").status == 200


def test_public_read_object_acl_grants_access(private_site, s3):
    s3.put_object_acl(Bucket=private_site.bucket, Key="public/page.html", ACL="public-read")
    assert private_site.get("/public/page.html").status == 200
    assert private_site.get("/secret/page.html").status == 403
    s3.put_public_access_block(Bucket=private_site.bucket,
                               PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
    assert private_site.get("/public/page.html").status == 403


def test_put_object_with_public_read_acl(private_site, s3):
    s3.put_object(Bucket=private_site.bucket, Key="acl.html", Body=b"<p>acl</p>", ContentType="text/html",
                  ACL="public-read")
    response = private_site.get("/acl.html")
    assert (response.status, response.body) == (200, b"<p>acl</p>")


def test_deny_in_policy_beats_a_public_acl(private_site, s3):
    s3.put_object_acl(Bucket=private_site.bucket, Key="secret/page.html", ACL="public-read")
    s3.put_bucket_policy(Bucket=private_site.bucket,
                         Policy=policy(private_site.bucket, {"Effect": "Deny", "Resource": "secret/*"}))
    assert private_site.get("/secret/page.html").status == 403


def test_referer_condition(private_site, s3):
    s3.put_bucket_policy(Bucket=private_site.bucket, Policy=policy(private_site.bucket, {
        "Effect": "Allow", "Resource": "*",
        "Condition": {"StringLike": {"aws:Referer": ["http://www.example.com/*"]}}}))
    assert private_site.get("/", Referer="http://www.example.com/page").status == 200
    assert private_site.get("/", Referer="http://elsewhere.example/").status == 403
    assert private_site.get("/").status == 403


def test_source_ip_condition(private_site, s3):
    s3.put_bucket_policy(Bucket=private_site.bucket, Policy=policy(private_site.bucket, {
        "Effect": "Allow", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}}))
    assert private_site.get("/").status == 200
    s3.put_bucket_policy(Bucket=private_site.bucket, Policy=policy(private_site.bucket, {
        "Effect": "Allow", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}))
    assert private_site.get("/").status == 403


def test_secure_transport_deny(private_site, s3):
    s3.put_bucket_policy(Bucket=private_site.bucket, Policy=policy(
        private_site.bucket, {"Effect": "Allow", "Resource": "*"},
        {"Effect": "Deny", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}))
    # The website endpoint is plain HTTP, so a deny on insecure transport closes it (as on AWS).
    assert private_site.get("/").status == 403


def test_error_document_served_with_403_when_object_is_private(private_site, s3):
    private_site.put("error.html", "<p>custom error</p>")
    private_site.configure(IndexDocument={"Suffix": "index.html"}, ErrorDocument={"Key": "error.html"})
    s3.put_bucket_policy(Bucket=private_site.bucket, Policy=policy(
        private_site.bucket, {"Effect": "Allow", "Resource": "public/*"},
        {"Effect": "Allow", "Resource": "error.html"}))
    response = private_site.get("/secret/page.html")
    assert (response.status, response.body) == (403, b"<p>custom error</p>")


def test_private_error_document_is_reported_on_the_page(private_site, s3):
    private_site.put("error.html", "<p>custom error</p>")
    private_site.configure(IndexDocument={"Suffix": "index.html"}, ErrorDocument={"Key": "error.html"})
    s3.put_bucket_policy(Bucket=private_site.bucket,
                         Policy=policy(private_site.bucket, {"Effect": "Allow", "Resource": "public/*"}))
    response = private_site.get("/public/missing.html")
    assert_error_page(response, 404, "NoSuchKey", "The specified key does not exist.", Key="public/missing.html")
    text = response.text
    section = text[text.index("An Error Occurred While Attempting to Retrieve a Custom Error Document"):]
    assert "<li>Code: AccessDenied</li>" in section
    assert "<li>Message: Access Denied</li>" in section


def test_restrict_public_buckets_keeps_a_non_public_policy(private_site, s3):
    # A grant pinned to a source network is not "public", so RestrictPublicBuckets leaves it.
    s3.put_bucket_policy(Bucket=private_site.bucket, Policy=policy(private_site.bucket, {
        "Effect": "Allow", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}}))
    s3.put_public_access_block(Bucket=private_site.bucket,
                               PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
    assert private_site.get("/").status == 200
