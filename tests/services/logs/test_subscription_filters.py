"""Subscription filters delivering to Lambda: PutSubscriptionFilter, DescribeSubscriptionFilters,
DeleteSubscriptionFilter, and what the function receives (the User Guide's Lambda example;
LocalStack's AWS-validated test_logs_subscription_filters snapshots)."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import make_client
from tests.services.lambda_.helpers import wait_for
from tests.services.logs.subscription_support import (
    ACCOUNT,
    allow_logs,
    create_recorder,
    group_name,
    now_ms,
    received,
    wait_for_messages,
)
from tests.support.errors import refused

AWS = "/work/main/.venv/bin/aws"


@pytest.fixture(scope="module")
def logs(client_factory):
    return client_factory("logs")


@pytest.fixture(scope="module")
def lam(client_factory):
    return client_factory("lambda")


def _subscribed_group(logs, lam, **filter_params) -> tuple[str, str]:
    """A group with one stream "s" and a filter "f" sending to a new recording function: (group, function)."""
    group = group_name()
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    function, arn = create_recorder(lam)
    allow_logs(lam, function, group)
    logs.put_subscription_filter(logGroupName=group, filterName="f", destinationArn=arn,
                                 **{"filterPattern": "", **filter_params})
    return group, function


def test_matching_events_reach_the_function_as_awslogs_data(logs, lam):
    group, function = _subscribed_group(logs, lam, filterPattern="ERROR")
    start = now_ms()
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": start, "message": "ERROR disk full"},
        {"timestamp": start + 1, "message": "INFO all well"},
        {"timestamp": start + 2, "message": "ERROR again: ünïcode ✓ \"quoted\""}])
    [message] = wait_for_messages(logs, function, 1)
    assert {k: v for k, v in message.items() if k != "logEvents"} == {
        "messageType": "DATA_MESSAGE", "owner": ACCOUNT, "logGroup": group, "logStream": "s",
        "subscriptionFilters": ["f"], "policyLevel": "LOG_GROUP_LEVEL"}
    assert [(e["timestamp"], e["message"]) for e in message["logEvents"]] == [
        (start, "ERROR disk full"), (start + 2, "ERROR again: ünïcode ✓ \"quoted\"")]
    # Each event's id is the one FilterLogEvents gives it: 56 digits.
    stored = logs.filter_log_events(logGroupName=group, filterPattern="ERROR")["events"]
    assert [e["id"] for e in message["logEvents"]] == [e["eventId"] for e in stored]
    assert all(len(e["id"]) == 56 and e["id"].isdigit() for e in message["logEvents"])


def test_a_batch_without_matches_sends_nothing_and_streams_come_separately(logs, lam):
    group, function = _subscribed_group(logs, lam, filterPattern='{ $.level = "error" }')
    logs.create_log_stream(logGroupName=group, logStreamName="other")
    start = now_ms()
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": start, "message": json.dumps({"level": "info"})}])
    logs.put_log_events(logGroupName=group, logStreamName="other", logEvents=[
        {"timestamp": start, "message": json.dumps({"level": "error", "n": 1})}])
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": start + 1, "message": json.dumps({"level": "error", "n": 2})}])
    messages = wait_for_messages(logs, function, 2)
    assert sorted((m["logStream"], [json.loads(e["message"])["n"] for e in m["logEvents"]]) for m in messages) == [
        ("other", [1]), ("s", [2])]


def test_two_filters_each_deliver_and_a_third_is_refused(logs, lam):
    group, first = _subscribed_group(logs, lam, filterPattern="[level=ERROR, ...]")
    second, second_arn = create_recorder(lam)
    allow_logs(lam, second, group, principal="logs.us-east-1.amazonaws.com", SourceAccount=ACCOUNT)
    logs.put_subscription_filter(logGroupName=group, filterName="g", filterPattern="", destinationArn=second_arn)
    assert refused(logs.put_subscription_filter, logGroupName=group, filterName="h", filterPattern="",
                   destinationArn=second_arn) == ("LimitExceededException", "Resource limit exceeded.", 400)
    # Replacing one of the two is no third.
    logs.put_subscription_filter(logGroupName=group, filterName="f", filterPattern="ERROR",
                                 destinationArn=second_arn)
    logs.put_subscription_filter(logGroupName=group, filterName="f", filterPattern="[level=ERROR, ...]",
                                 destinationArn=lam.get_function(FunctionName=first)["Configuration"]["FunctionArn"])
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": now_ms(), "message": "ERROR one"}, {"timestamp": now_ms(), "message": "WARN two"}])
    [to_first] = wait_for_messages(logs, first, 1)
    [to_second] = wait_for_messages(logs, second, 1)
    assert (to_first["subscriptionFilters"], [e["message"] for e in to_first["logEvents"]]) == (
        ["f"], ["ERROR one"])
    assert (to_second["subscriptionFilters"], [e["message"] for e in to_second["logEvents"]]) == (
        ["g"], ["ERROR one", "WARN two"])


def test_describe_gives_aws_fields_by_prefix_and_pages(logs, lam):
    group = group_name()
    logs.create_log_group(logGroupName=group)
    function, arn = create_recorder(lam)
    allow_logs(lam, function, group)
    logs.put_subscription_filter(logGroupName=group, filterName="beta", filterPattern="[]", destinationArn=arn)
    logs.put_subscription_filter(logGroupName=group, filterName="alpha", filterPattern="ERROR", destinationArn=arn,
                                 distribution="Random", roleArn="arn:aws:iam::000000000000:role/logs",
                                 applyOnTransformedLogs=True)
    assert logs.describe_subscription_filters(logGroupName=group, filterNamePrefix="be")["subscriptionFilters"] == [
        {"filterName": "beta", "logGroupName": group, "filterPattern": "[]", "destinationArn": arn,
         "distribution": "ByLogStream", "applyOnTransformedLogs": False,
         "creationTime": pytest.approx(now_ms(), abs=60_000)}]
    first = logs.describe_subscription_filters(logGroupName=group, limit=1)
    assert [f["filterName"] for f in first["subscriptionFilters"]] == ["alpha"]
    assert first["subscriptionFilters"][0]["distribution"] == "Random"
    assert first["subscriptionFilters"][0]["roleArn"] == "arn:aws:iam::000000000000:role/logs"
    assert first["subscriptionFilters"][0]["applyOnTransformedLogs"] is True
    second = logs.describe_subscription_filters(logGroupName=group, limit=1, nextToken=first["nextToken"])
    assert [f["filterName"] for f in second["subscriptionFilters"]] == ["beta"]
    assert "nextToken" not in second
    assert logs.describe_subscription_filters(logGroupName=group, filterNamePrefix="z")["subscriptionFilters"] == []


def test_an_alias_is_a_destination_with_its_own_permission(logs, lam):
    group = group_name()
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    function, _ = create_recorder(lam)
    version = lam.publish_version(FunctionName=function)["Version"]
    alias_arn = lam.create_alias(FunctionName=function, Name="live", FunctionVersion=version)["AliasArn"]
    allow_logs(lam, function, group)  # the unqualified function's policy does not cover the alias
    assert refused(logs.put_subscription_filter, logGroupName=group, filterName="f", filterPattern="",
                   destinationArn=alias_arn)[0] == "InvalidParameterException"
    allow_logs(lam, function, group, Qualifier="live")
    logs.put_subscription_filter(logGroupName=group, filterName="f", filterPattern="", destinationArn=alias_arn)
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": "hi"}])
    [message] = wait_for_messages(logs, function, 1)
    assert [e["message"] for e in message["logEvents"]] == ["hi"]


def test_a_deleted_filter_delivers_no_more(logs, lam):
    group, function = _subscribed_group(logs, lam)
    logs.put_subscription_filter(logGroupName=group, filterName="kept", filterPattern="", destinationArn=lam.get_function(
        FunctionName=function)["Configuration"]["FunctionArn"])
    logs.delete_subscription_filter(logGroupName=group, filterName="f")
    assert [f["filterName"] for f in logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]] \
        == ["kept"]
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": "x"}])
    [message] = wait_for_messages(logs, function, 1)
    assert message["subscriptionFilters"] == ["kept"]


def test_filters_go_with_their_group(logs, lam):
    group, _ = _subscribed_group(logs, lam)
    logs.delete_log_group(logGroupName=group)
    logs.create_log_group(logGroupName=group)
    assert logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"] == []


def test_a_functions_own_log_lines_are_delivered(logs, lam):
    """Lambda's function logs go into /aws/lambda/<name> through PutLogEvents, so a filter on that
    group hands them on."""
    source, _ = create_recorder(lam)
    lam.invoke(FunctionName=source, Payload=b'{"first": true}')  # creates the source's log group
    group = f"/aws/lambda/{source}"
    wait_for(lambda: logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"])  # shipped off the invoke path
    recorder, arn = create_recorder(lam)
    allow_logs(lam, recorder, group)
    logs.put_subscription_filter(logGroupName=group, filterName="report-lines", filterPattern="REPORT",
                                 destinationArn=arn)
    lam.invoke(FunctionName=source, Payload=b'{"second": true}')
    [message] = wait_for_messages(logs, recorder, 1)
    assert message["logGroup"] == group
    assert [e["message"].split()[0] for e in message["logEvents"]] == ["REPORT"]


def test_the_aws_cli_creates_and_describes_a_filter(logs, lam, aws_cli_env):
    group = group_name()
    logs.create_log_group(logGroupName=group)
    function, arn = create_recorder(lam)
    allow_logs(lam, function, group)
    subprocess.run([AWS, "logs", "put-subscription-filter", "--log-group-name", group, "--filter-name", "cli",
                    "--filter-pattern", "ERROR", "--destination-arn", arn], env=aws_cli_env, check=True,
                   capture_output=True)
    out = subprocess.run([AWS, "logs", "describe-subscription-filters", "--log-group-name", group],
                         env=aws_cli_env, check=True, capture_output=True, text=True).stdout
    [described] = json.loads(out)["subscriptionFilters"]
    assert (described["filterName"], described["filterPattern"], described["destinationArn"]) == (
        "cli", "ERROR", arn)
    failed = subprocess.run([AWS, "logs", "delete-subscription-filter", "--log-group-name", group, "--filter-name",
                             "nope"], env=aws_cli_env, capture_output=True, text=True)
    assert failed.returncode != 0
    assert "ResourceNotFoundException" in failed.stderr
    assert "The specified subscription filter does not exist." in failed.stderr


def test_acknowledged_events_are_delivered_after_a_crash(fresh_server):
    """PutLogEvents queues the delivery in its own transaction: killed right after answering, the
    server still hands the events to the function once it is back."""
    logs = make_client("logs", fresh_server.endpoint_url)
    lam = make_client("lambda", fresh_server.endpoint_url)
    group, function = _subscribed_group(logs, lam)
    streams = ["s"] + [f"s{n}" for n in range(1, 10)]
    for stream in streams[1:]:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    start = now_ms()
    for number, stream in enumerate(streams):
        logs.put_log_events(logGroupName=group, logStreamName=stream,
                            logEvents=[{"timestamp": start + number, "message": f"event {number}"}])
    fresh_server.kill9()
    fresh_server.start()
    # At least once: a delivery Lambda had taken just before the kill may come again, so what
    # counts is that every stream's message arrives (and nothing else does).
    wait_for(lambda: {m["logStream"] for m in received(logs, function)} == set(streams), timeout=30)
    assert {m["logStream"]: [e["message"] for e in m["logEvents"]] for m in received(logs, function)} == {
        stream: [f"event {number}"] for number, stream in enumerate(streams)}
    # The filter itself outlived the crash and applies to what comes next.
    logs.put_log_events(logGroupName=group, logStreamName="s",
                        logEvents=[{"timestamp": now_ms(), "message": "after the restart"}])
    wait_for(lambda: any(m["logEvents"][0]["message"] == "after the restart" for m in received(logs, function)),
             timeout=30)
