"""Models, RequestValidators, Authorizers, GatewayResponses, ApiKeys, UsagePlans and tags through
boto3, with AWS's errors."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.services.apigateway.conftest import mock_method, new_api
from tests.services.apigateway.test_control_plane import error_of

SCHEMA = json.dumps({"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
                     "properties": {"name": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}}})


def test_models(apigw):
    api_id, root = new_api(apigw)
    model = apigw.create_model(restApiId=api_id, name="Pet", contentType="application/json", schema=SCHEMA)
    assert model["name"] == "Pet" and json.loads(model["schema"])["type"] == "object"
    with pytest.raises(ClientError) as excinfo:
        apigw.create_model(restApiId=api_id, name="Pet", contentType="application/json", schema=SCHEMA)
    assert error_of(excinfo) == ("ConflictException", "Model name already exists for this REST API", 409)
    with pytest.raises(ClientError) as excinfo:
        apigw.get_model(restApiId=api_id, modelName="Nope")
    assert error_of(excinfo) == ("NotFoundException", "Invalid model name specified: Nope", 404)
    template = apigw.get_model_template(restApiId=api_id, modelName="Pet")["value"]
    assert "$inputRoot.name" in template and "#foreach($elem in $inputRoot.tags)" in template
    updated = apigw.update_model(restApiId=api_id, modelName="Pet",
                                 patchOperations=[{"op": "replace", "path": "/description", "value": "a pet"}])
    assert updated["description"] == "a pet"
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="POST", authorizationType="NONE",
                     requestModels={"application/json": "Pet"})
    with pytest.raises(ClientError) as excinfo:
        apigw.delete_model(restApiId=api_id, modelName="Pet")
    assert excinfo.value.response["Error"]["Code"] == "ConflictException"
    apigw.delete_method(restApiId=api_id, resourceId=root, httpMethod="POST")
    apigw.delete_model(restApiId=api_id, modelName="Pet")


def test_request_validators(apigw):
    api_id, root = new_api(apigw)
    validator = apigw.create_request_validator(restApiId=api_id, name="body", validateRequestBody=True)
    assert validator["validateRequestParameters"] is False
    changed = apigw.update_request_validator(restApiId=api_id, requestValidatorId=validator["id"], patchOperations=[
        {"op": "replace", "path": "/validateRequestParameters", "value": "true"}])
    assert changed["validateRequestParameters"] is True
    assert [v["id"] for v in apigw.get_request_validators(restApiId=api_id)["items"]] == [validator["id"]]
    with pytest.raises(ClientError) as excinfo:
        apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE",
                         requestValidatorId="nope00")
    assert error_of(excinfo) == ("BadRequestException", "Invalid Request Validator identifier specified", 400)
    apigw.delete_request_validator(restApiId=api_id, requestValidatorId=validator["id"])
    with pytest.raises(ClientError) as excinfo:
        apigw.get_request_validator(restApiId=api_id, requestValidatorId=validator["id"])
    assert error_of(excinfo) == ("NotFoundException", "Invalid Request Validator identifier specified", 404)


def test_authorizers(apigw):
    api_id, root = new_api(apigw)
    uri = ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
           "arn:aws:lambda:us-east-1:000000000000:function:auth/invocations")
    authorizer = apigw.create_authorizer(restApiId=api_id, name="tok", type="TOKEN", authorizerUri=uri,
                                         identitySource="method.request.header.Authorization")
    assert authorizer["authorizerResultTtlInSeconds"] == 300
    pool = apigw.create_authorizer(restApiId=api_id, name="pool", type="COGNITO_USER_POOLS",
                                   providerARNs=["arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_x"])
    assert pool["identitySource"] == "method.request.header.Authorization"
    with pytest.raises(ClientError) as excinfo:
        apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="CUSTOM")
    assert excinfo.value.response["Error"]["Code"] == "BadRequestException"
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="CUSTOM",
                     authorizerId=authorizer["id"])
    changed = apigw.update_authorizer(restApiId=api_id, authorizerId=authorizer["id"], patchOperations=[
        {"op": "replace", "path": "/authorizerResultTtlInSeconds", "value": "60"}])
    assert changed["authorizerResultTtlInSeconds"] == 60
    with pytest.raises(ClientError) as excinfo:
        apigw.get_authorizer(restApiId=api_id, authorizerId="nope00")
    assert error_of(excinfo) == ("NotFoundException", "Invalid Authorizer identifier specified", 404)
    assert len(apigw.get_authorizers(restApiId=api_id)["items"]) == 2


def test_gateway_responses(apigw):
    api_id, _ = new_api(apigw)
    default = apigw.get_gateway_response(restApiId=api_id, responseType="UNAUTHORIZED")
    assert default["statusCode"] == "401" and default["defaultResponse"] is True
    assert default["responseTemplates"] == {"application/json": '{"message":$context.error.messageString}'}
    apigw.put_gateway_response(restApiId=api_id, responseType="DEFAULT_4XX",
                               responseParameters={"gatewayresponse.header.X-Err": "'1'"})
    updated = apigw.update_gateway_response(restApiId=api_id, responseType="DEFAULT_4XX", patchOperations=[
        {"op": "add", "path": "/responseTemplates/application~1json", "value": '{"m": $context.error.messageString}'}])
    assert updated["responseTemplates"]["application/json"] == '{"m": $context.error.messageString}'
    apigw.delete_gateway_response(restApiId=api_id, responseType="DEFAULT_4XX")
    with pytest.raises(ClientError) as excinfo:
        apigw.put_gateway_response(restApiId=api_id, responseType="NOT_A_TYPE")
    assert excinfo.value.response["Error"]["Code"] in ("BadRequestException", "ValidationException")


def test_api_keys_and_usage_plans(apigw):
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root)
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    key = apigw.create_api_key(name="client-a", enabled=True, tags={"team": "a"})
    assert len(key["value"]) >= 20
    assert "value" not in apigw.get_api_key(apiKey=key["id"])
    assert apigw.get_api_key(apiKey=key["id"], includeValue=True)["value"] == key["value"]
    assert key["id"] in [k["id"] for k in apigw.get_api_keys(nameQuery="client-")["items"]]
    disabled = apigw.update_api_key(apiKey=key["id"], patchOperations=[{"op": "replace", "path": "/enabled",
                                                                       "value": "false"}])
    assert disabled["enabled"] is False
    with pytest.raises(ClientError) as excinfo:
        apigw.get_api_key(apiKey="nope")
    assert error_of(excinfo) == ("NotFoundException", "Invalid API Key identifier specified", 404)
    plan = apigw.create_usage_plan(name="basic", apiStages=[{"apiId": api_id, "stage": "dev"}],
                                   throttle={"rateLimit": 10, "burstLimit": 5},
                                   quota={"limit": 100, "period": "MONTH"})
    assert plan["quota"] == {"limit": 100, "period": "MONTH"}
    plan_key = apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert plan_key == {**plan_key, "id": key["id"], "type": "API_KEY", "name": "client-a"}
    assert [k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]] == [key["id"]]
    changed = apigw.update_usage_plan(usagePlanId=plan["id"], patchOperations=[
        {"op": "replace", "path": "/throttle/rateLimit", "value": "20"},
        {"op": "remove", "path": "/apiStages", "value": f"{api_id}:dev"}])
    assert changed["throttle"]["rateLimit"] == 20.0 and changed["apiStages"] == []
    with pytest.raises(ClientError) as excinfo:
        apigw.create_usage_plan(name="bad", apiStages=[{"apiId": api_id, "stage": "nope"}])
    assert excinfo.value.response["Error"]["Code"] == "BadRequestException"
    with pytest.raises(ClientError) as excinfo:
        apigw.get_usage_plan(usagePlanId="nope")
    assert error_of(excinfo) == ("NotFoundException", "Invalid Usage Plan ID specified", 404)
    apigw.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
    apigw.delete_usage_plan(usagePlanId=plan["id"])
    apigw.delete_api_key(apiKey=key["id"])


def test_tags(apigw):
    api = apigw.create_rest_api(name="tagged", tags={"a": "1"})
    arn = f"arn:aws:apigateway:us-east-1::/restapis/{api['id']}"
    apigw.tag_resource(resourceArn=arn, tags={"b": "2"})
    assert apigw.get_tags(resourceArn=arn)["tags"] == {"a": "1", "b": "2"}
    apigw.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert apigw.get_tags(resourceArn=arn)["tags"] == {"b": "2"}


def test_import_api_keys_from_csv(apigw):
    csv = "name,key,description,enabled\nimported-a,importedkey0123456789ab,first,true\n"
    result = apigw.import_api_keys(body=csv.encode(), format="csv")
    assert len(result["ids"]) == 1
    key = apigw.get_api_key(apiKey=result["ids"][0], includeValue=True)
    assert key["name"] == "imported-a" and key["value"] == "importedkey0123456789ab" and key["enabled"] is True
