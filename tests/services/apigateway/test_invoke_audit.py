"""What a call to a deployed REST API returns, point by point against AWS: request ids and the
headers that carry them, $context.deploymentId, $input.body of a request without a body, and
the Lambda proxy event and response formats as AWS records them."""

from __future__ import annotations

import json
import re

import pytest

from tests.services.apigateway.conftest import allow_apigateway, call, mock_method, new_api
from tests.services.lambda_.helpers import create_python

# Answers with whatever proxy response the request's body spells; a path with /echo, the event.
RESPONSE_FROM_BODY = '''
import json
def handler(event, context):
    if "/echo" in event["path"]:
        return {"statusCode": 200, "body": json.dumps(event)}
    return json.loads(event["body"])
'''


@pytest.fixture(scope="module")
def lam(client_factory):
    return client_factory("lambda")


@pytest.fixture(scope="module")
def proxy_api(apigw, lam):
    """(api id, deployment id) of a {proxy+} ANY method on a function answering RESPONSE_FROM_BODY."""
    name = create_python(lam, RESPONSE_FROM_BODY, handler="lambda_function.handler")
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    api_id, root = new_api(apigw)
    proxy = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    apigw.put_method(restApiId=api_id, resourceId=proxy, httpMethod="ANY", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=proxy, httpMethod="ANY", type="AWS_PROXY",
                          integrationHttpMethod="POST",
                          uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations")
    allow_apigateway(lam, name, api_id, "*/*/*")
    deployment = apigw.create_deployment(restApiId=api_id, stageName="test")["id"]
    return api_id, deployment


# -- request ids --------------------------------------------------------------------------------

# x-amz-apigw-id as AWS sends it, e.g. "OPwe_ErKvHcF5ZA=" (aws/chalice#12), "IvSaAHrroAMEnLg=".
_APIGW_ID = re.compile(r"[A-Za-z0-9_-]{15}=")


def test_extended_request_id_is_the_apigw_id_header_in_aws_form(apigw, server):
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root,
                response_template='{"ext": "$context.extendedRequestId", "rid": "$context.requestId"}')
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    answer = call(server, api_id, "dev", "/")
    assert answer.status == 200
    ids = answer.json()
    assert _APIGW_ID.fullmatch(answer.headers["x-amz-apigw-id"])
    assert ids["ext"] == answer.headers["x-amz-apigw-id"]
    assert ids["rid"] == answer.headers["x-amzn-requestid"] and ids["rid"] != ids["ext"]
    # Failures carry it too, as in the MissingAuthenticationTokenException answer of aws/chalice#12.
    missing = call(server, api_id, "dev", "/nowhere")
    assert missing.status == 403
    assert missing.body == b'{"message":"Missing Authentication Token"}'
    assert missing.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert _APIGW_ID.fullmatch(missing.headers["x-amz-apigw-id"])


# -- $context and $input ------------------------------------------------------------------------


def test_context_deployment_id_is_the_deployment_serving_the_stage(apigw, server):
    # $context.deploymentId: "The ID of the API deployment" (the mapping template reference).
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root, response_template='{"deployment": "$context.deploymentId"}')
    deployment = apigw.create_deployment(restApiId=api_id, stageName="dev")["id"]
    assert call(server, api_id, "dev", "/").json() == {"deployment": deployment}


def test_input_body_of_a_request_without_body_is_an_empty_object(apigw, server):
    # AWS gives a request template "{}" as $input.body when the request has no body, whatever its
    # content type (localstack#12413, validated against AWS). The request template picks the
    # MOCK status from what it sees.
    api_id, root = new_api(apigw)
    template = '#if($input.body == "{}"){"statusCode": 200}#else{"statusCode": 500}#end'
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="POST", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="POST", type="MOCK",
                          requestTemplates={"application/json": template, "text/html": template})
    for code, pattern in (("200", None), ("500", "500")):
        apigw.put_method_response(restApiId=api_id, resourceId=root, httpMethod="POST", statusCode=code)
        apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="POST", statusCode=code,
                                       responseTemplates={"application/json": f'{{"code": {code}}}'},
                                       **({"selectionPattern": pattern} if pattern else {}))
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    assert call(server, api_id, "dev", "/", "POST").json() == {"code": 200}
    assert call(server, api_id, "dev", "/", "POST", headers={"Content-Type": "text/html"}).json() == {"code": 200}
    assert call(server, api_id, "dev", "/", "POST", '{"a": 1}').json() == {"code": 500}



# The three tables of "Method request behavior for payloads without mapping templates"
# (integration-passthrough-behaviors): a template for application/json, one for
# application/xml, none. Columns: no Content-Type (taken as application/json), JSON, XML.
@pytest.mark.parametrize("templates, behaviour, statuses", [
    (["application/json"], "WHEN_NO_MATCH", [200, 200, 200]),
    (["application/json"], "WHEN_NO_TEMPLATES", [200, 200, 415]),
    (["application/json"], "NEVER", [200, 200, 415]),
    (["application/xml"], "WHEN_NO_MATCH", [200, 200, 200]),
    (["application/xml"], "WHEN_NO_TEMPLATES", [415, 415, 200]),
    (["application/xml"], "NEVER", [415, 415, 200]),
    ([], "WHEN_NO_MATCH", [200, 200, 200]),
    ([], "WHEN_NO_TEMPLATES", [200, 200, 200]),
    ([], "NEVER", [415, 415, 415]),
])
def test_passthrough_behaviour_tables(apigw, server, templates, behaviour, statuses):
    api_id, root = new_api(apigw)
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="POST", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="POST", type="MOCK",
                          requestTemplates={kind: '{"statusCode": 200}' for kind in templates},
                          passthroughBehavior=behaviour)
    apigw.put_method_response(restApiId=api_id, resourceId=root, httpMethod="POST", statusCode="200")
    apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="POST", statusCode="200")
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    got = []
    for content_type in (None, "application/json", "application/xml"):
        answer = call(server, api_id, "dev", "/", "POST", '{"statusCode": 200}',
                      {"Content-Type": content_type} if content_type else {})
        got.append(answer.status)
        if answer.status == 415:
            assert answer.json() == {"message": "Unsupported Media Type"}
    assert got == statuses

# -- the Lambda proxy event ---------------------------------------------------------------------


def test_proxy_event_request_context_as_aws_records_it(proxy_api, server):
    api_id, deployment = proxy_api
    answer = call(server, api_id, "test", "/echo", headers={"User-Agent": "audit/1"})
    assert answer.status == 200
    context = answer.json()["requestContext"]
    assert context["deploymentId"] == deployment
    assert context["extendedRequestId"] == answer.headers["x-amz-apigw-id"]
    # Without an API key or client certificate AWS sends these identity members, all present.
    assert sorted(context["identity"]) == [
        "accessKey", "accountId", "caller", "cognitoAuthenticationProvider", "cognitoAuthenticationType",
        "cognitoIdentityId", "cognitoIdentityPoolId", "principalOrgId", "sourceIp", "user", "userAgent", "userArn"]
    assert context["identity"]["userAgent"] == "audit/1"



@pytest.mark.parametrize("path, proxy", [
    ("/echo/trailing/", "echo/trailing"),
    ("/echo//double-slash", "echo//double-slash"),
])
def test_proxy_event_path_and_greedy_parameter_as_aws_records_them(proxy_api, server, path, proxy):
    # localstack test_lambda_aws_proxy_integration, recorded against AWS: the event's path is the
    # request's; {proxy+} keeps an empty segment inside it and drops the trailing slash.
    event = call(server, proxy_api[0], "test", path).json()
    assert event["path"] == path
    assert event["pathParameters"] == {"proxy": proxy}
    assert event["requestContext"]["path"] == "/test" + path

# -- reading a proxy response ---------------------------------------------------------------------


def _proxy(server, api_id: str, response) -> tuple[int, dict[str, str], bytes]:
    answer = call(server, api_id, "test", "/test", "POST", json.dumps(response))
    return answer.status, answer.headers, answer.body


def test_proxy_multi_value_header_that_is_not_a_list_is_502(proxy_api, server):
    # localstack test_aws_proxy_response_payload_format_validation, validated against AWS.
    status, headers, body = _proxy(server, proxy_api[0],
                                   {"statusCode": 200, "multiValueHeaders": {"test-multi-invalid": "value1"}})
    assert status == 502
    assert body == b'{"message": "Internal server error"}'
    assert headers["x-amzn-errortype"] == "InternalServerErrorException"


@pytest.mark.parametrize("response, status", [
    ({"statusCode": 200, "wrongValue": "value"}, 502),
    ({"statusCode": "test"}, 502),
    ("justAString", 502),
    ({"statusCode": "201"}, 201),
    ({"headers": {"test-header": "value"}}, 200),  # no statusCode: 200
    ({"statusCode": 200, "headers": None}, 200),
])
def test_proxy_response_formats_aws_accepts_and_refuses(proxy_api, server, response, status):
    assert _proxy(server, proxy_api[0], response)[0] == status

