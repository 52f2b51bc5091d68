"""Lambda resource policies decide whether API Gateway may invoke a function: without an
AddPermission for apigateway.amazonaws.com whose SourceArn matches the method's execute-api ARN,
the client gets 500 {"message": "Internal server error"}; a credentials role on the integration
is used instead of the policy."""

from __future__ import annotations

import pytest

from overcast.services.apigateway.invoke.permissions import arn_like
from tests.services.apigateway.conftest import allow_apigateway, call, mock_method, new_api
from tests.services.lambda_.helpers import create_python

SOURCE = 'def handler(event, context):\n    return {"statusCode": 200, "body": "hello " + event["path"]}\n'
DENIED = b'{"message": "Internal server error"}'


@pytest.fixture(scope="module")
def lam(client_factory):
    return client_factory("lambda")


@pytest.fixture(scope="module")
def function(lam):
    return create_python(lam, SOURCE, handler="lambda_function.handler")


def function_uri(lam, name: str) -> str:
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    return f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"


def pets_api(apigw, lam, function: str, stage: str = "live", **integration_extra) -> str:
    """GET /pets/{id} integrated as AWS_PROXY with `function`, deployed to `stage`."""
    api_id, root = new_api(apigw)
    pets = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")["id"]
    pet = apigw.create_resource(restApiId=api_id, parentId=pets, pathPart="{id}")["id"]
    apigw.put_method(restApiId=api_id, resourceId=pet, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=pet, httpMethod="GET", type="AWS_PROXY",
                          integrationHttpMethod="POST", uri=function_uri(lam, function), **integration_extra)
    apigw.create_deployment(restApiId=api_id, stageName=stage)
    return api_id


def test_denied_without_permission_then_allowed_then_denied_again(apigw, lam, function, server):
    api_id = pets_api(apigw, lam, function)
    denied = call(server, api_id, "live", "/pets/1")
    assert denied.status == 500 and denied.body == DENIED
    assert denied.headers["x-amzn-errortype"] == "InternalServerErrorException"
    allow_apigateway(lam, function, api_id, "live/GET/pets/*", statement_id=f"pets-{api_id}")
    allowed = call(server, api_id, "live", "/pets/1")
    assert allowed.status == 200 and allowed.text == "hello /pets/1"
    # RemovePermission takes effect at once: the decision is not kept past the policy it read.
    lam.remove_permission(FunctionName=function, StatementId=f"pets-{api_id}")
    assert call(server, api_id, "live", "/pets/1").status == 500


@pytest.mark.parametrize("route", ["*/*/*", "*", "live/*", "*/GET/pets/*", "live/GET/pets/{id}", "l?ve/GET/pets/1",
                                   "*/*/pets/1"])
def test_source_arn_wildcards_allow(apigw, lam, function, server, route):
    api_id = pets_api(apigw, lam, function)
    allow_apigateway(lam, function, api_id, route)
    answer = call(server, api_id, "live", "/pets/1")
    assert answer.status == 200, route


@pytest.mark.parametrize("route", ["prod/GET/pets/*", "*/POST/pets/*", "*/GET/cats/*", "*/GET/pets", "live/GET/pets/2",
                                   "authorizers/*"])
def test_wrong_source_arn_is_denied(apigw, lam, function, server, route):
    api_id = pets_api(apigw, lam, function)
    allow_apigateway(lam, function, api_id, route)
    answer = call(server, api_id, "live", "/pets/1")
    assert answer.status == 500 and answer.body == DENIED, route


def test_permission_for_another_api_or_account_is_denied(apigw, lam, function, server):
    api_id = pets_api(apigw, lam, function)
    other_api = pets_api(apigw, lam, function)
    allow_apigateway(lam, function, other_api, "*/*/*")
    assert call(server, other_api, "live", "/pets/1").status == 200
    assert call(server, api_id, "live", "/pets/1").status == 500
    lam.add_permission(FunctionName=function, StatementId=f"acct-{api_id}", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:us-east-1:111111111111:{api_id}/*/*/*")
    assert call(server, api_id, "live", "/pets/1").status == 500


def test_other_principal_is_denied(apigw, lam, function, server):
    api_id = pets_api(apigw, lam, function)
    lam.add_permission(FunctionName=function, StatementId=f"s3-{api_id}", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn=f"arn:aws:execute-api:us-east-1:000000000000:{api_id}/*")
    assert call(server, api_id, "live", "/pets/1").status == 500


def test_permission_without_source_arn_allows_every_api(apigw, lam, server):
    name = create_python(lam, SOURCE, handler="lambda_function.handler")
    first, second = pets_api(apigw, lam, name), pets_api(apigw, lam, name)
    allow_apigateway(lam, name, first, None)
    assert call(server, first, "live", "/pets/1").status == 200
    assert call(server, second, "live", "/pets/2").status == 200


def test_credentials_role_is_used_instead_of_the_policy(apigw, lam, function, server):
    api_id = pets_api(apigw, lam, function, credentials="arn:aws:iam::000000000000:role/apigateway-invoke")
    assert call(server, api_id, "live", "/pets/1").status == 200


def test_non_proxy_integration_is_denied_too(apigw, lam, server):
    name = create_python(lam, 'def handler(event, context):\n    return {"ok": True}\n',
                         handler="lambda_function.handler")
    api_id, root = new_api(apigw)
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="POST", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="POST", type="AWS", integrationHttpMethod="POST",
                          uri=function_uri(lam, name))
    apigw.put_method_response(restApiId=api_id, resourceId=root, httpMethod="POST", statusCode="200")
    apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="POST", statusCode="200")
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    denied = call(server, api_id, "dev", "/", "POST", "{}", {"Content-Type": "application/json"})
    assert denied.status == 500 and denied.body == DENIED
    allow_apigateway(lam, name, api_id, "dev/POST/")
    allowed = call(server, api_id, "dev", "/", "POST", "{}", {"Content-Type": "application/json"})
    assert allowed.status == 200 and allowed.json() == {"ok": True}


def test_test_invoke_method_reports_the_configuration_error(apigw, lam, function):
    api_id = pets_api(apigw, lam, function)
    pet = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/pets/{id}")
    denied = apigw.test_invoke_method(restApiId=api_id, resourceId=pet, httpMethod="GET", pathWithQueryString="/pets/3")
    assert denied["status"] == 500 and denied["body"] == DENIED.decode()
    assert "Execution failed due to configuration error: Invalid permissions on Lambda function" in denied["log"]
    # The console's test runs as stage "test-invoke-stage", which a */... permission covers.
    allow_apigateway(lam, function, api_id, "*/GET/pets/*")
    allowed = apigw.test_invoke_method(restApiId=api_id, resourceId=pet, httpMethod="GET", pathWithQueryString="/pets/3")
    assert allowed["status"] == 200 and allowed["body"] == "hello /pets/3"


def test_authorizer_without_permission_is_a_configuration_error(apigw, lam, server):
    source = ('def handler(event, context):\n    return {"principalId": "u", "policyDocument": {"Version": "2012-10-17",'
              ' "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}]}}\n')
    name = create_python(lam, source, handler="lambda_function.handler")
    api_id, root = new_api(apigw)
    authorizer = apigw.create_authorizer(restApiId=api_id, name="auth", type="TOKEN", authorizerUri=function_uri(lam, name),
                                         identitySource="method.request.header.Authorization",
                                         authorizerResultTtlInSeconds=0)
    mock_method(apigw, api_id, root, authorizationType="CUSTOM", authorizerId=authorizer["id"],
                response_template='{"ok": true}')
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    denied = call(server, api_id, "dev", "/", headers={"Authorization": "token"})
    assert denied.status == 500 and denied.json() == {"message": None}
    assert denied.headers["x-amzn-errortype"] == "AuthorizerConfigurationException"
    allow_apigateway(lam, name, api_id, f"authorizers/{authorizer['id']}")
    allowed = call(server, api_id, "dev", "/", headers={"Authorization": "token"})
    assert allowed.status == 200 and allowed.json() == {"ok": True}


@pytest.mark.parametrize(("pattern", "arn", "expected"), [
    ("arn:aws:execute-api:us-east-1:1:a/*", "arn:aws:execute-api:us-east-1:1:a/s/GET/x/y", True),
    ("arn:aws:execute-api:*:1:a/*/GET/*", "arn:aws:execute-api:eu-west-1:1:a/s/GET/x", True),
    ("arn:aws:execute-api:us-east-1:1:a/?/GET/", "arn:aws:execute-api:us-east-1:1:a/s/GET/", True),
    # A wildcard stays inside its part of the ARN: "*" does not stand for "us-east-1:1".
    ("arn:aws:execute-api:*:a/*", "arn:aws:execute-api:us-east-1:1:a/s/GET/", False),
    ("arn:aws:execute-api:us-east-1:1:a/s/GET/x", "arn:aws:execute-api:us-east-1:1:a/s/GET/x/y", False),
    ("arn:aws:execute-api:us-east-1:1:a/[s]/GET/", "arn:aws:execute-api:us-east-1:1:a/s/GET/", False),
])
def test_arn_like(pattern, arn, expected):
    assert arn_like(pattern, arn) is expected
