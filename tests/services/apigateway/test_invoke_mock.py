"""The invoke pipeline with MOCK integrations: routing, passthrough behaviour, request validation,
parameter and response mappings, gateway responses, API keys and usage plans, the stage cache."""

from __future__ import annotations

import json
import uuid

from tests.services.apigateway.conftest import call, mock_method, new_api


def deploy(apigw, api_id: str, stage: str = "dev", **extra) -> None:
    apigw.create_deployment(restApiId=api_id, stageName=stage, **extra)


def test_routing_prefers_literal_then_param_then_greedy(apigw, server):
    api_id, root = new_api(apigw)
    pets = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")["id"]
    pet = apigw.create_resource(restApiId=api_id, parentId=pets, pathPart="{petId}")["id"]
    mine = apigw.create_resource(restApiId=api_id, parentId=pets, pathPart="mine")["id"]
    proxy = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    mock_method(apigw, api_id, pet, response_template='{"route": "pet", "id": "$input.params(\'petId\')"}')
    mock_method(apigw, api_id, mine, response_template='{"route": "mine"}')
    mock_method(apigw, api_id, proxy, verb="ANY",
                response_template='{"route": "proxy", "rest": "$input.params(\'proxy\')", '
                                  '"method": "$context.httpMethod", "resource": "$context.resourcePath"}')
    deploy(apigw, api_id)
    assert call(server, api_id, "dev", "/pets/42").json() == {"route": "pet", "id": "42"}
    assert call(server, api_id, "dev", "/pets/mine").json() == {"route": "mine"}
    # Path parameters come as the request sent them, not URL-decoded (REST APIs: LocalStack's
    # AWS-validated test_lambda_aws_proxy_integration keeps %2B; serverless/serverless#5037 sees %40).
    assert call(server, api_id, "dev", "/pets/a%20b").json() == {"route": "pet", "id": "a%20b"}
    assert call(server, api_id, "dev", "/pets/42/toys/1", method="DELETE").json() == {
        "route": "proxy", "rest": "pets/42/toys/1", "method": "DELETE", "resource": "/{proxy+}"}
    # POST /pets/42 has no method on /pets/{petId}: the greedy ANY takes it
    assert call(server, api_id, "dev", "/pets/42", method="POST", body="{}").json()["route"] == "proxy"


def test_deployment_is_a_snapshot(apigw, server):
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root, response_template='{"v": 1}')
    deploy(apigw, api_id)
    apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": '{"v": 2}'})
    assert call(server, api_id, "dev", "/").json() == {"v": 1}
    deploy(apigw, api_id)
    assert call(server, api_id, "dev", "/").json() == {"v": 2}


def test_passthrough_behaviours(apigw, server):
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root, verb="POST", response_template='{"ok": true}')
    deploy(apigw, api_id)
    # WHEN_NO_MATCH: an unmatched content type passes through (a mock without statusCode gives 200)
    assert call(server, api_id, "dev", "/", "POST", "hello", {"Content-Type": "text/plain"}).status == 200
    apigw.update_integration(restApiId=api_id, resourceId=root, httpMethod="POST", patchOperations=[
        {"op": "replace", "path": "/passthroughBehavior", "value": "WHEN_NO_TEMPLATES"}])
    deploy(apigw, api_id)
    answer = call(server, api_id, "dev", "/", "POST", "hello", {"Content-Type": "text/plain"})
    assert answer.status == 415
    assert answer.json() == {"message": "Unsupported Media Type"}
    assert call(server, api_id, "dev", "/", "POST", "{}", {"Content-Type": "application/json"}).status == 200


def test_request_validation(apigw, server):
    api_id, root = new_api(apigw)
    apigw.create_model(restApiId=api_id, name="Pet", contentType="application/json", schema=json.dumps({
        "$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "required": ["name"],
        "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}}}))
    validator = apigw.create_request_validator(restApiId=api_id, name="all", validateRequestBody=True,
                                               validateRequestParameters=True)["id"]
    mock_method(apigw, api_id, root, verb="POST", response_template='{"ok": true}',
                requestValidatorId=validator, requestModels={"application/json": "Pet"},
                requestParameters={"method.request.querystring.owner": True, "method.request.header.X-Id": True})
    deploy(apigw, api_id)
    good = {"Content-Type": "application/json", "X-Id": "1"}
    assert call(server, api_id, "dev", "/?owner=me", "POST", '{"name": "Rex"}', good).status == 200
    missing = call(server, api_id, "dev", "/", "POST", '{"name": "Rex"}', {"Content-Type": "application/json"})
    assert missing.status == 400
    # listed by full parameter name, header before querystring, whatever order they were added in
    assert missing.json() == {"message": "Missing required request parameters: [X-Id, owner]"}
    bad_body = call(server, api_id, "dev", "/?owner=me", "POST", '{"age": -1}', good)
    assert bad_body.status == 400
    assert bad_body.json() == {"message": "Invalid request body"}


def test_mappings_context_and_response_override(apigw, server):
    api_id, root = new_api(apigw)
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
                              responseParameters={"method.response.header.X-Static": False,
                                                  "method.response.header.X-Echo": False})
    template = ('#set($context.responseOverride.header.X-Override = "yes")'
                '#if($input.params("fail") == "1")#set($context.responseOverride.status = 418)#end'
                '{"stage": "$context.stage", "color": "$stageVariables.color", "api": "$context.apiId"}')
    apigw.put_integration_response(
        restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
        responseParameters={"method.response.header.X-Static": "'fixed'",
                            "method.response.header.X-Echo": "method.request.querystring.echo"},
        responseTemplates={"application/json": template})
    deploy(apigw, api_id, variables={"color": "green"})
    answer = call(server, api_id, "dev", "/?echo=hi")
    assert answer.status == 200
    assert answer.json() == {"stage": "dev", "color": "green", "api": api_id}
    assert answer.headers["x-static"] == "fixed" and answer.headers["x-echo"] == "hi"
    assert answer.headers["x-override"] == "yes"
    assert call(server, api_id, "dev", "/?fail=1").status == 418


def test_no_matching_integration_response_is_500(apigw, server):
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root, request_template='{"statusCode": 404}', response_template="{}")
    apigw.update_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
                                      patchOperations=[{"op": "replace", "path": "/selectionPattern",
                                                        "value": "2\\d{2}"}])
    deploy(apigw, api_id)
    answer = call(server, api_id, "dev", "/")
    assert answer.status == 500
    assert answer.json() == {"message": "Internal server error"}


def test_customized_gateway_response(apigw, server):
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root)
    apigw.put_gateway_response(restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN", statusCode="404",
                               responseParameters={"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"},
                               responseTemplates={"application/json":
                                                  '{"error": $context.error.messageString, '
                                                  '"type": "$context.error.responseType"}'})
    deploy(apigw, api_id)
    answer = call(server, api_id, "dev", "/missing")
    assert answer.status == 404
    assert answer.headers["access-control-allow-origin"] == "*"
    assert answer.json() == {"error": "Missing Authentication Token", "type": "MISSING_AUTHENTICATION_TOKEN"}
    listed = {r["responseType"]: r for r in apigw.get_gateway_responses(restApiId=api_id)["items"]}
    assert listed["MISSING_AUTHENTICATION_TOKEN"]["defaultResponse"] is False
    assert listed["THROTTLED"]["statusCode"] == "429" and listed["THROTTLED"]["defaultResponse"] is True


def test_cors_options_method(apigw, server):
    api_id, root = new_api(apigw)
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="OPTIONS", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="OPTIONS", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    headers = ["Access-Control-Allow-Headers", "Access-Control-Allow-Methods", "Access-Control-Allow-Origin"]
    apigw.put_method_response(restApiId=api_id, resourceId=root, httpMethod="OPTIONS", statusCode="200",
                              responseParameters={f"method.response.header.{h}": False for h in headers})
    apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="OPTIONS", statusCode="200",
                                   responseParameters={
                                       "method.response.header.Access-Control-Allow-Headers": "'Content-Type,X-Api-Key'",
                                       "method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS'",
                                       "method.response.header.Access-Control-Allow-Origin": "'*'"},
                                   responseTemplates={"application/json": ""})
    deploy(apigw, api_id)
    answer = call(server, api_id, "dev", "/", "OPTIONS")
    assert answer.status == 200 and answer.body == b""
    assert answer.headers["access-control-allow-methods"] == "GET,OPTIONS"
    assert answer.headers["access-control-allow-origin"] == "*"


def test_api_keys_usage_plans_and_quota(apigw, server):
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root, response_template='{"key": "$context.identity.apiKeyId"}', apiKeyRequired=True)
    deploy(apigw, api_id)
    key = apigw.create_api_key(name="k", enabled=True, value="abcdefghij0123456789abcd")
    plan = apigw.create_usage_plan(name="p", apiStages=[{"apiId": api_id, "stage": "dev"}],
                                   quota={"limit": 2, "period": "DAY"})
    assert call(server, api_id, "dev", "/").status == 403
    assert call(server, api_id, "dev", "/").json() == {"message": "Forbidden"}
    key_header = {"x-api-key": key["value"]}
    assert call(server, api_id, "dev", "/", headers=key_header).status == 403  # not in a plan yet
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    first = call(server, api_id, "dev", "/", headers=key_header)
    assert first.status == 200 and first.json() == {"key": key["id"]}
    assert call(server, api_id, "dev", "/", headers=key_header).status == 200
    over = call(server, api_id, "dev", "/", headers=key_header)
    assert over.status == 429 and over.json() == {"message": "Limit Exceeded"}
    import datetime as dt

    today = dt.datetime.now(dt.UTC).date().isoformat()
    usage = apigw.get_usage(usagePlanId=plan["id"], startDate=today, endDate=today)
    assert usage["items"][key["id"]] == [[2, 0]]
    assert call(server, api_id, "dev", "/", headers={"x-api-key": "wrong" * 5}).status == 403
    granted = apigw.update_usage(usagePlanId=plan["id"], keyId=key["id"], patchOperations=[
        {"op": "replace", "path": f"/keys/{key['id']}/remaining", "value": "1"}])
    assert granted["items"][key["id"]] == [[1, 1]]
    assert call(server, api_id, "dev", "/", headers=key_header).status == 200
    assert call(server, api_id, "dev", "/", headers=key_header).status == 429


def test_usage_plan_throttle(apigw, server):
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root, response_template="{}", apiKeyRequired=True)
    deploy(apigw, api_id)
    key = apigw.create_api_key(name="t", enabled=True)
    plan = apigw.create_usage_plan(name="t", apiStages=[{"apiId": api_id, "stage": "dev"}],
                                   throttle={"rateLimit": 0.001, "burstLimit": 1})
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    headers = {"x-api-key": key["value"]}
    assert call(server, api_id, "dev", "/", headers=headers).status == 200
    throttled = call(server, api_id, "dev", "/", headers=headers)
    assert throttled.status == 429 and throttled.json() == {"message": "Too Many Requests"}
    assert throttled.headers["x-amzn-errortype"] == "TooManyRequestsException"


def test_stage_cache_and_flush(apigw, server):
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root, response_template='{"id": "$context.requestId"}')
    deploy(apigw, api_id)
    apigw.update_stage(restApiId=api_id, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"},
        {"op": "replace", "path": "/*/*/caching/enabled", "value": "true"}])
    first = call(server, api_id, "dev", "/").json()
    assert call(server, api_id, "dev", "/").json() == first
    fresh = call(server, api_id, "dev", "/", headers={"Cache-Control": "max-age=0"}).json()
    assert fresh != first
    apigw.flush_stage_cache(restApiId=api_id, stageName="dev")
    assert call(server, api_id, "dev", "/").json() not in (first, fresh)


def test_canary_deployment(apigw, server):
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root, response_template='{"v": "$stageVariables.v"}')
    deploy(apigw, api_id, variables={"v": "stable"})
    apigw.create_deployment(restApiId=api_id, stageName="dev", canarySettings={
        "percentTraffic": 100.0, "stageVariableOverrides": {"v": "canary"}})
    stage = apigw.get_stage(restApiId=api_id, stageName="dev")
    assert stage["canarySettings"]["deploymentId"] != stage["deploymentId"]
    assert call(server, api_id, "dev", "/").json() == {"v": "canary"}
    apigw.update_stage(restApiId=api_id, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "0"}])
    assert call(server, api_id, "dev", "/").json() == {"v": "stable"}


def test_usage_plan_method_throttle(apigw, server):
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root, response_template="{}", apiKeyRequired=True)
    mock_method(apigw, api_id, root, verb="POST", response_template="{}", apiKeyRequired=True)
    deploy(apigw, api_id)
    key = apigw.create_api_key(name="m", enabled=True)
    plan = apigw.create_usage_plan(name="m", apiStages=[{"apiId": api_id, "stage": "dev", "throttle": {
        "/GET": {"rateLimit": 0.001, "burstLimit": 1}}}])
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    headers = {"x-api-key": key["value"]}
    assert [call(server, api_id, "dev", "/", headers=headers).status for _ in range(2)] == [200, 429]
    assert call(server, api_id, "dev", "/", "POST", "{}", headers).status == 200  # other methods are not limited


def test_access_logs_reach_cloudwatch_logs(apigw, client_factory, server):
    import time

    logs = client_factory("logs")
    group = f"/apigw/access-{uuid.uuid4().hex[:6]}"
    logs.create_log_group(logGroupName=group)
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root, response_template="{}")
    deploy(apigw, api_id)
    apigw.update_stage(restApiId=api_id, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/destinationArn",
         "value": f"arn:aws:logs:us-east-1:000000000000:log-group:{group}"},
        {"op": "replace", "path": "/accessLogSettings/format",
         "value": "$context.httpMethod $context.resourcePath $context.status $context.identity.sourceIp"}])
    assert call(server, api_id, "dev", "/").status == 200
    messages: list[str] = []
    for _ in range(50):
        messages = [e["message"] for e in logs.filter_log_events(logGroupName=group).get("events", [])]
        if messages:
            break
        time.sleep(0.1)
    assert messages == ["GET / 200 127.0.0.1"]


def test_stage_cache_keys_on_cache_key_parameters(apigw, server):
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root, response_template='{"id": "$input.params(\'id\')", "request": "$context.requestId"}',
                requestParameters={"method.request.querystring.id": False})
    apigw.update_integration(restApiId=api_id, resourceId=root, httpMethod="GET", patchOperations=[
        {"op": "add", "path": "/cacheKeyParameters/method.request.querystring.id"}])
    deploy(apigw, api_id)
    apigw.update_stage(restApiId=api_id, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"},
        {"op": "replace", "path": "/*/*/caching/enabled", "value": "true"}])
    one = call(server, api_id, "dev", "/?id=1").json()
    two = call(server, api_id, "dev", "/?id=2").json()
    assert (one["id"], two["id"]) == ("1", "2")  # a different key value is a different entry
    assert call(server, api_id, "dev", "/?id=1").json() == one  # the same value is served from the cache
    assert call(server, api_id, "dev", "/?id=2").json() == two


def test_request_validation_follows_references_to_other_models(apigw, server):
    """LocalStack's AWS-validated test_api_gateway_request_validator_with_ref_models: a model may
    refer to another of the API's models by its URL, oneOf included."""
    api_id, root = new_api(apigw)
    apigw.create_model(restApiId=api_id, name="Address", contentType="application/json", schema=json.dumps({
        "$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "required": ["city"],
        "properties": {"city": {"type": "string"}}}))
    ref = f"https://apigateway.amazonaws.com/restapis/{api_id}/models/Address"
    apigw.create_model(restApiId=api_id, name="Person", contentType="application/json", schema=json.dumps({
        "$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "required": ["home"],
        "properties": {"home": {"$ref": ref}, "work": {"oneOf": [{"$ref": ref}, {"type": "null"}]}}}))
    validator = apigw.create_request_validator(restApiId=api_id, name="body", validateRequestBody=True)["id"]
    mock_method(apigw, api_id, root, verb="POST", response_template='{"data": "ok"}',
                requestValidatorId=validator, requestModels={"application/json": "Person"})
    deploy(apigw, api_id)
    headers = {"Content-Type": "application/json"}
    ok = call(server, api_id, "dev", "/", "POST", '{"home": {"city": "Delft"}, "work": null}', headers)
    assert (ok.status, ok.json()) == (200, {"data": "ok"})
    bad = call(server, api_id, "dev", "/", "POST", '{"home": {"town": "Delft"}}', headers)
    assert (bad.status, bad.json()) == (400, {"message": "Invalid request body"})
    bad = call(server, api_id, "dev", "/", "POST", '{"home": {"city": "Delft"}, "work": 5}', headers)
    assert bad.status == 400


def test_authorization_type_in_any_case_and_integration_shapes(apigw):
    """LocalStack's AWS-validated test_put_integration_responses: "none" is NONE; an AWS
    integration shows no connectionType; an empty responseTemplates map is kept."""
    api_id, root = new_api(apigw)
    method = apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="PUT", authorizationType="none")
    assert method["authorizationType"] == "NONE"
    integration = apigw.put_integration(
        restApiId=api_id, resourceId=root, httpMethod="PUT", type="AWS", integrationHttpMethod="POST",
        uri="arn:aws:apigateway:us-east-1:sqs:action/SendMessage")
    assert "connectionType" not in integration
    answer = apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="PUT", statusCode="200",
                                            responseTemplates={})
    assert answer["responseTemplates"] == {}


def test_missing_parameters_are_listed_as_aws_lists_them(apigw, server):
    """LocalStack's AWS-validated test_api_gateway_request_validator: a path parameter the
    resource path lacks, a query string and a header, added in that order, are reported as
    "[x-header-param, issuer, qs1]"."""
    api_id, root = new_api(apigw)
    validator = apigw.create_request_validator(restApiId=api_id, name="params", validateRequestParameters=True)["id"]
    mock_method(apigw, api_id, root, verb="POST", response_template="{}", requestValidatorId=validator,
                requestParameters={"method.request.path.issuer": True, "method.request.querystring.qs1": True,
                                   "method.request.header.x-header-param": True})
    deploy(apigw, api_id)
    answer = call(server, api_id, "dev", "/", "POST", "{}", {"Content-Type": "application/json"})
    assert (answer.status, answer.json()) == (400, {"message": "Missing required request parameters: "
                                                               "[x-header-param, issuer, qs1]"})
    only_qs = call(server, api_id, "dev", "/", "POST", "{}", {"Content-Type": "application/json",
                                                              "x-header-param": "v"})
    assert only_qs.json() == {"message": "Missing required request parameters: [issuer, qs1]"}
