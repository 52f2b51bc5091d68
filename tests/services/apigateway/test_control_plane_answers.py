"""Control-plane answers checked against LocalStack's AWS-validated snapshots: tags {} where AWS
always answers them, UpdateStage's message for paths it does not know, UpdateUsagePlan's
apiStages errors (test_apigateway_common.snapshot.json, test_apigateway_api.snapshot.json)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.services.apigateway.conftest import mock_method, new_api
from tests.services.apigateway.test_control_plane import error_of

STAGE_PATHS = (
    "/deploymentId, /description, /cacheClusterEnabled, /cacheClusterSize, /clientCertificateId, /accessLogSettings, "
    "/accessLogSettings/destinationArn, /accessLogSettings/format, /{resourcePath}/{httpMethod}/metrics/enabled, "
    "/{resourcePath}/{httpMethod}/logging/dataTrace, /{resourcePath}/{httpMethod}/logging/loglevel, "
    "/{resourcePath}/{httpMethod}/throttling/burstLimit/{resourcePath}/{httpMethod}/throttling/rateLimit"
    "/{resourcePath}/{httpMethod}/caching/ttlInSeconds, /{resourcePath}/{httpMethod}/caching/enabled, "
    "/{resourcePath}/{httpMethod}/caching/dataEncrypted, "
    "/{resourcePath}/{httpMethod}/caching/requireAuthorizationForCacheControl, "
    "/{resourcePath}/{httpMethod}/caching/unauthorizedCacheControlHeaderStrategy, /*/*/metrics/enabled, "
    "/*/*/logging/dataTrace, /*/*/logging/loglevel, /*/*/throttling/burstLimit /*/*/throttling/rateLimit "
    "/*/*/caching/ttlInSeconds, /*/*/caching/enabled, /*/*/caching/dataEncrypted, "
    "/*/*/caching/requireAuthorizationForCacheControl, /*/*/caching/unauthorizedCacheControlHeaderStrategy, "
    "/variables/{variable_name}, /tracingEnabled")


def _deployed(apigw) -> str:
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root)
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    return api_id


def test_usage_plan_tags_as_aws_answers_them(apigw):
    api_id = _deployed(apigw)
    plan = apigw.create_usage_plan(name="p", apiStages=[{"apiId": api_id, "stage": "dev"}])
    try:
        assert "tags" not in plan  # CreateUsagePlan without tags answers none
        assert apigw.get_usage_plan(usagePlanId=plan["id"])["tags"] == {}
        listed = [p for page in apigw.get_paginator("get_usage_plans").paginate() for p in page["items"]
                  if p["id"] == plan["id"]]
        assert listed and "tags" not in listed[0]
        updated = apigw.update_usage_plan(usagePlanId=plan["id"], patchOperations=[
            {"op": "replace", "path": "/throttle/burstLimit", "value": "100"}])
        assert updated["tags"] == {} and updated["throttle"]["burstLimit"] == 100
    finally:
        apigw.delete_usage_plan(usagePlanId=plan["id"])


def test_update_usage_plan_api_stage_errors(apigw):
    api_id = _deployed(apigw)
    plan = apigw.create_usage_plan(name="p", apiStages=[{"apiId": api_id, "stage": "dev"}])
    try:
        def update(value=None):
            operation = {"op": "add", "path": "/apiStages"}
            if value is not None:
                operation["value"] = value
            with pytest.raises(ClientError) as e:
                apigw.update_usage_plan(usagePlanId=plan["id"], patchOperations=[operation])
            return error_of(e)

        assert update() == ("BadRequestException", "Invalid API Stage specified", 400)
        assert update("wrong-value") == ("BadRequestException", "Invalid API Stage specified", 400)
        assert update(f"{api_id}b:dev") == (
            "NotFoundException", f"Invalid API Stage {{api: {api_id}b, stage: dev}} specified for usageplan {plan['id']}",
            404)
        assert update(f"{api_id}:fakestagename") == (
            "NotFoundException",
            f"Invalid API Stage {{api: {api_id}, stage: fakestagename}} specified for usageplan {plan['id']}", 404)
        assert apigw.get_usage_plan(usagePlanId=plan["id"])["apiStages"] == [{"apiId": api_id, "stage": "dev"}]
        with pytest.raises(ClientError) as e:
            apigw.update_usage_plan(usagePlanId="nope", patchOperations=[
                {"op": "replace", "path": "/description", "value": "x"}])
        assert error_of(e) == ("NotFoundException", "Invalid Usage Plan ID specified", 404)
    finally:
        apigw.delete_usage_plan(usagePlanId=plan["id"])


@pytest.mark.parametrize("path", ["/documentation_version", "/tags/tag1", "/test/GET/throttling/nope"])
def test_update_stage_unknown_path(apigw, path):
    api_id = _deployed(apigw)
    before = apigw.get_stage(restApiId=api_id, stageName="dev")
    with pytest.raises(ClientError) as e:
        apigw.update_stage(restApiId=api_id, stageName="dev", patchOperations=[
            {"op": "replace", "path": "/description", "value": "changed"},
            {"op": "replace", "path": path, "value": "123"}])
    assert error_of(e) == ("BadRequestException",
                           f"Invalid method setting path: {path}. Must be one of: [{STAGE_PATHS}]", 400)
    assert apigw.get_stage(restApiId=api_id, stageName="dev").get("description") == before.get("description")
    # the paths AWS takes still work
    updated = apigw.update_stage(restApiId=api_id, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/variables/var1", "value": "test"},
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "123"},
        {"op": "replace", "path": "/tracingEnabled", "value": "true"}])
    assert updated["variables"] == {"var1": "test"} and updated["tracingEnabled"] is True
    assert updated["methodSettings"]["*/*"]["throttlingBurstLimit"] == 123


def test_updates_answer_tags_even_when_empty(apigw):
    api_id, _ = new_api(apigw)
    updated = apigw.update_rest_api(restApiId=api_id, patchOperations=[
        {"op": "add", "path": "/binaryMediaTypes/image~1png"}])
    assert updated["tags"] == {} and updated["binaryMediaTypes"] == ["image/png"]
    key = apigw.create_api_key(name="k", enabled=True)
    try:
        assert "tags" not in key
        disabled = apigw.update_api_key(apiKey=key["id"], patchOperations=[
            {"op": "replace", "path": "/enabled", "value": "false"}])
        assert disabled["tags"] == {} and disabled["enabled"] is False
    finally:
        apigw.delete_api_key(apiKey=key["id"])
