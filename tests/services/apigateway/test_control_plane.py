"""RestApis, Resources, Methods, MethodResponses, Integrations, IntegrationResponses, Deployments
and Stages through boto3, with the errors AWS gives."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.services.apigateway.conftest import mock_method, new_api


def error_of(excinfo) -> tuple[str, str, int]:
    err = excinfo.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


def test_rest_api_lifecycle(apigw):
    api = apigw.create_rest_api(name="pets", description="d", binaryMediaTypes=["image/png"],
                                endpointConfiguration={"types": ["REGIONAL"]})
    assert api["apiKeySource"] == "HEADER"
    assert api["endpointConfiguration"]["types"] == ["REGIONAL"]
    got = apigw.get_rest_api(restApiId=api["id"])
    assert got["name"] == "pets" and got["rootResourceId"] == api["rootResourceId"]
    # Other tests share the server: the new API may be past the first page (25 by default).
    listed = [a["id"] for page in apigw.get_paginator("get_rest_apis").paginate() for a in page["items"]]
    assert api["id"] in listed
    updated = apigw.update_rest_api(restApiId=api["id"], patchOperations=[
        {"op": "replace", "path": "/name", "value": "pets2"},
        {"op": "add", "path": "/binaryMediaTypes/image~1jpeg"},
        {"op": "remove", "path": "/binaryMediaTypes/image~1png"},
        {"op": "replace", "path": "/apiKeySource", "value": "AUTHORIZER"},
        {"op": "replace", "path": "/minimumCompressionSize", "value": "1024"},
        {"op": "replace", "path": "/endpointConfiguration/types/REGIONAL", "value": "EDGE"},
    ])
    assert updated["name"] == "pets2"
    assert updated["binaryMediaTypes"] == ["image/jpeg"]
    assert updated["apiKeySource"] == "AUTHORIZER"
    assert updated["minimumCompressionSize"] == 1024
    assert updated["endpointConfiguration"]["types"] == ["EDGE"]
    models = {m["name"] for m in apigw.get_models(restApiId=api["id"])["items"]}
    assert models == {"Empty", "Error"}
    apigw.delete_rest_api(restApiId=api["id"])
    with pytest.raises(ClientError) as excinfo:
        apigw.get_rest_api(restApiId=api["id"])
    assert error_of(excinfo) == ("NotFoundException", f"Invalid API identifier specified 000000000000:{api['id']}", 404)


def test_bad_patch_path(apigw):
    api_id, _ = new_api(apigw)
    with pytest.raises(ClientError) as excinfo:
        apigw.update_rest_api(restApiId=api_id, patchOperations=[{"op": "replace", "path": "/nope", "value": "x"}])
    code, message, status = error_of(excinfo)
    assert (code, status) == ("BadRequestException", 400)
    assert message.startswith("Invalid patch path '/nope' specified for op 'replace'")


def test_resource_tree(apigw):
    api_id, root = new_api(apigw)
    pets = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")
    pet = apigw.create_resource(restApiId=api_id, parentId=pets["id"], pathPart="{petId}")
    proxy = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")
    assert pet["path"] == "/pets/{petId}" and pet["parentId"] == pets["id"]
    assert proxy["path"] == "/{proxy+}"
    paths = [r["path"] for r in apigw.get_resources(restApiId=api_id)["items"]]
    assert sorted(paths) == ["/", "/pets", "/pets/{petId}", "/{proxy+}"]
    with pytest.raises(ClientError) as excinfo:
        apigw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")
    assert error_of(excinfo) == ("ConflictException",
                                 "Another resource with the same parent already has this name: pets", 409)
    with pytest.raises(ClientError) as excinfo:
        apigw.create_resource(restApiId=api_id, parentId="nope12", pathPart="x")
    assert error_of(excinfo) == ("NotFoundException", "Invalid Resource identifier specified", 404)
    renamed = apigw.update_resource(restApiId=api_id, resourceId=pets["id"],
                                    patchOperations=[{"op": "replace", "path": "/pathPart", "value": "cats"}])
    assert renamed["path"] == "/cats"
    assert apigw.get_resource(restApiId=api_id, resourceId=pet["id"])["path"] == "/cats/{petId}"
    apigw.delete_resource(restApiId=api_id, resourceId=pets["id"])
    paths = [r["path"] for r in apigw.get_resources(restApiId=api_id)["items"]]
    assert sorted(paths) == ["/", "/{proxy+}"]  # children go with their parent


def test_methods_and_responses(apigw):
    api_id, root = new_api(apigw)
    method = apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE",
                              apiKeyRequired=True, requestParameters={"method.request.querystring.q": True})
    assert method["apiKeyRequired"] is True
    with pytest.raises(ClientError) as excinfo:
        apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    assert error_of(excinfo) == ("ConflictException", "Method already exists for this resource", 409)
    with pytest.raises(ClientError) as excinfo:
        apigw.get_method(restApiId=api_id, resourceId=root, httpMethod="POST")
    assert error_of(excinfo) == ("NotFoundException", "Invalid Method identifier specified", 404)
    with pytest.raises(ClientError) as excinfo:
        apigw.get_integration(restApiId=api_id, resourceId=root, httpMethod="GET")
    assert error_of(excinfo) == ("NotFoundException", "Invalid Integration identifier specified", 404)
    updated = apigw.update_method(restApiId=api_id, resourceId=root, httpMethod="GET", patchOperations=[
        {"op": "replace", "path": "/apiKeyRequired", "value": "false"},
        {"op": "add", "path": "/requestParameters/method.request.header.X-Id", "value": "false"},
        {"op": "remove", "path": "/requestParameters/method.request.querystring.q"},
    ])
    assert updated["apiKeyRequired"] is False
    assert updated["requestParameters"] == {"method.request.header.X-Id": False}
    apigw.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
                              responseParameters={"method.response.header.X-Out": False})
    integration = apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK",
                                        requestTemplates={"application/json": '{"statusCode": 200}'})
    assert integration["passthroughBehavior"] == "WHEN_NO_MATCH"
    assert integration["timeoutInMillis"] == 29000
    assert integration["cacheNamespace"] == root
    # No method response of that status is needed first (LocalStack's AWS-validated test_lambda_aws_integration).
    assert apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET",
                                          statusCode="404")["statusCode"] == "404"
    apigw.delete_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="404")
    apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": "{}"})
    changed = apigw.update_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
                                                patchOperations=[{"op": "add", "path": "/selectionPattern",
                                                                  "value": "2\\d{2}"}])
    assert changed["selectionPattern"] == "2\\d{2}"
    changed = apigw.update_integration(restApiId=api_id, resourceId=root, httpMethod="GET", patchOperations=[
        {"op": "replace", "path": "/passthroughBehavior", "value": "NEVER"},
        {"op": "add", "path": "/requestTemplates/text~1plain", "value": "x"}])
    assert changed["passthroughBehavior"] == "NEVER"
    assert changed["requestTemplates"]["text/plain"] == "x"
    full = apigw.get_method(restApiId=api_id, resourceId=root, httpMethod="GET")
    assert full["methodIntegration"]["integrationResponses"]["200"]["selectionPattern"] == "2\\d{2}"
    assert full["methodResponses"]["200"]["responseParameters"] == {"method.response.header.X-Out": False}
    with pytest.raises(ClientError) as excinfo:
        apigw.get_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="500")
    assert error_of(excinfo) == ("NotFoundException", "Invalid Response status code specified", 404)
    apigw.delete_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    apigw.delete_integration(restApiId=api_id, resourceId=root, httpMethod="GET")
    apigw.delete_method(restApiId=api_id, resourceId=root, httpMethod="GET")
    assert "resourceMethods" not in apigw.get_resource(restApiId=api_id, resourceId=root)


def test_integration_validation(apigw):
    api_id, root = new_api(apigw)
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    with pytest.raises(ClientError) as excinfo:
        apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="HTTP",
                              uri="http://example.com")
    assert error_of(excinfo) == ("BadRequestException", "Enumeration value for HttpMethod must be non-empty", 400)
    with pytest.raises(ClientError) as excinfo:
        apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK", timeoutInMillis=10)
    assert error_of(excinfo) == ("BadRequestException", "Timeout should be between 50 ms and 29000 ms", 400)
    # AWS integration URIs (LocalStack's AWS-validated test_put_integration_validation).
    lambda_uri = ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
                  "arn:aws:lambda:us-east-1:000000000000:function:f/invocations")
    for kind, uri, message in (
            ("AWS", "non-valid-arn", "Invalid ARN specified in the request"),
            ("AWS", "arn:aws:iam::0000000000:role/service-role/asdf", "AWS ARN for integration must contain path or action"),
            ("AWS_PROXY", "arn:aws:iam::0000000000:role/service-role/asdf",
             "AWS ARN for integration must contain path or action"),
            ("AWS_PROXY", "arn:aws:apigateway:us-east-1:sqs:path/123/q",
             "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations.")):
        with pytest.raises(ClientError) as excinfo:
            apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type=kind, uri=uri,
                                  integrationHttpMethod="POST")
        assert error_of(excinfo) == ("BadRequestException", message, 400), uri
    for kind, uri in (("AWS_PROXY", lambda_uri), ("AWS", "arn:aws:apigateway:us-east-1:sqs:action/SendMessage")):
        apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type=kind, uri=uri,
                              integrationHttpMethod="POST")


def test_deployments_and_stages(apigw):
    api_id, root = new_api(apigw)
    with pytest.raises(ClientError) as excinfo:
        apigw.create_deployment(restApiId=api_id, stageName="dev")
    assert error_of(excinfo) == ("BadRequestException", "The REST API doesn't contain any methods", 400)
    mock_method(apigw, api_id, root)
    deployment = apigw.create_deployment(restApiId=api_id, stageName="dev", description="first",
                                         variables={"color": "blue"})
    stage = apigw.get_stage(restApiId=api_id, stageName="dev")
    assert stage["deploymentId"] == deployment["id"] and stage["variables"] == {"color": "blue"}
    summary = apigw.get_deployment(restApiId=api_id, deploymentId=deployment["id"], embed=["apisummary"])
    assert summary["apiSummary"] == {"/": {"GET": {"authorizationType": "NONE", "apiKeyRequired": False}}}
    with pytest.raises(ClientError) as excinfo:
        apigw.create_stage(restApiId=api_id, stageName="dev", deploymentId=deployment["id"])
    assert error_of(excinfo) == ("ConflictException", "Stage already exists", 409)
    with pytest.raises(ClientError) as excinfo:
        apigw.get_stage(restApiId=api_id, stageName="prod")
    assert error_of(excinfo) == ("NotFoundException", "Invalid Stage identifier specified", 404)
    prod = apigw.create_stage(restApiId=api_id, stageName="prod", deploymentId=deployment["id"])
    assert prod["stageName"] == "prod"
    assert {s["stageName"] for s in apigw.get_stages(restApiId=api_id)["item"]} == {"dev", "prod"}
    stage = apigw.update_stage(restApiId=api_id, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/variables/color", "value": "red"},
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "100"},
        {"op": "replace", "path": "/~1/GET/caching/enabled", "value": "true"},
        {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"},
        {"op": "replace", "path": "/description", "value": "development"},
    ])
    assert stage["variables"] == {"color": "red"}
    assert stage["methodSettings"]["*/*"]["throttlingRateLimit"] == 100.0
    assert stage["methodSettings"]["GET"]["cachingEnabled"] is True
    assert stage["cacheClusterEnabled"] is True and stage["description"] == "development"
    with pytest.raises(ClientError) as excinfo:
        apigw.delete_deployment(restApiId=api_id, deploymentId=deployment["id"])
    assert error_of(excinfo) == ("BadRequestException",
                                 "Active stages pointing to this deployment must be moved or deleted", 400)
    with pytest.raises(ClientError) as excinfo:
        apigw.get_deployment(restApiId=api_id, deploymentId="nope00")
    assert error_of(excinfo) == ("NotFoundException", "Invalid Deployment identifier specified", 404)
    apigw.delete_stage(restApiId=api_id, stageName="dev")
    apigw.delete_stage(restApiId=api_id, stageName="prod")
    apigw.delete_deployment(restApiId=api_id, deploymentId=deployment["id"])
    assert apigw.get_deployments(restApiId=api_id)["items"] == []


def test_state_survives_restart(fresh_server):
    from tests.conftest import make_client

    client = make_client("apigateway", fresh_server.endpoint_url)
    api_id, root = new_api(client)
    child = client.create_resource(restApiId=api_id, parentId=root, pathPart="kept")
    fresh_server.restart()
    client = make_client("apigateway", fresh_server.endpoint_url)
    assert client.get_resource(restApiId=api_id, resourceId=child["id"])["path"] == "/kept"
