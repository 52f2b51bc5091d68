"""AWS's fixed control-plane quotas, with --apigateway-control-plane-quotas: a call past them is
refused with 429 TooManyRequestsException and changes nothing. (Off by default: the rest of the
suite creates APIs far faster than AWS allows.)"""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def quota_server(tmp_path_factory):
    proc = ServerProcess(tmp_path_factory.mktemp("quotas") / "data", extra_args=["--apigateway-control-plane-quotas"])
    proc.start()
    yield proc
    proc.stop()


def _client(server):
    # One attempt per call: botocore would otherwise retry the 429 after a backoff.
    return boto3.client("apigateway", endpoint_url=server.endpoint_url, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"total_max_attempts": 1}))


def _assert_throttled(excinfo):
    error = excinfo.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert error["Error"]["Code"] == "TooManyRequestsException"
    assert error["Error"]["Message"] == "Too Many Requests"


def test_create_rest_api_past_its_quota_is_refused_and_creates_nothing(quota_server):
    apigw = _client(quota_server)
    apigw.create_rest_api(name="first", endpointConfiguration={"types": ["REGIONAL"]})
    with pytest.raises(ClientError) as excinfo:  # Regional: once every 3 seconds per account
        apigw.create_rest_api(name="second", endpointConfiguration={"types": ["REGIONAL"]})
    _assert_throttled(excinfo)
    assert [api["name"] for api in apigw.get_rest_apis()["items"]] == ["first"]


def test_per_operation_quota_leaves_other_operations_alone(quota_server):
    apigw = _client(quota_server)
    api = apigw.get_rest_apis()["items"][0]
    root = api["rootResourceId"]
    apigw.put_method(restApiId=api["id"], resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api["id"], resourceId=root, httpMethod="GET", type="MOCK")
    apigw.create_deployment(restApiId=api["id"], stageName="one")
    with pytest.raises(ClientError) as excinfo:  # once every 5 seconds
        apigw.create_deployment(restApiId=api["id"], stageName="two")
    _assert_throttled(excinfo)
    assert [s["stageName"] for s in apigw.get_stages(restApiId=api["id"])["item"]] == ["one"]
    # Operations without a quota of their own share only the account's 10 per second (burst 40).
    assert apigw.get_rest_api(restApiId=api["id"])["id"] == api["id"]
