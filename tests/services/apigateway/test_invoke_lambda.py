"""Lambda integrations over HTTP: AWS_PROXY ({proxy+}, ANY, payload format 1.0, malformed
answers), AWS non-proxy (templates, errorMessage mapped by selectionPattern), and Lambda
TOKEN/REQUEST authorizers."""

from __future__ import annotations

import http.client
import json

import boto3
import pytest

from tests.services.apigateway.conftest import allow_apigateway, call, mock_method, new_api
from tests.services.lambda_.helpers import create_python

PROXY_SOURCE = '''
import json, base64
def handler(event, context):
    if event["path"].endswith("/malformed"):
        return {"statusCode": 200, "body": {"not": "a string"}}
    if event["path"].endswith("/garbage"):
        return "not an object"
    if event["path"].endswith("/crash"):
        raise RuntimeError("boom")
    if event["path"].endswith("/binary"):
        return {"statusCode": 200, "headers": {"Content-Type": "image/png"},
                "body": base64.b64encode(b"\\x89PNG").decode(), "isBase64Encoded": True}
    return {"statusCode": 201, "headers": {"X-Fn": "yes"}, "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": json.dumps(event)}
'''

NON_PROXY_SOURCE = '''
def handler(event, context):
    if event.get("fail") == "missing":
        raise Exception("NotFound: no such pet " + str(event.get("id")))
    if event.get("fail") == "other":
        raise Exception("something else")
    return {"id": event.get("id"), "name": "Rex", "tags": ["a", "b"]}
'''

AUTHORIZER_SOURCE = '''
def handler(event, context):
    token = event.get("authorizationToken") or (event.get("headers") or {}).get("X-Token")
    if token == "deny":
        effect = "Deny"
    elif token in ("allow", "Bearer allow"):
        effect = "Allow"
    else:
        raise Exception("Unauthorized")
    return {"principalId": "user-1",
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]},
            "context": {"team": "blue", "level": 3, "admin": True}}
'''


@pytest.fixture(scope="module")
def lam(client_factory):
    return client_factory("lambda")


def lambda_uri(lam, name: str) -> str:
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    return f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"


@pytest.fixture(scope="module")
def proxy_api(apigw, lam):
    name = create_python(lam, PROXY_SOURCE, handler="lambda_function.handler")
    api_id, root = new_api(apigw, binaryMediaTypes=["image/png"])
    proxy = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    apigw.put_method(restApiId=api_id, resourceId=proxy, httpMethod="ANY", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=proxy, httpMethod="ANY", type="AWS_PROXY",
                          integrationHttpMethod="POST", uri=lambda_uri(lam, name))
    allow_apigateway(lam, name, api_id, "*/*/*")
    apigw.create_deployment(restApiId=api_id, stageName="live", variables={"env": "test"})
    return api_id, proxy


def test_proxy_event_keeps_repeated_headers_apart(proxy_api, server):
    api_id, _ = proxy_api
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.putrequest("GET", "/live/pets", skip_host=True)
    connection.putheader("Host", f"{api_id}.execute-api.localhost:{server.port}")
    connection.putheader("X-Multi", "first")
    connection.putheader("X-Multi", "second")
    connection.endheaders()
    response = connection.getresponse()
    event = json.loads(response.read())
    connection.close()
    assert response.status == 201
    assert event["multiValueHeaders"]["X-Multi"] == ["first", "second"]
    assert event["headers"]["X-Multi"] == "second"


def test_proxy_event_header_names(proxy_api, server):
    """Names arrive as the client wrote them, except Authorization, which AWS Pascal-cases
    (LocalStack's AWS-validated test_lambda_aws_proxy_integration: 'authorization' and
    'aUThorization' arrive as Authorization, 'tEsT-HEADeR' as sent)."""
    api_id, _ = proxy_api
    event = call(server, api_id, "live", "/pets", "GET", None,
                 {"tEsT-HEADeR": "aValUE", "aUThorization": "Bearer token123"}).json()
    assert event["headers"]["tEsT-HEADeR"] == "aValUE" and event["multiValueHeaders"]["tEsT-HEADeR"] == ["aValUE"]
    assert event["headers"]["Authorization"] == "Bearer token123"
    assert event["multiValueHeaders"]["Authorization"] == ["Bearer token123"]
    assert "aUThorization" not in event["headers"] and "aUThorization" not in event["multiValueHeaders"]


def test_proxy_event_has_every_field(proxy_api, server):
    api_id, proxy_id = proxy_api
    answer = call(server, api_id, "live", "/pets/7?a=1&a=2&b=x", "PUT", '{"hello": "world"}',
                  {"Content-Type": "application/json", "X-Custom": "v"})
    assert answer.status == 201
    assert answer.headers["x-fn"] == "yes"
    event = answer.json()
    assert event["resource"] == "/{proxy+}" and event["path"] == "/pets/7" and event["httpMethod"] == "PUT"
    # Header names arrive as the client wrote them.
    assert event["headers"]["X-Custom"] == "v" and "x-custom" not in event["headers"]
    assert event["multiValueHeaders"]["X-Custom"] == ["v"]
    assert event["queryStringParameters"] == {"a": "2", "b": "x"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x"]}
    assert event["pathParameters"] == {"proxy": "pets/7"}
    assert event["stageVariables"] == {"env": "test"}
    assert event["body"] == '{"hello": "world"}' and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["resourceId"] == proxy_id and context["resourcePath"] == "/{proxy+}"
    assert context["stage"] == "live" and context["apiId"] == api_id and context["path"] == "/live/pets/7"
    assert context["httpMethod"] == "PUT" and context["protocol"] == "HTTP/1.1"
    assert context["accountId"] == "000000000000" and context["identity"]["sourceIp"] == "127.0.0.1"
    for key in ("requestId", "extendedRequestId", "requestTime", "requestTimeEpoch", "domainName", "domainPrefix"):
        assert context[key]


def test_proxy_empty_parts_are_null(proxy_api, server):
    event = call(server, proxy_api[0], "live", "/x").json()
    assert event["queryStringParameters"] is None and event["multiValueQueryStringParameters"] is None
    assert event["body"] is None


def test_proxy_binary_response(proxy_api, server):
    answer = call(server, proxy_api[0], "live", "/binary")
    assert answer.status == 200 and answer.body == b"\x89PNG"
    assert answer.headers["content-type"] == "image/png"


@pytest.mark.parametrize("path", ["/malformed", "/garbage", "/crash"])
def test_malformed_proxy_answers_are_502(proxy_api, server, path):
    answer = call(server, proxy_api[0], "live", path)
    assert answer.status == 502
    assert answer.body == b'{"message": "Internal server error"}'


def test_non_proxy_lambda_with_templates_and_error_patterns(apigw, lam, server):
    name = create_python(lam, NON_PROXY_SOURCE, handler="lambda_function.handler")
    api_id, root = new_api(apigw)
    pet = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{id}")["id"]
    apigw.put_method(restApiId=api_id, resourceId=pet, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=pet, httpMethod="GET", type="AWS", integrationHttpMethod="POST",
                          uri=lambda_uri(lam, name), requestTemplates={"application/json":
                              '{"id": "$input.params(\'id\')", "fail": "$input.params(\'fail\')"}'})
    for code in ("200", "404", "500"):
        apigw.put_method_response(restApiId=api_id, resourceId=pet, httpMethod="GET", statusCode=code)
    apigw.put_integration_response(restApiId=api_id, resourceId=pet, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json":
                                                      '#set($p = $input.path(\'$\'))'
                                                      '{"pet": "$p.name #$p.id", "tags": "$p.tags"}'})
    apigw.put_integration_response(restApiId=api_id, resourceId=pet, httpMethod="GET", statusCode="404",
                                   selectionPattern="NotFound:.*",
                                   responseTemplates={"application/json":
                                                      '{"error": "$input.path(\'$.errorMessage\')"}'})
    apigw.put_integration_response(restApiId=api_id, resourceId=pet, httpMethod="GET", statusCode="500",
                                   selectionPattern=".+", responseTemplates={"application/json": '{"error": "failed"}'})
    allow_apigateway(lam, name, api_id, "dev/GET/{id}")
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    ok = call(server, api_id, "dev", "/7")
    assert ok.status == 200 and ok.json() == {"pet": "Rex #7", "tags": "[a, b]"}
    missing = call(server, api_id, "dev", "/8?fail=missing")
    assert missing.status == 404 and missing.json() == {"error": "NotFound: no such pet 8"}
    other = call(server, api_id, "dev", "/9?fail=other")
    assert other.status == 500 and other.json() == {"error": "failed"}


@pytest.mark.parametrize("kind", ["TOKEN", "REQUEST"])
def test_lambda_authorizers(apigw, lam, server, kind):
    name = create_python(lam, AUTHORIZER_SOURCE, handler="lambda_function.handler")
    api_id, root = new_api(apigw)
    source = "method.request.header.Authorization" if kind == "TOKEN" else "method.request.header.X-Token"
    authorizer = apigw.create_authorizer(restApiId=api_id, name="auth", type=kind, authorizerUri=lambda_uri(lam, name),
                                         identitySource=source, authorizerResultTtlInSeconds=0)
    allow_apigateway(lam, name, api_id, f"authorizers/{authorizer['id']}")
    mock_method(apigw, api_id, root, authorizationType="CUSTOM", authorizerId=authorizer["id"],
                response_template='{"principal": "$context.authorizer.principalId", '
                                  '"team": "$context.authorizer.team", '
                                  '"level": "$context.authorizer.level", '
                                  '"admin": "$context.authorizer.admin"}')
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    header = "Authorization" if kind == "TOKEN" else "X-Token"
    allowed = call(server, api_id, "dev", "/", headers={header: "allow"})
    assert allowed.status == 200
    assert allowed.json() == {"principal": "user-1", "team": "blue", "level": "3", "admin": "true"}
    denied = call(server, api_id, "dev", "/", headers={header: "deny"})
    assert denied.status == 403
    assert json.loads(denied.body) == {"Message": "User is not authorized to access this resource with an explicit deny"}
    unknown = call(server, api_id, "dev", "/", headers={header: "who"})
    assert unknown.status == 401 and unknown.json() == {"message": "Unauthorized"}
    missing = call(server, api_id, "dev", "/")
    assert missing.status == 401 and missing.json() == {"message": "Unauthorized"}


COUNTING_AUTHORIZER = '''
import os
CALLS = {"n": 0}
def handler(event, context):
    CALLS["n"] += 1
    return {"principalId": "p", "usageIdentifierKey": "usage-key-0123456789abcdef",
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow",
                 "Resource": event["methodArn"].rsplit("/", 2)[0] + "/*"}]},
            "context": {"calls": CALLS["n"]}}
'''


def test_authorizer_cache_flush_and_usage_identifier_key(apigw, lam, server):
    name = create_python(lam, COUNTING_AUTHORIZER, handler="lambda_function.handler")
    api_id, root = new_api(apigw, apiKeySource="AUTHORIZER")
    authorizer = apigw.create_authorizer(restApiId=api_id, name="auth", type="TOKEN", authorizerUri=lambda_uri(lam, name),
                                         identitySource="method.request.header.Authorization",
                                         authorizerResultTtlInSeconds=300)
    allow_apigateway(lam, name, api_id, "authorizers/*")
    mock_method(apigw, api_id, root, authorizationType="CUSTOM", authorizerId=authorizer["id"], apiKeyRequired=True,
                response_template='{"calls": "$context.authorizer.calls"}')
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    token = {"Authorization": "t1"}
    assert call(server, api_id, "dev", "/", headers=token).status == 403  # the authorizer's key is in no plan
    key = apigw.create_api_key(name="by-authorizer", enabled=True, value="usage-key-0123456789abcdef")
    plan = apigw.create_usage_plan(name="a", apiStages=[{"apiId": api_id, "stage": "dev"}])
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    first = call(server, api_id, "dev", "/", headers=token)
    assert first.status == 200
    assert call(server, api_id, "dev", "/", headers=token).json() == first.json()  # cached by token
    apigw.flush_stage_authorizers_cache(restApiId=api_id, stageName="dev")
    assert call(server, api_id, "dev", "/", headers=token).json() != first.json()
    tested = apigw.test_invoke_authorizer(restApiId=api_id, authorizerId=authorizer["id"],
                                          headers={"Authorization": "t2"})
    assert tested["clientStatus"] == 200 and tested["principalId"] == "p"
    assert json.loads(tested["policy"])["Statement"][0]["Effect"] == "Allow"
    assert apigw.test_invoke_authorizer(restApiId=api_id, authorizerId=authorizer["id"])["clientStatus"] == 401


def test_stage_variable_selects_lambda_alias(apigw, lam, server):
    source = 'def handler(event, context):\n    return {"statusCode": 200, "body": context.invoked_function_arn}\n'
    name = create_python(lam, source, handler="lambda_function.handler")
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="blue", FunctionVersion=version)
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    api_id, root = new_api(apigw)
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="AWS_PROXY",
                          integrationHttpMethod="POST",
                          uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}:"
                              "${stageVariables.alias}/invocations")
    apigw.create_deployment(restApiId=api_id, stageName="live", variables={"alias": "blue"})
    # The alias is what API Gateway invokes, so the alias's own policy must allow it.
    allow_apigateway(lam, name, api_id, "*/GET/")
    assert call(server, api_id, "live", "/").status == 500
    allow_apigateway(lam, name, api_id, "*/GET/", qualifier="blue")
    answer = call(server, api_id, "live", "/")
    assert answer.status == 200 and answer.text == f"{arn}:blue"


def test_token_failing_identity_validation_expression_is_refused_without_calling_the_authorizer(apigw, lam, server):
    name = create_python(lam, COUNTING_AUTHORIZER, handler="lambda_function.handler")
    api_id, root = new_api(apigw)
    authorizer = apigw.create_authorizer(restApiId=api_id, name="auth", type="TOKEN", authorizerUri=lambda_uri(lam, name),
                                         identitySource="method.request.header.Authorization",
                                         identityValidationExpression="^Bearer [a-z0-9]+$",
                                         authorizerResultTtlInSeconds=0)
    allow_apigateway(lam, name, api_id, "authorizers/*")
    mock_method(apigw, api_id, root, authorizationType="CUSTOM", authorizerId=authorizer["id"],
                response_template='{"calls": "$context.authorizer.calls"}')
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    refused = call(server, api_id, "dev", "/", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert refused.status == 401 and refused.json() == {"message": "Unauthorized"}
    # The function ran only for the token that matched: its first call is this one.
    assert call(server, api_id, "dev", "/", headers={"Authorization": "Bearer abc123"}).json() == {"calls": "1"}


def test_empty_response_template_passes_the_lambda_output_through(apigw, lam, server):
    # AWS stores an empty template as null however it is set (the Lambda-over-HTTPS tutorial
    # sets '{"application/json": ""}' and reads back null), and the function's output is returned.
    name = create_python(lam, NON_PROXY_SOURCE, handler="lambda_function.handler")
    api_id, root = new_api(apigw)
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="AWS", integrationHttpMethod="POST",
                          uri=lambda_uri(lam, name), requestTemplates={"application/json": '{"id": 3}'})
    apigw.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": ""})
    stored = apigw.get_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    assert stored["responseTemplates"] == {"application/json": None}
    # Set to a template and back to empty by a patch: null again.
    for value in ('{"x": 1}', ""):
        apigw.update_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
                                          patchOperations=[{"op": "replace", "path": "/responseTemplates/application~1json",
                                                            "value": value}])
    stored = apigw.get_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    assert stored["responseTemplates"] == {"application/json": None}
    allow_apigateway(lam, name, api_id, "dev/GET/")
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    answer = call(server, api_id, "dev", "/")
    assert answer.status == 200 and answer.json() == {"id": 3, "name": "Rex", "tags": ["a", "b"]}


def test_an_integration_may_name_a_function_in_another_region(apigw, server):
    # The URI names the function's Region; API Gateway invokes it there (the function's policy
    # still has to allow it, from there).
    west = boto3.client("lambda", endpoint_url=server.endpoint_url, region_name="us-west-2",
                        aws_access_key_id="test", aws_secret_access_key="test")
    name = create_python(west, "def handler(event, context):\n    return {'statusCode': 200, 'body': 'from the west'}\n")
    arn = west.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    assert ":us-west-2:" in arn
    api_id, root = new_api(apigw)
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="AWS_PROXY",
                          integrationHttpMethod="POST",
                          uri=f"arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/{arn}/invocations")
    apigw.create_deployment(restApiId=api_id, stageName="live")
    assert call(server, api_id, "live", "/").status == 500  # no permission yet
    west.add_permission(FunctionName=name, StatementId="apigw", Action="lambda:InvokeFunction",
                        Principal="apigateway.amazonaws.com",
                        SourceArn=f"arn:aws:execute-api:us-east-1:000000000000:{api_id}/*/GET/")
    answer = call(server, api_id, "live", "/")
    assert (answer.status, answer.body) == (200, b"from the west")


def test_proxy_path_parameters_stay_encoded_and_post_is_required(apigw, lam, server, proxy_api):
    """LocalStack's AWS-validated test_lambda_aws_proxy_integration: {proxy+} keeps %2B as sent;
    test_lambda_aws_proxy_integration_non_post_method: an AWS_PROXY integration whose method is
    not POST fails the call with 500."""
    api_id, _ = proxy_api
    event = call(server, api_id, "live", "/users/test%2Balias@gmail.com/profile").json()
    assert event["pathParameters"] == {"proxy": "users/test%2Balias@gmail.com/profile"}
    name = create_python(lam, PROXY_SOURCE, handler="lambda_function.handler")
    other, root = new_api(apigw)
    apigw.put_method(restApiId=other, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=other, resourceId=root, httpMethod="GET", type="AWS_PROXY",
                          integrationHttpMethod="GET", uri=lambda_uri(lam, name))
    allow_apigateway(lam, name, other, "*/*/*")
    apigw.create_deployment(restApiId=other, stageName="live")
    answer = call(server, other, "live", "/")
    assert (answer.status, answer.json()) == (500, {"message": "Internal server error"})
