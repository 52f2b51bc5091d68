"""PutBucketPolicy's validation through the API (MalformedPolicy with S3's messages), and a
refused policy leaving the website as it was."""

from __future__ import annotations

import json
import subprocess

import pytest
from botocore.exceptions import ClientError

from tests.services.s3.conftest import assert_error, unique_bucket_name
from tests.services.s3.website_support import Website, public_read_policy


@pytest.fixture
def site(s3, server) -> Website:
    web = Website.new(s3, server, "webpol")
    web.put("index.html", "<h1>home</h1>")
    web.configure(IndexDocument={"Suffix": "index.html"})
    web.make_public()
    return web


def statement(bucket: str, **overrides) -> str:
    entry = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    entry.update(overrides)
    return json.dumps({"Version": "2012-10-17", "Statement": [{k: v for k, v in entry.items() if v is not None}]})


@pytest.mark.parametrize(("make", "message"), [
    (lambda b: "not json", "Policies must be valid JSON and the first byte must be '{'"),
    (lambda b: '{"Version": "2012-10-17", "Statement": [', "This policy contains invalid Json"),
    (lambda b: '{"Version": "2012-10-17"}', "Missing required field Statement"),
    (lambda b: statement(b, Principal=None), "Missing required field Principal"),
    (lambda b: statement(b, Effect="Permit"), "Invalid effect: Permit"),
    (lambda b: statement(b, Action="sqs:SendMessage"), "Policy has invalid action"),
    (lambda b: statement(b, Resource="arn:aws:s3:::someone-else/*"), "Policy has invalid resource"),
    (lambda b: statement(b, Resource=f"arn:aws:s3:::{b}"), "Action does not apply to any resource(s) in statement"),
    (lambda b: statement(b, Condition={"IpAddress": {"aws:SourceIp": "300.1.1.1"}}), "Invalid IP address in Conditions"),
])
def test_malformed_policy(site, s3, make, message):
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket=site.bucket, Policy=make(site.bucket))
    assert_error(exc, "MalformedPolicy", 400, message)
    # Nothing changed: the public policy still stands and the site still answers.
    assert json.loads(s3.get_bucket_policy(Bucket=site.bucket)["Policy"]) == json.loads(public_read_policy(site.bucket))
    assert site.get("/").status == 200


def test_policy_on_missing_bucket(s3):
    bucket = unique_bucket_name("nopol")
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket=bucket, Policy=public_read_policy(bucket))
    assert_error(exc, "NoSuchBucket", 404)


def test_malformed_policy_through_the_cli(site, aws_cli_env):
    result = subprocess.run(["aws", "s3api", "put-bucket-policy", "--bucket", site.bucket, "--policy",
                             statement(site.bucket, Resource="*")], env=aws_cli_env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    assert "MalformedPolicy" in result.stderr and "Policy has invalid resource" in result.stderr
