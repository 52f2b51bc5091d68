"""How PutSubscriptionFilter, DescribeSubscriptionFilters and DeleteSubscriptionFilter refuse bad
input, each answer as AWS gives it, and that a refusal changes nothing.

Evidence: LocalStack's AWS-validated test_logs_subscription_filters snapshots (a missing group or
filter, the cross-account Lambda answer, Kinesis without a role, the limit); moto's
test_put_subscription_filter_errors and the error users quote for a function CloudWatch Logs may
not invoke; users' quotes of the unsupported-vendor answer."""

from __future__ import annotations

import json

import pytest

from tests.services.logs.subscription_support import ACCOUNT, allow_logs, create_recorder, group_name
from tests.support.errors import refused

NOT_INVOKABLE = ("InvalidParameterException", "Could not execute the lambda function. Make sure you have given "
                 "CloudWatch Logs permission to execute your function.", 400)
GROUP_MISSING = ("ResourceNotFoundException", "The specified log group does not exist.", 400)


@pytest.fixture(scope="module")
def logs(client_factory):
    return client_factory("logs")


@pytest.fixture(scope="module")
def logs_unchecked(client_factory):
    return client_factory("logs", parameter_validation=False)


@pytest.fixture(scope="module")
def lam(client_factory):
    return client_factory("lambda")


def _group(logs) -> str:
    name = group_name()
    logs.create_log_group(logGroupName=name)
    return name


def _filters(logs, group: str) -> list:
    return logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]


def test_a_missing_group_or_filter(logs, lam):
    function, arn = create_recorder(lam)
    allow_logs(lam, function, "/nowhere")
    assert refused(logs.describe_subscription_filters, logGroupName="not-existing-log-group") == GROUP_MISSING
    assert refused(logs.put_subscription_filter, logGroupName="not-existing-log-group", filterName="f",
                   filterPattern="", destinationArn=arn) == GROUP_MISSING
    assert refused(logs.delete_subscription_filter, logGroupName="not-existing-log-group",
                   filterName="f") == GROUP_MISSING
    group = _group(logs)
    assert refused(logs.delete_subscription_filter, logGroupName=group, filterName="wrong-filter-name") == (
        "ResourceNotFoundException", "The specified subscription filter does not exist.", 400)


def test_a_lambda_in_another_account_is_refused_before_the_group_is_looked_up(logs):
    answer = ("AccessDeniedException", "Cross-account lambda invocation passing is not allowed. You must use "
              "DestinationPolicies to create cross account lambda triggers.", 400)
    other = "arn:aws:lambda:us-east-1:123456789012:function:test"
    assert refused(logs.put_subscription_filter, logGroupName="not-existing-log-group", filterName="f",
                   filterPattern="", destinationArn=other) == answer
    group = _group(logs)
    assert refused(logs.put_subscription_filter, logGroupName=group, filterName="f", filterPattern="",
                   destinationArn=other) == answer
    assert _filters(logs, group) == []


def test_a_function_logs_may_not_invoke(logs, lam):
    group = _group(logs)
    missing = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:not-existing"
    assert refused(logs.put_subscription_filter, logGroupName=group, filterName="f", filterPattern="",
                   destinationArn=missing) == NOT_INVOKABLE
    function, arn = create_recorder(lam)
    # No resource policy at all.
    assert refused(logs.put_subscription_filter, logGroupName=group, filterName="f", filterPattern="",
                   destinationArn=arn) == NOT_INVOKABLE
    # A permission for the group's ARN without ":*" does not cover the ARN Logs invokes with.
    allow_logs(lam, function, group, SourceArn=f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{group}")
    # Nor one for another group, another service, or another account.
    allow_logs(lam, function, "/some/other/group")
    allow_logs(lam, function, group, principal="s3.amazonaws.com")
    allow_logs(lam, function, group, SourceAccount="111122223333")
    assert refused(logs.put_subscription_filter, logGroupName=group, filterName="f", filterPattern="",
                   destinationArn=arn) == NOT_INVOKABLE
    assert _filters(logs, group) == []
    # The statement the User Guide shows lets it through.
    allow_logs(lam, function, group)
    logs.put_subscription_filter(logGroupName=group, filterName="f", filterPattern="", destinationArn=arn)
    assert [f["filterName"] for f in _filters(logs, group)] == ["f"]


def test_a_removed_permission_lets_logs_in_no_more(logs, lam):
    group = _group(logs)
    function, arn = create_recorder(lam)
    allow_logs(lam, function, group)
    logs.put_subscription_filter(logGroupName=group, filterName="f", filterPattern="", destinationArn=arn)
    [statement] = json.loads(lam.get_policy(FunctionName=function)["Policy"])["Statement"]
    lam.remove_permission(FunctionName=function, StatementId=statement["Sid"])
    assert refused(logs.put_subscription_filter, logGroupName=group, filterName="f", filterPattern="ERROR",
                   destinationArn=arn) == NOT_INVOKABLE
    # The filter that was is kept as it was.
    assert [f["filterPattern"] for f in _filters(logs, group)] == [""]


def test_destinations_overcast_does_not_have(logs):
    group = _group(logs)
    kinesis = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/unknown-stream"
    firehose = f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/unknown"
    role = f"arn:aws:iam::{ACCOUNT}:role/logs-to-streams"
    assert refused(logs.put_subscription_filter, logGroupName=group, filterName="f", filterPattern="",
                   destinationArn=kinesis) == (
        "InvalidParameterException", "destinationArn for vendor kinesis cannot be used without roleArn", 400)
    assert refused(logs.put_subscription_filter, logGroupName=group, filterName="f", filterPattern="",
                   destinationArn=firehose) == (
        "InvalidParameterException", "destinationArn for vendor firehose cannot be used without roleArn", 400)
    assert refused(logs.put_subscription_filter, logGroupName=group, filterName="f", filterPattern="",
                   destinationArn=kinesis, roleArn=role) == (
        "InvalidParameterException",
        "Could not deliver test message to specified Kinesis stream. Verify the stream exists ", 400)
    assert refused(logs.put_subscription_filter, logGroupName=group, filterName="f", filterPattern="",
                   destinationArn=firehose, roleArn=role) == (
        "InvalidParameterException", "Could not deliver test message to specified Firehose stream. Check if the "
        "given Firehose stream is in ACTIVE state.", 400)
    assert refused(logs.put_subscription_filter, logGroupName=group, filterName="f", filterPattern="",
                   destinationArn=f"arn:aws:sns:us-east-1:{ACCOUNT}:topic") == (
        "InvalidParameterException", "PutSubscriptionFilter operation cannot work with destinationArn for vendor sns",
        400)
    assert refused(logs.put_subscription_filter, logGroupName=group, filterName="f", filterPattern="",
                   destinationArn=f"arn:aws:logs:us-east-1:{ACCOUNT}:destination:nowhere") == (
        "ResourceNotFoundException", "The specified destination does not exist.", 400)
    assert _filters(logs, group) == []


def test_a_malformed_pattern(logs, lam):
    group = _group(logs)
    function, arn = create_recorder(lam)
    allow_logs(lam, function, group)
    assert refused(logs.put_subscription_filter, logGroupName=group, filterName="f", filterPattern='{ $.a = "b"',
                   destinationArn=arn) == (
        "InvalidParameterException", "If a filter pattern starts with '{' it must end with '}'", 400)
    assert _filters(logs, group) == []


def test_the_models_constraints(logs, logs_unchecked, lam):
    group = _group(logs)
    function, arn = create_recorder(lam)
    allow_logs(lam, function, group)
    assert refused(logs_unchecked.put_subscription_filter, logGroupName=group, filterName="a:b", filterPattern="",
                   destinationArn=arn) == (
        "InvalidParameterException", "1 validation error detected: Value 'a:b' at 'filterName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [^:*]*", 400)
    assert refused(logs_unchecked.put_subscription_filter, logGroupName=group, filterName="f", filterPattern="",
                   destinationArn=arn, distribution="Everywhere") == (
        "InvalidParameterException", "1 validation error detected: Value 'Everywhere' at 'distribution' failed to "
        "satisfy constraint: Member must satisfy enum value set: [Random, ByLogStream]", 400)
    assert refused(logs_unchecked.describe_subscription_filters, logGroupName=group, limit=51) == (
        "InvalidParameterException", "1 validation error detected: Value '51' at 'limit' failed to satisfy "
        "constraint: Member must have value less than or equal to 50", 400)
    assert refused(logs.describe_subscription_filters, logGroupName=group, nextToken="garbage") == (
        "InvalidParameterException", "The specified nextToken is invalid.", 400)
    assert _filters(logs, group) == []
