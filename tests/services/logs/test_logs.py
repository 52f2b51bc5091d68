"""The minimal CloudWatch Logs service through boto3."""

from __future__ import annotations

import time
import uuid

import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def logs(client_factory):
    return client_factory("logs")


def group_name() -> str:
    return f"/test/{uuid.uuid4().hex[:10]}"


def test_groups_streams_events(logs):
    group = group_name()
    logs.create_log_group(logGroupName=group)
    with pytest.raises(ClientError) as err:
        logs.create_log_group(logGroupName=group)
    assert err.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    logs.create_log_stream(logGroupName=group, logStreamName="s1")
    with pytest.raises(ClientError) as err:
        logs.create_log_stream(logGroupName=group, logStreamName="s1")
    assert err.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName="s1",
                        logEvents=[{"timestamp": now + i, "message": f"message {i}"} for i in range(5)])
    groups = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert [g["logGroupName"] for g in groups] == [group]
    assert groups[0]["arn"].endswith(f":log-group:{group}:*")
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert streams[0]["logStreamName"] == "s1"
    assert streams[0]["firstEventTimestamp"] == now and streams[0]["lastEventTimestamp"] == now + 4

    events = logs.get_log_events(logGroupName=group, logStreamName="s1", startFromHead=True)
    assert [e["message"] for e in events["events"]] == [f"message {i}" for i in range(5)]
    again = logs.get_log_events(logGroupName=group, logStreamName="s1", nextToken=events["nextForwardToken"])
    assert again["events"] == []
    last_two = logs.get_log_events(logGroupName=group, logStreamName="s1", limit=2)
    assert [e["message"] for e in last_two["events"]] == ["message 3", "message 4"]


def test_filter_log_events(logs):
    group = group_name()
    logs.create_log_group(logGroupName=group)
    for stream in ("a", "b"):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName="a", logEvents=[
        {"timestamp": now, "message": "ERROR disk full"}, {"timestamp": now + 1, "message": "INFO ok"}])
    logs.put_log_events(logGroupName=group, logStreamName="b", logEvents=[
        {"timestamp": now + 2, "message": "ERROR network down"}])
    found = logs.filter_log_events(logGroupName=group, filterPattern="ERROR")["events"]
    assert [e["message"] for e in found] == ["ERROR disk full", "ERROR network down"]
    assert [e["logStreamName"] for e in found] == ["a", "b"]
    assert [e["message"] for e in logs.filter_log_events(logGroupName=group, filterPattern='"disk full"')["events"]] \
        == ["ERROR disk full"]
    assert len(logs.filter_log_events(logGroupName=group, filterPattern="?disk ?network")["events"]) == 2
    assert len(logs.filter_log_events(logGroupName=group, logStreamNames=["b"])["events"]) == 1
    paged = logs.filter_log_events(logGroupName=group, limit=2)
    assert len(paged["events"]) == 2 and "nextToken" in paged
    rest = logs.filter_log_events(logGroupName=group, limit=2, nextToken=paged["nextToken"])
    assert len(rest["events"]) == 1


def test_retention_and_delete(logs):
    group = group_name()
    logs.create_log_group(logGroupName=group)
    logs.put_retention_policy(logGroupName=group, retentionInDays=7)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["retentionInDays"] == 7
    with pytest.raises(ClientError) as err:
        logs.put_retention_policy(logGroupName=group, retentionInDays=8)
    assert err.value.response["Error"]["Code"] == "InvalidParameterException"
    logs.delete_log_group(logGroupName=group)
    with pytest.raises(ClientError) as err:
        logs.delete_log_group(logGroupName=group)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert err.value.response["Error"]["Message"] == "The specified log group does not exist."
    with pytest.raises(ClientError) as err:
        logs.put_log_events(logGroupName=group, logStreamName="x", logEvents=[{"timestamp": 1, "message": "m"}])
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_retention_expires_old_events(fresh_server):
    import json
    import urllib.request

    from tests.conftest import make_client

    client = make_client("logs", fresh_server.endpoint_url)
    group = group_name()
    client.create_log_group(logGroupName=group)
    client.create_log_stream(logGroupName=group, logStreamName="s")
    client.put_log_events(logGroupName=group, logStreamName="s",
                          logEvents=[{"timestamp": int(time.time() * 1000), "message": "old news"}])
    client.put_retention_policy(logGroupName=group, retentionInDays=1)
    request = urllib.request.Request(fresh_server.endpoint_url + "/_overcast/clock", method="POST",
                                     data=json.dumps({"advance": 2 * 86400}).encode())
    urllib.request.urlopen(request).read()
    deadline = time.monotonic() + 10
    while client.filter_log_events(logGroupName=group)["events"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.filter_log_events(logGroupName=group)["events"] == []
