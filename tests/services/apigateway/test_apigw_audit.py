"""API Gateway control-plane answers checked against what real API Gateway answers.

The expected codes, messages and statuses come from LocalStack's snapshot tests recorded against
AWS (tests/aws/services/apigateway/test_apigateway_api.snapshot.json in localstack/localstack):
each test names the recorded case it follows.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.services.apigateway.conftest import mock_method, new_api
from tests.support.errors import error_of, refused

OP_ENUM = "[add, remove, move, test, replace, copy]"
STATUS_PATTERN = "[1-5]\\d\\d"


def bad_request(message: str) -> tuple[str, str, int]:
    return ("BadRequestException", message, 400)


def not_found(message: str) -> tuple[str, str, int]:
    return ("NotFoundException", message, 404)


def validation(message: str) -> tuple[str, str, int]:
    return ("ValidationException", message, 400)


# -- RestApis (test_create_rest_api_with_optional_params, _with_endpoint_configuration,
#    _verify_defaults, test_update_rest_api_compression, _behaviour, _ip_address_type,
#    _concatenation_of_errors) -------------------------------------------------------------------

def test_create_rest_api_refuses_what_aws_refuses(apigw):
    create = apigw.create_rest_api
    assert refused(create, name="a", description="") == bad_request("Description cannot be an empty string")
    assert refused(create, name="a", endpointConfiguration={"types": ["EDGE", "REGIONAL"]}) == bad_request(
        "Cannot create an api with multiple Endpoint Types.")
    assert refused(create, name="a", endpointConfiguration={"types": []}) == bad_request(
        "REGIONAL Configuration and EDGE Configuration cannot be both DISABLED.")
    assert refused(create, name="a", endpointConfiguration={"types": ["wrong"]}) == validation(
        "1 validation error detected: Value '[wrong]' at 'createRestApiInput.endpointConfiguration.types' failed to "
        "satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: "
        "[PRIVATE, EDGE, REGIONAL]]")
    assert refused(create, name="a", endpointConfiguration={"types": ["PRIVATE"], "ipAddressType": "ipv4"}) == \
        bad_request("Only dualstack ipAddressType is supported for Private APIs.")
    assert refused(create, name="a", minimumCompressionSize=-1) == bad_request(
        "Invalid minimum compression size, must be between 0 and 10485760")


def test_create_rest_api_reports_the_ip_address_type(apigw):
    edge = apigw.create_rest_api(name="edge")
    private = apigw.create_rest_api(name="private", endpointConfiguration={"types": ["PRIVATE"]})
    assert edge["endpointConfiguration"] == {"types": ["EDGE"], "ipAddressType": "ipv4"}
    assert private["endpointConfiguration"] == {"types": ["PRIVATE"], "ipAddressType": "dualstack"}


def test_update_rest_api_refuses_what_aws_refuses(apigw):
    api_id, _ = new_api(apigw)

    def update(*operations):
        return refused(apigw.update_rest_api, restApiId=api_id, patchOperations=list(operations))

    assert update({"op": "add", "path": "/binaryMediaTypes", "value": "image/png"}) == bad_request(
        "Invalid patch path /binaryMediaTypes")
    compression = bad_request("Invalid minimum compression size, must be between 0 and 10485760")
    assert update({"op": "replace", "path": "/minimumCompressionSize", "value": "-1"}) == compression
    assert update({"op": "replace", "path": "/minimumCompressionSize", "value": "abc"}) == compression
    assert update({"op": "add", "path": "/minimumCompressionSize", "value": "10"}) == bad_request(
        "Invalid patch operation specified. Must be one of: [replace]")
    assert update({"op": "replace", "path": "/endpointConfiguration/types/EDGE", "value": "WRONG"}) == bad_request(
        "Invalid EndpointTypes specified. Valid options are REGIONAL,EDGE,PRIVATE")
    assert update({"op": "wrong", "path": "/name", "value": "x"}, {"op": "replace", "path": "/name", "value": "y"},
                  {"op": "wrong", "path": "/name", "value": "z"}) == validation(
        "2 validation errors detected: "
        f"Value 'wrong' at 'updateRestApiInput.patchOperations.1.member.op' failed to satisfy constraint: "
        f"Member must satisfy enum value set: {OP_ENUM}; "
        f"Value 'wrong' at 'updateRestApiInput.patchOperations.3.member.op' failed to satisfy constraint: "
        f"Member must satisfy enum value set: {OP_ENUM}")
    # An operation without op (the CLI lets one leave it out) shows a null value, as Coral prints one.
    assert update({"path": "/name", "value": "x"}) == validation(
        "1 validation error detected: "
        f"Value null at 'updateRestApiInput.patchOperations.1.member.op' failed to satisfy constraint: "
        f"Member must satisfy enum value set: {OP_ENUM}")
    # A refused patch changes nothing, not even the operations before the bad one.
    assert update({"op": "replace", "path": "/name", "value": "renamed"},
                  {"op": "replace", "path": "/minimumCompressionSize", "value": "-1"}) == compression
    assert apigw.get_rest_api(restApiId=api_id)["name"] != "renamed"


# -- Resources (test_update_resource_behaviour, test_update_resource_on_root) ------------------

def test_update_resource_patch_rules(apigw):
    api_id, root = new_api(apigw)
    pets = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")
    sub = apigw.create_resource(restApiId=api_id, parentId=pets["id"], pathPart="subpets")

    def update(resource_id, op, path, value=None):
        operation = {"op": op, "path": path} if value is None else {"op": op, "path": path, "value": value}
        return refused(apigw.update_resource, restApiId=api_id, resourceId=resource_id, patchOperations=[operation])

    assert update(pets["id"], "remove", "/pathPart") == bad_request(  # was a 500
        "Invalid patch path  '/pathPart' specified for op 'remove'. Please choose supported operations")
    assert update(pets["id"], "add", "/pathPart", "x") == bad_request(
        "Invalid patch path  '/pathPart' specified for op 'add'. Please choose supported operations")
    assert update(pets["id"], "replace", "/invalid", "x") == bad_request(
        "Invalid patch path  '/invalid' specified for op 'replace'. Must be one of: [/parentId, /pathPart]")
    assert update(pets["id"], "replace", "/parentId", sub["id"]) == bad_request("Resources cannot be cyclical.")
    assert update(root, "replace", "/pathPart", "x") == bad_request("Root resource cannot update its pathPart.")
    assert update(root, "replace", "/parentId", pets["id"]) == bad_request("Root resource cannot update its parentId.")
    assert apigw.get_resource(restApiId=api_id, resourceId=sub["id"])["path"] == "/pets/subpets"


# -- Methods and their responses (test_put_method_validation, test_update_method_validation,
#    test_method_request_parameters, TestApigatewayMethodResponse) --------------------------------

def test_operations_on_a_method_name_an_unknown_api_as_an_unknown_resource(apigw):
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root)
    missing = not_found("Invalid Resource identifier specified")
    assert refused(apigw.put_method, restApiId="nope123456", resourceId=root, httpMethod="GET",
                   authorizationType="NONE") == missing
    assert refused(apigw.update_method, restApiId="nope123456", resourceId=root, httpMethod="GET",
                   patchOperations=[]) == missing
    assert refused(apigw.get_integration, restApiId="nope123456", resourceId=root, httpMethod="GET") == missing
    assert refused(apigw.put_integration_response, restApiId="nope123456", resourceId=root, httpMethod="GET",
                   statusCode="200") == missing
    assert refused(apigw.delete_integration_response, restApiId="nope123456", resourceId=root, httpMethod="GET",
                   statusCode="200") == missing


def test_update_method_patch_rules(apigw):
    api_id, root = new_api(apigw)
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="ANY", authorizationType="NONE",
                     apiKeyRequired=True)

    def update(*operations):
        return apigw.update_method(restApiId=api_id, resourceId=root, httpMethod="ANY",
                                   patchOperations=list(operations))

    def update_refused(*operations):
        with pytest.raises(ClientError) as excinfo:
            update(*operations)
        return error_of(excinfo)

    assert update_refused({"op": "add", "path": "/operationName", "value": "x"}) == bad_request(
        "Invalid patch operation specified. Must be one of: [replace]")
    assert update_refused({"op": "add", "path": "/httpMethod", "value": "PUT"}) == bad_request(
        "Invalid patch path /httpMethod")
    assert update_refused({"op": "replace", "path": "/requestParameters",
                           "value": "method.request.querystring.optional=false"}) == bad_request(
        "Invalid patch path /requestParameters")
    assert update_refused({"op": "add", "path": "/requestModels/application/json", "value": "Empty"}) == bad_request(
        "Invalid patch path /requestModels/application/json")
    # A boolean is read as Java reads one; an authorizer id on a method without an authorizer is ignored.
    assert update({"op": "replace", "path": "/apiKeyRequired", "value": "whatever"})["apiKeyRequired"] is False
    assert "authorizerId" not in update({"op": "replace", "path": "/authorizerId", "value": "abc123"})
    added = update({"op": "add", "path": "/requestModels/application~1json", "value": "Empty"})
    assert added["requestModels"] == {"application/json": "Empty"}


def test_request_parameter_names_are_unique_across_locations(apigw):
    api_id, root = new_api(apigw)
    assert refused(apigw.put_method, restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE",
                   requestParameters={"method.request.header.id": True, "method.request.querystring.id": False}) == \
        bad_request("Parameter names must be unique across querystring, header and path")


def test_status_codes_are_validated_by_the_input_shape(apigw):
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root)
    wrong = f"Value 'wrong' at 'statusCode' failed to satisfy constraint: " \
            f"Member must satisfy regular expression pattern: {STATUS_PATTERN}"
    assert refused(apigw.put_method_response, restApiId=api_id, resourceId=root, httpMethod="GET",
                   statusCode="wrong") == validation(f"1 validation error detected: {wrong}")
    assert refused(apigw.get_integration_response, restApiId=api_id, resourceId=root, httpMethod="GET",
                   statusCode="wrong") == validation(f"1 validation error detected: {wrong}")
    assert refused(apigw.update_method_response, restApiId=api_id, resourceId=root, httpMethod="GET",
                   statusCode="wrong", patchOperations=[{"op": "wrong_op", "path": "/x"}]) == validation(
        "2 validation errors detected: Value 'wrong_op' at 'updateMethodResponseInput.patchOperations.1.member.op' "
        f"failed to satisfy constraint: Member must satisfy enum value set: {OP_ENUM}; {wrong}")


def test_update_method_response_names_what_is_missing_and_changes_nothing_when_refused(apigw):
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root)
    key = {"restApiId": api_id, "resourceId": root, "httpMethod": "GET", "statusCode": "200"}

    def update(*operations):
        return refused(apigw.update_method_response, **key, patchOperations=list(operations))

    assert update({"op": "remove", "path": "/responseParameters/method.response.header.my-header"}) == not_found(
        "Invalid parameter name specified")
    assert update({"op": "remove", "path": "/responseModels/application~1json"}) == not_found(
        "Content-Type specified was not found")
    assert update({"op": "add", "path": "/wrong/method.response.header.my-header", "value": "true"}) == bad_request(
        "Invalid patch path /wrong/method.response.header.my-header")
    assert update({"op": "add", "path": "/responseParameters/method.response.header.kept", "value": "true"},
                  {"op": "remove", "path": "/responseModels/application~1json"}) == not_found(
        "Content-Type specified was not found")
    assert "responseParameters" not in apigw.get_method_response(**key)


# -- Integrations (test_put_integration_wrong_type, test_put_integration_response_templates,
#    test_delete_integration_response_errors) ---------------------------------------------------

def test_put_integration_type_is_an_enum_of_the_input_shape(apigw):
    api_id, root = new_api(apigw)
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    assert refused(apigw.put_integration, restApiId=api_id, resourceId=root, httpMethod="GET",
                   type="HTTPS_PROXY") == validation(
        "1 validation error detected: Value 'HTTPS_PROXY' at 'putIntegrationInput.type' failed to satisfy "
        "constraint: Member must satisfy enum value set: [HTTP, MOCK, AWS_PROXY, HTTP_PROXY, AWS]")


def test_an_empty_integration_response_template_is_kept_as_null(apigw):
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root)
    answer = apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
                                            responseTemplates={"application/json": ""})
    assert answer["responseTemplates"] == {"application/json": None}


def test_delete_integration_response_of_a_missing_method_names_the_integration(apigw):
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root)
    assert refused(apigw.delete_integration_response, restApiId=api_id, resourceId=root, httpMethod="POST",
                   statusCode="200") == not_found("Invalid Integration identifier specified")
    assert refused(apigw.delete_integration_response, restApiId=api_id, resourceId=root, httpMethod="GET",
                   statusCode="404") == not_found("Invalid Response status code specified")


# -- Models and request validators (test_model_validation, test_update_model,
#    test_validators_crud_no_api, test_invalid_update_request_validator_operations, ...) ---------

def test_model_validation(apigw):
    api_id, _ = new_api(apigw)
    empty_schema = bad_request("Model schema must have at least 1 property or array items defined")
    assert refused(apigw.create_model, restApiId=api_id, name="", contentType="application/json",
                   schema=json.dumps({"title": "Pet", "type": "object"})) == bad_request("Model name must be non-empty")
    assert refused(apigw.create_model, restApiId=api_id, name="Pet", contentType="application/json",
                   schema="") == empty_schema
    assert refused(apigw.create_model, restApiId=api_id, name="Pet", contentType="application/xml") == empty_schema
    # An empty description is accepted and left out of the answer (test_model_validation, test_update_model).
    created = apigw.create_model(restApiId=api_id, name="Pet", contentType="application/json", description="",
                                 schema=json.dumps({"title": "Pet", "type": "object"}))
    assert "description" not in created
    apigw.update_model(restApiId=api_id, modelName="Pet", patchOperations=[
        {"op": "replace", "path": "/description", "value": "pets"}])
    emptied = apigw.update_model(restApiId=api_id, modelName="Pet", patchOperations=[
        {"op": "replace", "path": "/description", "value": ""}])
    assert "description" not in emptied

    def update(op, path, value="x"):
        return refused(apigw.update_model, restApiId=api_id, modelName="Pet",
                       patchOperations=[{"op": op, "path": path, "value": value}])

    assert update("replace", "/name") == bad_request(
        "Invalid patch path  '/name' specified for op 'replace'. Must be one of: [/description, /schema]")
    assert update("add", "/wrong-path") == bad_request(
        "Invalid patch path  '/wrong-path' specified for op 'add'. Please choose supported operations")
    assert update("replace", "/schema", "") == empty_schema


def test_request_validator_validation(apigw):
    assert refused(apigw.create_request_validator, restApiId="nope123456", name="v") == bad_request(
        "Invalid REST API identifier specified")
    assert refused(apigw.get_request_validator, restApiId="nope123456", requestValidatorId="abc123") == not_found(
        "Invalid Request Validator identifier specified")
    api_id, _ = new_api(apigw)
    validator = apigw.create_request_validator(restApiId=api_id, name="v")

    def update(op, path, value="true"):
        return refused(apigw.update_request_validator, restApiId=api_id, requestValidatorId=validator["id"],
                       patchOperations=[{"op": op, "path": path, "value": value}])

    assert update("add", "/validateRequestBody") == bad_request(
        "Invalid patch path  '/validateRequestBody' specified for op 'add'. Please choose supported operations")
    assert update("replace", "/invalidPath") == bad_request(
        "Invalid patch path  '/invalidPath' specified for op 'replace'. "
        "Must be one of: [/name, /validateRequestParameters, /validateRequestBody]")
    assert update("replace", "/name", "") == bad_request("Request Validator name cannot be blank")


# -- Gateway responses and authorizers (test_gateway_response_validation, _put,
#    test_authorizer_crud_no_api) -----------------------------------------------------------------

def test_gateway_response_answers(apigw):
    api_id, _ = new_api(apigw)
    code, message, status = refused(apigw.get_gateway_response, restApiId=api_id, responseType="FAKE_RESPONSE_TYPE")
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("1 validation error detected: Value 'FAKE_RESPONSE_TYPE' at 'responseType' failed "
                              "to satisfy constraint: Member must satisfy enum value set: [REQUEST_TOO_LARGE, ")
    assert refused(apigw.delete_gateway_response, restApiId=api_id, responseType="DEFAULT_4XX") == not_found(
        "Gateway response type not defined on api")
    put = apigw.put_gateway_response(restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN", statusCode="404")
    assert put["responseTemplates"] == {"application/json": '{"message":$context.error.messageString}'}


def test_create_authorizer_on_an_unknown_api(apigw):
    assert refused(apigw.create_authorizer, restApiId="nope123456", name="a", type="TOKEN",
                   authorizerUri="arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
                                 "arn:aws:lambda:us-east-1:000000000000:function:f/invocations",
                   identitySource="method.request.header.Authorization") == (
        "ConflictException", "Unable to complete operation due to concurrent modification. Please try again later.",
        409)


# -- GetExport (the exported APIs in AWS's developer guide, "Access binary files in Lambda
#    using an API Gateway API": info.version as an ISO time, response models as $refs) ------------

def test_export_references_response_models_and_is_versioned_by_time(apigw):
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root)
    apigw.update_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
                                 patchOperations=[{"op": "add", "path": "/responseModels/application~1json",
                                                   "value": "Empty"}])
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    oas = json.loads(apigw.get_export(restApiId=api_id, stageName="dev", exportType="oas30")["body"].read())
    assert oas["paths"]["/"]["get"]["responses"]["200"] == {
        "description": "200 response",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Empty"}}}}
    assert len(oas["info"]["version"]) == 20 and oas["info"]["version"][10] == "T"
    assert oas["info"]["version"].endswith("Z")
    swagger = json.loads(apigw.get_export(restApiId=api_id, stageName="dev", exportType="swagger")["body"].read())
    get = swagger["paths"]["/"]["get"]
    assert get["produces"] == ["application/json"]
    assert get["responses"]["200"] == {"description": "200 response", "schema": {"$ref": "#/definitions/Empty"}}
