"""PutMetricFilter, DescribeMetricFilters and DeleteMetricFilter, and the DescribeLogGroups and
DescribeLogStreams refusals, against LocalStack's AWS-validated snapshots (test_logs_metric_filters,
test_logs_groups, test_logs_streams)."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def logs(client_factory):
    return client_factory("logs")


@pytest.fixture(scope="module")
def logs_unchecked(client_factory):
    return client_factory("logs", parameter_validation=False)


def _group(logs) -> str:
    name = f"/metric/{uuid.uuid4().hex[:10]}"
    logs.create_log_group(logGroupName=name)
    return name


def _error(call, **params) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as err:
        call(**params)
    response = err.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def _metric(name: str = "metric", namespace: str = "namespace", **extra) -> list[dict]:
    return [{"metricName": name, "metricNamespace": namespace, "metricValue": "1", **extra}]


def test_a_metric_filter_is_kept_described_counted_and_deleted(logs):
    group = _group(logs)
    token = uuid.uuid4().hex[:8]
    logs.put_metric_filter(logGroupName=group, filterName=f"{token}-json", filterPattern='{$.message = "test"}',
                           metricTransformations=_metric(f"m-{token}", "ns", defaultValue=0))
    logs.put_metric_filter(logGroupName=group, filterName=f"{token}-space", filterPattern=" ",
                           metricTransformations=_metric())
    described = logs.describe_metric_filters(logGroupName=group, filterNamePrefix=f"{token}-json")["metricFilters"]
    assert len(described) == 1
    entry = described[0]
    assert {k: v for k, v in entry.items() if k != "creationTime"} == {
        "filterName": f"{token}-json", "filterPattern": '{$.message = "test"}', "logGroupName": group,
        "applyOnTransformedLogs": False,
        "metricTransformations": [{"metricName": f"m-{token}", "metricNamespace": "ns", "metricValue": "1",
                                   "defaultValue": 0.0}]}
    assert [f["filterName"] for f in logs.describe_metric_filters(logGroupName=group)["metricFilters"]] == [
        f"{token}-json", f"{token}-space"]
    by_metric = logs.describe_metric_filters(metricName=f"m-{token}", metricNamespace="ns")["metricFilters"]
    assert [f["filterName"] for f in by_metric] == [f"{token}-json"]
    listed = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    assert listed["metricFilterCount"] == 2 and listed["deletionProtectionEnabled"] is False
    # Putting one of the same name replaces it.
    logs.put_metric_filter(logGroupName=group, filterName=f"{token}-space", filterPattern="ERROR",
                           metricTransformations=_metric())
    assert logs.describe_metric_filters(logGroupName=group, filterNamePrefix=f"{token}-space")["metricFilters"][0][
        "filterPattern"] == "ERROR"
    logs.delete_metric_filter(logGroupName=group, filterName=f"{token}-space")
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["metricFilterCount"] == 1
    assert _error(logs.delete_metric_filter, logGroupName=group, filterName=f"{token}-space") == (
        "ResourceNotFoundException", "The specified metric filter does not exist.", 400)
    # Filters go with their group.
    logs.delete_log_group(logGroupName=group)
    assert logs.describe_metric_filters(filterNamePrefix=token)["metricFilters"] == []


def test_describe_metric_filters_pages_across_groups(logs):
    token = uuid.uuid4().hex[:8]
    for number in range(3):
        logs.put_metric_filter(logGroupName=_group(logs), filterName=f"{token}-{number}", filterPattern="x",
                               metricTransformations=_metric())
    first = logs.describe_metric_filters(filterNamePrefix=token, limit=2)
    second = logs.describe_metric_filters(filterNamePrefix=token, limit=2, nextToken=first["nextToken"])
    assert [f["filterName"] for f in first["metricFilters"] + second["metricFilters"]] == [
        f"{token}-0", f"{token}-1", f"{token}-2"]
    assert "nextToken" not in second


def test_metric_filter_refusals(logs, logs_unchecked):
    group = _group(logs)
    assert _error(logs.put_metric_filter, logGroupName=group + "-missing", filterName="f", filterPattern="x",
                  metricTransformations=_metric()) == (
        "ResourceNotFoundException", "The specified log group does not exist.", 400)
    code, _, status = _error(logs.put_metric_filter, logGroupName=group, filterName="f", filterPattern='{ $.a = ',
                             metricTransformations=_metric())
    assert (code, status) == ("InvalidParameterException", 400)
    long_name = "X" * 513
    assert _error(logs_unchecked.put_metric_filter, logGroupName=group, filterName=long_name, filterPattern="x",
                  metricTransformations=_metric()) == (
        "InvalidParameterException", f"1 validation error detected: Value '{long_name}' at 'filterName' failed to "
        "satisfy constraint: Member must have length less than or equal to 512", 400)
    assert _error(logs_unchecked.delete_metric_filter, logGroupName=long_name, filterName="f") == (
        "InvalidParameterException", "Invalid LogGroup or LogStream, both must have length less than or equal to 512.", 400)
    assert _error(logs_unchecked.create_log_group, logGroupName=long_name) == (
        "InvalidParameterException", "Invalid LogGroup or LogStream, both must have length less than or equal to 512.", 400)


def test_describe_refusals_for_exclusive_parameters(logs):
    group = _group(logs)
    assert _error(logs.describe_log_groups, logGroupNamePrefix="/metric", logGroupNamePattern="metric") == (
        "InvalidParameterException",
        "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.", 400)
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    assert _error(logs.describe_log_streams, logGroupName=group, logGroupIdentifier=arn) == (
        "ValidationException", "LogGroup name and LogGroup ARN are mutually exclusive parameters.", 400)
