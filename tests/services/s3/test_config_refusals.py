"""Configuration documents S3 refuses: a public policy under BlockPublicPolicy, website
redirects AWS will not store, notification destinations that do not exist. Each refusal leaves
what was stored before unchanged."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.services.s3.conftest import assert_error
from tests.support.lambda_code import ROLE, unique, zip_of

PROTOCOL_MESSAGE = ("Invalid protocol, protocol can be http or https. If not defined the protocol will be "
                    "selected automatically.")


def policy_granting(principal, bucket: str, condition: dict | None = None) -> str:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject",
                 "Resource": f"arn:aws:s3:::{bucket}/*"}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_block_public_policy_refuses_a_public_policy(s3, bucket):
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicPolicy": True})
    for principal in ("*", {"AWS": "*"}):
        with pytest.raises(ClientError) as exc:
            s3.put_bucket_policy(Bucket=bucket, Policy=policy_granting(principal, bucket))
        assert_error(exc, "AccessDenied", 403, "Access Denied")
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=bucket)
    assert_error(exc, "NoSuchBucketPolicy", 404)
    # A grant to "*" pinned to a source network is not public, and an account principal never is.
    pinned = policy_granting("*", bucket, {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    s3.put_bucket_policy(Bucket=bucket, Policy=pinned)
    s3.put_bucket_policy(Bucket=bucket, Policy=policy_granting({"AWS": "arn:aws:iam::000000000000:root"}, bucket))
    # A malformed document is still MalformedPolicy, not AccessDenied.
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket=bucket, Policy="not json")
    assert_error(exc, "MalformedPolicy", 400)
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=policy_granting("*", bucket))


def test_public_access_block_without_block_public_policy_allows_it(s3, bucket):
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
    s3.put_bucket_policy(Bucket=bucket, Policy=policy_granting("*", bucket))
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]["Principal"] == "*"


GOOD_WEBSITE = {"IndexDocument": {"Suffix": "index.html"}}


def rule(**redirect) -> dict:
    return {"IndexDocument": {"Suffix": "index.html"},
            "RoutingRules": [{"Condition": {"KeyPrefixEquals": "old/"}, "Redirect": redirect}]}


@pytest.mark.parametrize("config, message", [
    (rule(Protocol="ftp"), PROTOCOL_MESSAGE),
    ({"RedirectAllRequestsTo": {"HostName": "example.com", "Protocol": "ftp"}}, PROTOCOL_MESSAGE),
    (rule(HttpRedirectCode="200"),
     "The provided HTTP redirect code (200) is not valid. Valid codes are 3XX except 300."),
    (rule(HttpRedirectCode="300"),
     "The provided HTTP redirect code (300) is not valid. Valid codes are 3XX except 300."),
    (rule(HttpRedirectCode="abc"),
     "The provided HTTP redirect code (abc) is not valid. Valid codes are 3XX except 300."),
    (rule(ReplaceKeyWith="new.html", ReplaceKeyPrefixWith="new/"),
     "You can only define ReplaceKeyPrefix or ReplaceKey but not both."),
])
def test_website_redirects_refused(s3, bucket, config, message):
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=GOOD_WEBSITE)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=config)
    assert_error(exc, "InvalidRequest", 400, message)
    got = s3.get_bucket_website(Bucket=bucket)
    assert got["IndexDocument"] == {"Suffix": "index.html"} and "RoutingRules" not in got


def test_website_redirects_accepted(s3, bucket):
    for config in (rule(Protocol="https", HttpRedirectCode="301", ReplaceKeyPrefixWith="new/"),
                   rule(HttpRedirectCode="307", ReplaceKeyWith="moved.html"),
                   {"RedirectAllRequestsTo": {"HostName": "example.com", "Protocol": "http"}}):
        s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=config)
        assert s3.get_bucket_website(Bucket=bucket).get("RoutingRules") == config.get("RoutingRules")


def lambda_config(arn: str) -> dict:
    return {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}


def test_notification_refuses_a_missing_function(s3, bucket, client_factory):
    lam = client_factory("lambda")
    name = unique("s3-target")
    arn = lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
                              Code={"ZipFile": zip_of({"app.py": "def handler(e, c):\n    return e\n"})}
                              )["FunctionArn"]
    stored = {"LambdaFunctionConfigurations": [lambda_config(arn)]}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=stored)
    missing = arn.replace(name, name + "-gone")
    other_missing = arn.replace(name, name + "-also-gone")
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
            "LambdaFunctionConfigurations": [lambda_config(missing), lambda_config(arn),
                                             lambda_config(other_missing)]})
    error = assert_error(exc, "InvalidArgument", 400, "Unable to validate the following destination configurations")
    assert error["ArgumentName1"] == f"{missing}, null"
    assert error["ArgumentValue1"] == f"Not authorized to invoke function [{missing}]"
    assert error["ArgumentName2"] == f"{other_missing}, null"
    assert error["ArgumentValue2"] == f"Not authorized to invoke function [{other_missing}]"
    got = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert [c["LambdaFunctionArn"] for c in got["LambdaFunctionConfigurations"]] == [arn]


def test_notification_queue_and_topic_checked_for_shape_only(s3, bucket):
    # SQS and SNS have no provider yet: their destinations cannot be checked, so are accepted.
    config = {"QueueConfigurations": [{"QueueArn": "arn:aws:sqs:us-east-1:000000000000:nowhere",
                                       "Events": ["s3:ObjectCreated:*"]}],
              "TopicConfigurations": [{"TopicArn": "arn:aws:sns:us-east-1:000000000000:nobody",
                                       "Events": ["s3:ObjectRemoved:*"]}]}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": "not-an-arn", "Events": ["s3:ObjectCreated:*"]}]})
    assert_error(exc, "InvalidArgument", 400, "Unable to validate the following destination configurations")
    got = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert got["QueueConfigurations"][0]["QueueArn"].endswith(":nowhere")
