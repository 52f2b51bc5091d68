"""ImportRestApi / PutRestApi / GetExport with OpenAPI 3 and Swagger 2 and the
x-amazon-apigateway-* extensions; an imported API is deployed and served."""

from __future__ import annotations

import json

from tests.services.apigateway.conftest import call

OPENAPI = {
    "openapi": "3.0.1",
    "info": {"title": "Imported pets", "version": "1.0"},
    "x-amazon-apigateway-request-validators": {"all": {"validateRequestBody": True, "validateRequestParameters": True}},
    "x-amazon-apigateway-gateway-responses": {
        "MISSING_AUTHENTICATION_TOKEN": {"statusCode": 404, "responseTemplates": {
            "application/json": '{"error": "no such route"}'}}},
    "paths": {
        "/pets/{petId}": {
            "get": {
                "parameters": [{"name": "petId", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "mock", "passthroughBehavior": "when_no_match",
                    "requestTemplates": {"application/json": '{"statusCode": 200}'},
                    "responses": {"default": {"statusCode": "200", "responseTemplates": {
                        "application/json": '{"id": "$input.params(\'petId\')"}'}}}},
            },
        },
        "/pets": {
            "post": {
                "x-amazon-apigateway-request-validator": "all",
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}},
                "responses": {"201": {"description": "created"}},
                "x-amazon-apigateway-integration": {
                    "type": "mock", "requestTemplates": {"application/json": '{"statusCode": 201}'},
                    "responses": {"default": {"statusCode": "201", "responseTemplates": {
                        "application/json": '{"created": "$context.resourcePath"}'}}}},
            },
        },
    },
    "components": {"schemas": {"Pet": {"type": "object", "required": ["name"],
                                       "properties": {"name": {"type": "string"}}}}},
}


def test_import_deploy_and_serve(apigw, server):
    api = apigw.import_rest_api(body=json.dumps(OPENAPI).encode())
    assert api["name"] == "Imported pets"
    paths = {r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"]}
    assert paths == {"/", "/pets", "/pets/{petId}"}
    assert "Pet" in {m["name"] for m in apigw.get_models(restApiId=api["id"])["items"]}
    apigw.create_deployment(restApiId=api["id"], stageName="v1")
    assert call(server, api["id"], "v1", "/pets/12").json() == {"id": "12"}
    created = call(server, api["id"], "v1", "/pets", "POST", '{"name": "Rex"}', {"Content-Type": "application/json"})
    assert created.status == 201 and created.json() == {"created": "/pets"}
    invalid = call(server, api["id"], "v1", "/pets", "POST", '{}', {"Content-Type": "application/json"})
    assert invalid.status == 400 and invalid.json() == {"message": "Invalid request body"}
    missing = call(server, api["id"], "v1", "/nowhere")
    assert missing.status == 404 and missing.json() == {"error": "no such route"}


def test_export_round_trips(apigw, server):
    api = apigw.import_rest_api(body=json.dumps(OPENAPI).encode())
    apigw.create_deployment(restApiId=api["id"], stageName="v1")
    exported = apigw.get_export(restApiId=api["id"], stageName="v1", exportType="oas30",
                                parameters={"extensions": "integrations"}, accepts="application/json")
    document = json.loads(exported["body"].read())
    assert document["openapi"] == "3.0.1" and document["info"]["title"] == "Imported pets"
    assert set(document["paths"]) == {"/pets", "/pets/{petId}"}
    integration = document["paths"]["/pets/{petId}"]["get"]["x-amazon-apigateway-integration"]
    assert integration["type"] == "mock"
    swagger = json.loads(apigw.get_export(restApiId=api["id"], stageName="v1", exportType="swagger")["body"].read())
    assert swagger["swagger"] == "2.0" and swagger["basePath"] == "/v1"
    again = apigw.import_rest_api(body=json.dumps(document).encode())
    apigw.create_deployment(restApiId=again["id"], stageName="v1")
    assert call(server, again["id"], "v1", "/pets/5").json() == {"id": "5"}


def test_put_rest_api_overwrite(apigw):
    api = apigw.import_rest_api(body=json.dumps(OPENAPI).encode())
    smaller = {"openapi": "3.0.1", "info": {"title": "Only health", "version": "2"},
               "paths": {"/health": {"get": {"responses": {"200": {"description": "ok"}},
                                             "x-amazon-apigateway-integration": {"type": "mock"}}}}}
    apigw.put_rest_api(restApiId=api["id"], mode="overwrite", body=json.dumps(smaller).encode())
    assert {r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"]} == {"/", "/health"}
    apigw.put_rest_api(restApiId=api["id"], mode="merge", body=json.dumps(OPENAPI).encode())
    assert {r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"]} == {
        "/", "/health", "/pets", "/pets/{petId}"}


SWAGGER_YAML = """
swagger: "2.0"
info: {title: Yaml pets, version: "1"}
securityDefinitions:
  api_key: {type: apiKey, name: x-api-key, in: header}
  tokens:
    type: apiKey
    name: Authorization
    in: header
    x-amazon-apigateway-authtype: custom
    x-amazon-apigateway-authorizer:
      type: token
      authorizerUri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:auth/invocations
      authorizerResultTtlInSeconds: 60
paths:
  /secret:
    get:
      security: [{api_key: []}, {tokens: []}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200"}}
"""


def test_import_swagger_yaml_with_security(apigw):
    api = apigw.import_rest_api(body=SWAGGER_YAML.encode())
    resource = next(r for r in apigw.get_resources(restApiId=api["id"])["items"] if r["path"] == "/secret")
    method = apigw.get_method(restApiId=api["id"], resourceId=resource["id"], httpMethod="GET")
    assert method["apiKeyRequired"] is True and method["authorizationType"] == "CUSTOM"
    authorizer = apigw.get_authorizer(restApiId=api["id"], authorizerId=method["authorizerId"])
    assert authorizer["type"] == "TOKEN" and authorizer["authorizerResultTtlInSeconds"] == 60
    assert authorizer["identitySource"] == "method.request.header.Authorization"
