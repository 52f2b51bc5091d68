"""Bucket policy validation and anonymous evaluation (overcast/services/s3/policy.py and
policy_conditions.py), without a server."""

from __future__ import annotations

import json

import pytest

from overcast.services.s3.policy import (
    MalformedPolicy,
    anonymous_allowed,
    anonymous_decision,
    parse_policy,
    policy_is_public,
    validate_policy,
)
from overcast.services.s3.policy_conditions import conditions_hold, request_context

BUCKET = "my-bucket"


def statement(**overrides) -> dict:
    base = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def document(*statements: dict, **top) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements), **top})


def refused(text: str) -> str:
    with pytest.raises(MalformedPolicy) as exc:
        validate_policy(text, BUCKET)
    assert exc.value.code == "MalformedPolicy" and exc.value.status == 400
    return exc.value.message


def test_valid_policies_pass():
    validate_policy(document(statement()), BUCKET)
    validate_policy(document(statement(Action=["s3:ListBucket"], Resource=f"arn:aws:s3:::{BUCKET}")), BUCKET)
    validate_policy(document(statement(Action="s3:*", Resource=[f"arn:aws:s3:::{BUCKET}",
                                                               f"arn:aws:s3:::{BUCKET}/*"])), BUCKET)
    validate_policy(document(statement(Principal={"AWS": ["arn:aws:iam::123456789012:root", "123456789012"]})),
                    BUCKET)
    validate_policy(document(statement(Principal={"Service": "cloudfront.amazonaws.com"})), BUCKET)
    validate_policy(json.dumps({"Statement": statement()}), BUCKET)  # one statement, not a list
    validate_policy(document(statement(Condition={"StringLike": {"aws:Referer": "http://x/*"}})), BUCKET)
    validate_policy(document(statement(Action="s3:Get*", Resource=f"arn:aws:s3:::{BUCKET}")), BUCKET)


@pytest.mark.parametrize(("text", "message"), [
    ("not json", "Policies must be valid JSON and the first byte must be '{'"),
    ("[1]", "Policies must be valid JSON and the first byte must be '{'"),
    ("{broken", "This policy contains invalid Json"),
    ('{"Version": "2012-10-17"}', "Missing required field Statement"),
    ('{"Version": "2012-10-17", "Statement": []}', "Could not parse the policy: Statement is empty!"),
    (json.dumps({"Version": "2020-01-01", "Statement": [statement()]}), "The policy must contain a valid version string"),
    (json.dumps({"Version": "2012-10-17", "Statement": [statement()], "Extra": 1}), "Unknown field Extra"),
])
def test_document_errors(text, message):
    assert refused(text) == message


@pytest.mark.parametrize(("overrides", "message"), [
    ({"Effect": None}, "Missing required field Effect"),
    ({"Effect": "Allowed"}, "Invalid effect: Allowed"),
    ({"Principal": None}, "Missing required field Principal"),
    ({"Principal": "someone"}, "Invalid principal in policy"),
    ({"Principal": {"AWS": "not-an-arn"}}, "Invalid principal in policy"),
    ({"Principal": {"Robots": "*"}}, "Invalid principal in policy"),
    ({"Action": None}, "Missing required field Action"),
    ({"Action": "ec2:RunInstances"}, "Policy has invalid action"),
    ({"Resource": None}, "Missing required field Resource"),
    ({"Resource": "*"}, "Policy has invalid resource"),
    ({"Resource": "arn:aws:s3:::other-bucket/*"}, "Policy has invalid resource"),
    ({"Resource": "arn:aws:sqs:us-east-1:123456789012:q"}, "Policy has invalid resource"),
    ({"Resource": f"arn:aws:s3:::{BUCKET}"}, "Action does not apply to any resource(s) in statement"),
    ({"Action": ["s3:GetObject", "s3:ListBucket"]}, "Action does not apply to any resource(s) in statement"),
    ({"Action": "s3:ListAllMyBuckets"}, "Action does not apply to any resource(s) in statement"),
    ({"Condition": {"StringEqualz": {"aws:Referer": "x"}}}, "Invalid Condition type : StringEqualz"),
    ({"Condition": {"IpAddress": {"aws:SourceIp": "not-an-ip"}}}, "Invalid IP address in Conditions"),
    ({"Condition": {"StringEquals": {"made:up": "x"}}}, "Policy has an invalid condition key"),
    ({"Bogus": 1}, "Unknown field Bogus"),
])
def test_statement_errors(overrides, message):
    assert refused(document(statement(**overrides))) == message


def test_wildcard_bucket_in_resource_must_match_the_bucket():
    validate_policy(document(statement(Resource="arn:aws:s3:::my-*/*")), BUCKET)
    assert refused(document(statement(Resource="arn:aws:s3:::their-*/*"))) == "Policy has invalid resource"


def public(*statements: dict) -> dict:
    return json.loads(document(*statements))


def test_allow_to_everyone():
    policy = public(statement())
    assert anonymous_allowed(policy, "s3:GetObject", BUCKET, "index.html")
    assert not anonymous_allowed(policy, "s3:PutObject", BUCKET, "index.html")
    assert not anonymous_allowed(policy, "s3:GetObject", "other", "index.html")
    assert anonymous_allowed(public(statement(Principal={"AWS": "*"})), "s3:GetObject", BUCKET, "k")
    assert not anonymous_allowed(public(statement(Principal={"AWS": "123456789012"})), "s3:GetObject", BUCKET, "k")


def test_no_policy_decides_nothing():
    assert anonymous_decision(None, "s3:GetObject", BUCKET, "k") is None
    assert anonymous_decision(public(statement(Resource=f"arn:aws:s3:::{BUCKET}/docs/*")),
                              "s3:GetObject", BUCKET, "k") is None


def test_deny_wins():
    policy = public(statement(), statement(Effect="Deny", Resource=f"arn:aws:s3:::{BUCKET}/private/*"))
    assert anonymous_decision(policy, "s3:GetObject", BUCKET, "private/x") == "Deny"
    assert anonymous_decision(policy, "s3:GetObject", BUCKET, "public/x") == "Allow"


def test_action_wildcards_are_case_insensitive_and_resources_are_not():
    policy = public(statement(Action="S3:get*"))
    assert anonymous_allowed(policy, "s3:GetObject", BUCKET, "k")
    policy = public(statement(Resource=f"arn:aws:s3:::{BUCKET}/Docs/*"))
    assert not anonymous_allowed(policy, "s3:GetObject", BUCKET, "docs/k")


def test_not_action_and_not_resource():
    policy = public(statement(Action=None, NotAction="s3:PutObject"))
    assert anonymous_allowed(policy, "s3:GetObject", BUCKET, "k")
    policy = public(statement(Resource=None, NotResource=f"arn:aws:s3:::{BUCKET}/secret/*"))
    assert anonymous_allowed(policy, "s3:GetObject", BUCKET, "k")
    assert not anonymous_allowed(policy, "s3:GetObject", BUCKET, "secret/k")


def test_not_principal_covers_anonymous_callers():
    policy = public(statement(Principal=None, NotPrincipal={"AWS": "arn:aws:iam::123456789012:root"}))
    assert anonymous_allowed(policy, "s3:GetObject", BUCKET, "k")


def test_conditions_use_the_request_context():
    policy = public(statement(Condition={"StringLike": {"aws:Referer": "https://site.example/*"}}))
    good = request_context(source_ip="127.0.0.1", secure=False, referer="https://site.example/page")
    assert anonymous_allowed(policy, "s3:GetObject", BUCKET, "k", good)
    assert not anonymous_allowed(policy, "s3:GetObject", BUCKET, "k", request_context(source_ip=None, secure=False))


def test_condition_operators():
    ctx = request_context(source_ip="10.1.2.3", secure=True, user_agent="curl/8", now=1_700_000_000)
    assert conditions_hold({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8"]}}, ctx)
    assert not conditions_hold({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, ctx)
    assert conditions_hold({"Bool": {"aws:SecureTransport": "true"}}, ctx)
    assert conditions_hold({"Bool": {"aws:SecureTransport": True}}, ctx)
    assert conditions_hold({"StringEqualsIgnoreCase": {"aws:UserAgent": "CURL/8"}}, ctx)
    assert conditions_hold({"DateGreaterThan": {"aws:CurrentTime": "2023-01-01T00:00:00Z"}}, ctx)
    assert not conditions_hold({"DateLessThan": {"aws:CurrentTime": "2023-01-01T00:00:00Z"}}, ctx)
    assert conditions_hold({"NumericLessThan": {"aws:EpochTime": "1800000000"}}, ctx)
    # Keys the request lacks: false for positive operators, true for negated ones and IfExists.
    assert not conditions_hold({"StringEquals": {"aws:Referer": "x"}}, ctx)
    assert conditions_hold({"StringNotEquals": {"aws:Referer": "x"}}, ctx)
    assert conditions_hold({"StringEqualsIfExists": {"aws:Referer": "x"}}, ctx)
    assert conditions_hold({"Null": {"aws:Referer": "true"}}, ctx)
    assert not conditions_hold({"Null": {"aws:SourceIp": "true"}}, ctx)
    # Every operator and key of a block must hold.
    assert not conditions_hold({"Bool": {"aws:SecureTransport": "true"},
                                "IpAddress": {"aws:SourceIp": "192.168.0.0/16"}}, ctx)


def test_policy_is_public():
    assert policy_is_public(public(statement()))
    assert not policy_is_public(public(statement(Principal={"AWS": "123456789012"})))
    assert not policy_is_public(public(statement(Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})))
    assert policy_is_public(public(statement(Condition={"StringLike": {"aws:Referer": "x"}})))


def test_parse_policy_is_cached_and_tolerant():
    text = document(statement())
    assert parse_policy(text) is parse_policy(text)
    assert parse_policy("{not json") is None


def test_context_key_names_are_case_insensitive():
    policy = public(statement(Condition={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}))
    assert anonymous_allowed(policy, "s3:GetObject", BUCKET, "k", {"aws:SourceIp": "127.0.0.1"})
    assert anonymous_allowed(policy, "s3:GetObject", BUCKET, "k", {"AWS:SOURCEIP": "127.0.0.1"})


@pytest.mark.parametrize("principal", [
    {"AWS": "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL"},
    {"AWS": "arn:aws:sts::123456789012:assumed-role/deployer/session"},
    {"AWS": "AROAEXAMPLEID1234567"},
    {"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
    {"Service": ["logging.s3.amazonaws.com", "cloudfront.amazonaws.com"]},
])
def test_principals_that_iac_tools_generate_are_accepted(principal):
    validate_policy(document(statement(Principal=principal)), BUCKET)


def test_cdk_style_grant_read_policy_is_accepted():
    validate_policy(document(statement(
        Principal={"AWS": "arn:aws:iam::123456789012:role/reader"},
        Action=["s3:GetObject*", "s3:GetBucket*", "s3:List*"],
        Resource=[f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"])), BUCKET)
