"""Documentation parts and versions through boto3 and the AWS CLI, with the errors AWS gives.

Evidence: LocalStack's AWS-validated snapshots (TestApiGatewayApiDocumentationPart, recorded
2024 and 2026), the developer guide's "Representation of API documentation", "Document an API
using the API Gateway REST API", "Import API documentation" and "Publish API documentation"
pages, and the Serverless Framework documentation plugin (which matches AWS's
"Invalid Documentation version specified")."""

from __future__ import annotations

import json
import subprocess

import pytest
from botocore.exceptions import ClientError

from tests.services.apigateway.conftest import mock_method, new_api
from tests.services.apigateway.test_control_plane import error_of

AWS = "/work/main/.venv/bin/aws"

# The developer guide's "Import API documentation" example, as OpenAPI 3.
OAS_WITH_DOCS = {
    "openapi": "3.0.0",
    "info": {"description": "description", "version": "1", "title": "doc"},
    "paths": {"/": {"get": {"description": "Method description.", "responses": {
        "200": {"description": "200 response",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Empty"}}}}}}}},
    "x-amazon-apigateway-documentation": {"version": "1.0.3", "documentationParts": [
        {"location": {"type": "API"},
         "properties": {"description": "API description",
                        "info": {"description": "API info description 4", "version": "API info version 3"}}},
        {"location": {"type": "METHOD", "method": "GET"}, "properties": {"description": "Method description."}},
        {"location": {"type": "MODEL", "name": "Empty"}, "properties": {"title": "Empty Schema"}},
        {"location": {"type": "RESPONSE", "method": "GET", "statusCode": "200"},
         "properties": {"description": "200 response"}},
    ]},
    "components": {"schemas": {"Empty": {"type": "object", "title": "Empty Schema"}}},
}


def test_part_lifecycle(apigw):
    api_id, _ = new_api(apigw)
    created = apigw.create_documentation_part(restApiId=api_id, location={"type": "API"},
                                              properties='{ "description": "Sample API description" }')
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["location"] == {"type": "API"}
    assert json.loads(created["properties"]) == {"description": "Sample API description"}
    part_id = created["id"]
    got = apigw.get_documentation_part(restApiId=api_id, documentationPartId=part_id)
    assert (got["id"], got["location"], got["properties"]) == (part_id, {"type": "API"}, created["properties"])
    listed = apigw.get_documentation_parts(restApiId=api_id)["items"]
    assert [p["id"] for p in listed] == [part_id]
    updated = apigw.update_documentation_part(restApiId=api_id, documentationPartId=part_id, patchOperations=[
        {"op": "replace", "path": "/properties", "value": '{ "description": "Updated" }'}])
    assert json.loads(updated["properties"]) == {"description": "Updated"}
    assert json.loads(apigw.get_documentation_part(restApiId=api_id, documentationPartId=part_id)
                      ["properties"]) == {"description": "Updated"}
    deleted = apigw.delete_documentation_part(restApiId=api_id, documentationPartId=part_id)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 202
    with pytest.raises(ClientError) as e:
        apigw.get_documentation_part(restApiId=api_id, documentationPartId=part_id)
    assert error_of(e) == ("NotFoundException", "Invalid Documentation part identifier specified", 404)


def test_locations_take_their_defaults(apigw):
    """Omitted fields that the type takes come back at their defaults; fields it does not take
    never appear (the guide's examples: RESOURCE path "/", METHOD method "*")."""
    api_id, _ = new_api(apigw)
    cases = [
        ({"type": "RESOURCE"}, {"type": "RESOURCE", "path": "/"}),
        ({"type": "METHOD", "path": "/pets"}, {"type": "METHOD", "path": "/pets", "method": "*"}),
        ({"type": "RESPONSE", "statusCode": "400"},
         {"type": "RESPONSE", "path": "/", "method": "*", "statusCode": "400"}),
        ({"type": "RESPONSE_HEADER", "path": "/", "method": "GET", "name": "Content-Type", "statusCode": "200"},
         {"type": "RESPONSE_HEADER", "path": "/", "method": "GET", "name": "Content-Type", "statusCode": "200"}),
        ({"type": "QUERY_PARAMETER", "path": "/pets", "method": "GET", "name": "page"},
         {"type": "QUERY_PARAMETER", "path": "/pets", "method": "GET", "name": "page"}),
        ({"type": "REQUEST_BODY", "path": "/pets", "method": "POST"},
         {"type": "REQUEST_BODY", "path": "/pets", "method": "POST"}),
        ({"type": "AUTHORIZER", "name": "myAuthorizer"}, {"type": "AUTHORIZER", "name": "myAuthorizer"}),
        ({"type": "MODEL", "name": "Pet"}, {"type": "MODEL", "name": "Pet"}),
    ]
    for given, expected in cases:
        part = apigw.create_documentation_part(restApiId=api_id, location=given, properties='{"description": "x"}')
        assert part["location"] == expected, given


def test_second_part_at_a_location_conflicts(apigw):
    api_id, _ = new_api(apigw)
    apigw.create_documentation_part(restApiId=api_id, location={"type": "API"}, properties="{}")
    with pytest.raises(ClientError) as e:
        apigw.create_documentation_part(restApiId=api_id, location={"type": "API"}, properties='{"a": 1}')
    # The developer guide quotes this message for the API entity.
    assert error_of(e) == ("ConflictException",
                           "Documentation part already exists for the specified location: type 'API'.", 409)
    # An omitted default is the same location as the default written out.
    apigw.create_documentation_part(restApiId=api_id, location={"type": "RESOURCE"}, properties="{}")
    with pytest.raises(ClientError) as e:
        apigw.create_documentation_part(restApiId=api_id, location={"type": "RESOURCE", "path": "/"}, properties="{}")
    assert error_of(e)[0::2] == ("ConflictException", 409)
    assert len(apigw.get_documentation_parts(restApiId=api_id)["items"]) == 2


def test_part_errors(apigw):
    api_id, _ = new_api(apigw)
    part_id = apigw.create_documentation_part(restApiId=api_id, location={"type": "API"}, properties="{}")["id"]
    with pytest.raises(ClientError) as e:
        apigw.create_documentation_part(restApiId="nosuchapi", location={"type": "API"}, properties="{}")
    assert error_of(e) == ("NotFoundException", "Invalid API identifier specified 000000000000:nosuchapi", 404)
    with pytest.raises(ClientError) as e:
        apigw.get_documentation_parts(restApiId="nosuchapi")
    assert error_of(e) == ("NotFoundException", "Invalid API identifier specified 000000000000:nosuchapi", 404)
    # Get and Update with an unknown API answer as for an unknown part; Delete names the API.
    with pytest.raises(ClientError) as e:
        apigw.get_documentation_part(restApiId="nosuchapi", documentationPartId=part_id)
    assert error_of(e) == ("NotFoundException", "Invalid Documentation part identifier specified", 404)
    with pytest.raises(ClientError) as e:
        apigw.update_documentation_part(restApiId="nosuchapi", documentationPartId=part_id, patchOperations=[
            {"op": "replace", "path": "/properties", "value": "{}"}])
    assert error_of(e) == ("NotFoundException", "Invalid Documentation part identifier specified", 404)
    with pytest.raises(ClientError) as e:
        apigw.delete_documentation_part(restApiId="nosuchapi", documentationPartId=part_id)
    assert error_of(e) == ("NotFoundException", "Invalid API identifier specified 000000000000:nosuchapi", 404)
    with pytest.raises(ClientError) as e:
        apigw.create_documentation_part(restApiId=api_id, location={"type": "INVALID"}, properties="{}")
    assert error_of(e) == ("ValidationException",
                           "1 validation error detected: Value 'INVALID' at 'createDocumentationPartInput.location.type' "
                           "failed to satisfy constraint: Member must satisfy enum value set: [RESPONSE_BODY, RESPONSE, "
                           "METHOD, MODEL, AUTHORIZER, RESPONSE_HEADER, RESOURCE, PATH_PARAMETER, REQUEST_BODY, "
                           "QUERY_PARAMETER, API, REQUEST_HEADER]", 400)
    with pytest.raises(ClientError) as e:
        apigw.update_documentation_part(restApiId=api_id, documentationPartId=part_id, patchOperations=[
            {"op": "add", "path": "/properties", "value": "{}"}])
    assert error_of(e) == ("BadRequestException", "Invalid patch path  '/properties' specified for op 'add'. "
                           "Please choose supported operations", 400)
    with pytest.raises(ClientError) as e:
        apigw.update_documentation_part(restApiId=api_id, documentationPartId=part_id, patchOperations=[
            {"op": "replace", "path": "/invalidPath", "value": "{}"}])
    assert error_of(e) == ("BadRequestException", "Invalid patch path  '/invalidPath' specified for op 'replace'. "
                           "Must be one of: [/properties]", 400)
    # Location shapes the type does not allow are refused, and refused requests change nothing.
    for location in ({"type": "API", "method": "GET"}, {"type": "RESOURCE", "name": "x"},
                     {"type": "MODEL"}, {"type": "REQUEST_HEADER", "path": "/"}, {"type": "RESOURCE", "path": "pets"}):
        with pytest.raises(ClientError) as e:
            apigw.create_documentation_part(restApiId=api_id, location=location, properties="{}")
        assert error_of(e)[0::2] == ("BadRequestException", 400), location
    with pytest.raises(ClientError) as e:
        apigw.create_documentation_part(restApiId=api_id, location={"type": "RESOURCE"}, properties="not json")
    assert error_of(e)[0::2] == ("BadRequestException", 400)
    with pytest.raises(ClientError) as e:
        apigw.create_documentation_part(restApiId=api_id, location={"type": "RESPONSE", "statusCode": "abc"},
                                        properties="{}")
    assert error_of(e) == ("ValidationException", "1 validation error detected: Value 'abc' at "
                           "'createDocumentationPartInput.location.statusCode' failed to satisfy constraint: "
                           "Member must satisfy regular expression pattern: ^([1-5]\\d\\d|\\*|\\s*)$", 400)
    assert [p["id"] for p in apigw.get_documentation_parts(restApiId=api_id)["items"]] == [part_id]
    apigw.delete_documentation_part(restApiId=api_id, documentationPartId=part_id)
    with pytest.raises(ClientError) as e:
        apigw.delete_documentation_part(restApiId=api_id, documentationPartId=part_id)
    assert error_of(e) == ("NotFoundException", "Invalid Documentation part identifier specified", 404)


def test_list_filters_and_paging(apigw):
    api_id, _ = new_api(apigw)
    make = apigw.create_documentation_part
    make(restApiId=api_id, location={"type": "API"}, properties='{"description": "api"}')
    make(restApiId=api_id, location={"type": "METHOD", "path": "/pets", "method": "GET"}, properties="{}")
    make(restApiId=api_id, location={"type": "QUERY_PARAMETER", "path": "/pets", "method": "GET", "name": "page"},
         properties='{"description": "page"}')
    make(restApiId=api_id, location={"type": "QUERY_PARAMETER", "path": "/pets", "method": "GET", "name": "size"},
         properties='{"description": "size"}')

    def types(**filters):
        return [(p["location"]["type"], p["location"].get("name"))
                for p in apigw.get_documentation_parts(restApiId=api_id, **filters)["items"]]

    assert types(type="QUERY_PARAMETER") == [("QUERY_PARAMETER", "page"), ("QUERY_PARAMETER", "size")]
    assert types(nameQuery="pa") == [("QUERY_PARAMETER", "page")]
    assert types(path="/pets", type="METHOD") == [("METHOD", None)]
    assert types(locationStatus="UNDOCUMENTED") == [("METHOD", None)]
    assert len(types(locationStatus="DOCUMENTED")) == 3
    first = apigw.get_documentation_parts(restApiId=api_id, limit=3)
    assert len(first["items"]) == 3 and first["position"]
    rest = apigw.get_documentation_parts(restApiId=api_id, limit=3, position=first["position"])
    assert len(rest["items"]) == 1 and "position" not in rest
    everything = [p["id"] for page in apigw.get_paginator("get_documentation_parts").paginate(restApiId=api_id)
                  for p in page["items"]]
    assert len(set(everything)) == 4
    with pytest.raises(ClientError) as e:
        apigw.get_documentation_parts(restApiId=api_id, type="NOPE")
    assert error_of(e)[0::2] == ("ValidationException", 400)
    assert "Value 'NOPE' at 'type' failed to satisfy constraint" in error_of(e)[1]


def test_import_documentation_parts_overwrite_and_merge(apigw):
    api_id, _ = new_api(apigw)
    existing = apigw.create_documentation_part(restApiId=api_id, location={"type": "RESOURCE", "path": "/old"},
                                               properties='{"description": "old"}')
    body = json.dumps(OAS_WITH_DOCS).encode()
    answer = apigw.import_documentation_parts(restApiId=api_id, mode="overwrite", body=body)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert len(answer["ids"]) == 4 and "warnings" not in answer
    parts = apigw.get_documentation_parts(restApiId=api_id)["items"]
    assert existing["id"] not in [p["id"] for p in parts]
    # Locations as AWS answers them after this import (LocalStack's AWS-validated snapshot
    # test_import_documentation_parts): defaults filled in, properties kept as JSON text.
    assert [p["location"] for p in parts] == [
        {"type": "API"}, {"type": "METHOD", "path": "/", "method": "GET"}, {"type": "MODEL", "name": "Empty"},
        {"type": "RESPONSE", "path": "/", "method": "GET", "statusCode": "200"}]
    assert json.loads(parts[0]["properties"])["info"]["version"] == "API info version 3"
    # merge: the imported attribute replaces the existing one, others stay; the part keeps its id
    apigw.update_documentation_part(restApiId=api_id, documentationPartId=parts[0]["id"], patchOperations=[
        {"op": "replace", "path": "/properties", "value": '{"description": "mine", "x-kept": true}'}])
    merged = apigw.import_documentation_parts(restApiId=api_id, mode="merge", body=body)
    assert merged["ids"] == [p["id"] for p in parts]
    api_part = apigw.get_documentation_part(restApiId=api_id, documentationPartId=parts[0]["id"])
    assert json.loads(api_part["properties"]) == {"description": "API description", "x-kept": True,
                                                  "info": {"description": "API info description 4",
                                                           "version": "API info version 3"}}


def test_import_warnings(apigw):
    api_id, _ = new_api(apigw)
    document = {"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {},
                "x-amazon-apigateway-documentation": {"documentationParts": [
                    {"location": {"type": "API"}, "properties": {"description": "ok"}},
                    {"location": {"type": "NOPE"}, "properties": {}}]}}
    with pytest.raises(ClientError) as e:
        apigw.import_documentation_parts(restApiId=api_id, body=json.dumps(document).encode(), failOnWarnings=True)
    assert error_of(e)[0::2] == ("BadRequestException", 400)
    assert apigw.get_documentation_parts(restApiId=api_id)["items"] == []  # nothing imported
    answer = apigw.import_documentation_parts(restApiId=api_id, body=json.dumps(document).encode())
    assert len(answer["ids"]) == 1 and len(answer["warnings"]) == 1
    with pytest.raises(ClientError) as e:
        apigw.import_documentation_parts(restApiId="nosuchapi", body=json.dumps(document).encode())
    assert error_of(e) == ("NotFoundException", "Invalid API identifier specified 000000000000:nosuchapi", 404)


def test_import_rest_api_brings_documentation(apigw):
    api = apigw.import_rest_api(body=json.dumps(OAS_WITH_DOCS).encode(), failOnWarnings=True)
    try:
        parts = apigw.get_documentation_parts(restApiId=api["id"])["items"]
        assert [p["location"]["type"] for p in parts] == ["API", "METHOD", "MODEL", "RESPONSE"]
    finally:
        apigw.delete_rest_api(restApiId=api["id"])
    ignored = apigw.import_rest_api(body=json.dumps(OAS_WITH_DOCS).encode(), parameters={"ignore": "documentation"})
    try:
        assert apigw.get_documentation_parts(restApiId=ignored["id"])["items"] == []
    finally:
        apigw.delete_rest_api(restApiId=ignored["id"])


def test_versions_publish_on_a_stage_and_export(apigw):
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root)
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    apigw.create_documentation_part(restApiId=api_id, location={"type": "API"}, properties='{"description": "v1"}')
    apigw.create_documentation_part(restApiId=api_id, location={"type": "METHOD", "method": "GET"},
                                    properties='{"summary": "get"}')
    with pytest.raises(ClientError) as e:
        apigw.get_documentation_version(restApiId=api_id, documentationVersion="1.0.0")
    assert error_of(e) == ("NotFoundException", "Invalid Documentation version specified", 404)
    version = apigw.create_documentation_version(restApiId=api_id, documentationVersion="1.0.0",
                                                 stageName="prod", description="first")
    assert version["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (version["version"], version["description"]) == ("1.0.0", "first") and version["createdDate"]
    assert apigw.get_stage(restApiId=api_id, stageName="prod")["documentationVersion"] == "1.0.0"
    # A version is a snapshot: later changes to the parts do not reach it.
    part_id = apigw.get_documentation_parts(restApiId=api_id, type="API")["items"][0]["id"]
    apigw.update_documentation_part(restApiId=api_id, documentationPartId=part_id, patchOperations=[
        {"op": "replace", "path": "/properties", "value": '{"description": "v2"}'}])
    exported = json.loads(apigw.get_export(restApiId=api_id, stageName="prod", exportType="oas30",
                                           parameters={"extensions": "documentation"})["body"].read())
    published = exported["x-amazon-apigateway-documentation"]
    assert published["version"] == "1.0.0" and published["createdDate"].endswith("Z")
    # Exported locations leave out fields at their defaults, as the guide's export shows.
    assert published["documentationParts"] == [
        {"location": {"type": "API"}, "properties": {"description": "v1"}},
        {"location": {"type": "METHOD", "method": "GET"}, "properties": {"summary": "get"}}]
    without = json.loads(apigw.get_export(restApiId=api_id, stageName="prod", exportType="oas30",
                                          parameters={"extensions": "integrations"})["body"].read())
    assert "x-amazon-apigateway-documentation" not in without

    updated = apigw.update_documentation_version(restApiId=api_id, documentationVersion="1.0.0", patchOperations=[
        {"op": "replace", "path": "/description", "value": "renamed"}])
    assert updated["description"] == "renamed"
    with pytest.raises(ClientError) as e:
        apigw.update_documentation_version(restApiId=api_id, documentationVersion="1.0.0", patchOperations=[
            {"op": "replace", "path": "/version", "value": "2"}])
    assert error_of(e) == ("BadRequestException", "Invalid patch path  '/version' specified for op 'replace'. "
                           "Must be one of: [/description]", 400)
    apigw.create_documentation_version(restApiId=api_id, documentationVersion="1.1.0")
    assert [v["version"] for v in apigw.get_documentation_versions(restApiId=api_id)["items"]] == ["1.0.0", "1.1.0"]
    with pytest.raises(ClientError) as e:
        apigw.create_documentation_version(restApiId=api_id, documentationVersion="1.1.0")
    assert error_of(e)[0::2] == ("ConflictException", 409)
    with pytest.raises(ClientError) as e:
        apigw.create_documentation_version(restApiId=api_id, documentationVersion="2.0.0", stageName="nostage")
    assert error_of(e) == ("NotFoundException", "Invalid Stage identifier specified", 404)
    assert "2.0.0" not in [v["version"] for v in apigw.get_documentation_versions(restApiId=api_id)["items"]]
    assert apigw.delete_documentation_version(restApiId=api_id, documentationVersion="1.1.0")[
        "ResponseMetadata"]["HTTPStatusCode"] == 202
    with pytest.raises(ClientError) as e:
        apigw.delete_documentation_version(restApiId=api_id, documentationVersion="1.1.0")
    assert error_of(e) == ("NotFoundException", "Invalid Documentation version specified", 404)


def test_deleting_the_api_deletes_its_documentation(apigw):
    api_id, _ = new_api(apigw)
    part_id = apigw.create_documentation_part(restApiId=api_id, location={"type": "API"}, properties="{}")["id"]
    apigw.create_documentation_version(restApiId=api_id, documentationVersion="1")
    apigw.delete_rest_api(restApiId=api_id)
    with pytest.raises(ClientError) as e:
        apigw.get_documentation_part(restApiId=api_id, documentationPartId=part_id)
    assert error_of(e) == ("NotFoundException", "Invalid Documentation part identifier specified", 404)
    with pytest.raises(ClientError) as e:
        apigw.get_documentation_versions(restApiId=api_id)
    assert error_of(e) == ("NotFoundException", f"Invalid API identifier specified 000000000000:{api_id}", 404)


def test_aws_cli_creates_and_lists_parts(apigw, aws_cli_env):
    api_id, _ = new_api(apigw)
    created = subprocess.run(
        [AWS, "apigateway", "create-documentation-part", "--rest-api-id", api_id,
         "--location", "type=METHOD,path=/pets,method=GET", "--properties", '{"summary": "List pets"}'],
        env=aws_cli_env, capture_output=True, text=True, check=True)
    part = json.loads(created.stdout)
    assert part["location"] == {"type": "METHOD", "path": "/pets", "method": "GET"}
    listed = subprocess.run([AWS, "apigateway", "get-documentation-parts", "--rest-api-id", api_id],
                            env=aws_cli_env, capture_output=True, text=True, check=True)
    assert [p["id"] for p in json.loads(listed.stdout)["items"]] == [part["id"]]


def test_documentation_survives_kill9(fresh_server):
    from tests.conftest import make_client

    client = make_client("apigateway", fresh_server.endpoint_url)
    api_id, _ = new_api(client)
    part_id = client.create_documentation_part(restApiId=api_id, location={"type": "API"},
                                               properties='{"description": "kept"}')["id"]
    client.create_documentation_version(restApiId=api_id, documentationVersion="1")
    fresh_server.kill9()
    fresh_server.start()
    client = make_client("apigateway", fresh_server.endpoint_url)
    part = client.get_documentation_part(restApiId=api_id, documentationPartId=part_id)
    assert json.loads(part["properties"]) == {"description": "kept"}
    assert client.get_documentation_version(restApiId=api_id, documentationVersion="1")["version"] == "1"


def test_export_writes_openapi_attributes_into_entities(apigw):
    """The developer guide's publishing example: OpenAPI attributes and x- extensions of the
    published parts go into the entities they document, other keys (foo) do not, and the API
    part's info version does not replace the export's."""
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root)
    apigw.create_deployment(restApiId=api_id, stageName="test")
    parts = [
        ({"type": "API"}, {"description": "API description", "foo": "API foo", "x-bar": "API x-bar",
                           "info": {"description": "API info description", "version": "API info version",
                                    "foo": "API info foo", "x-bar": "API info x-bar"}}),
        ({"type": "METHOD", "method": "GET"}, {"description": "Method description.", "x-example": "x- Method example",
                                               "foo": "Method foo"}),
        ({"type": "RESOURCE"}, {"description": "resource description", "foo": "resource foo",
                                "x-bar": "resource x-bar"}),
        ({"type": "RESPONSE", "statusCode": "200"}, {"description": "Everything went well"}),
    ]
    for location, properties in parts:
        apigw.create_documentation_part(restApiId=api_id, location=location, properties=json.dumps(properties))
    apigw.create_documentation_version(restApiId=api_id, documentationVersion="1.0.0", stageName="test")
    for export_type in ("oas30", "swagger"):
        exported = json.loads(apigw.get_export(restApiId=api_id, stageName="test", exportType=export_type,
                                               parameters={"extensions": "documentation"})["body"].read())
        info = exported["info"]
        assert info["description"] == "API info description" and info["x-bar"] == "API info x-bar"
        assert "foo" not in info and info["version"] != "API info version"
        assert exported["x-bar"] == "API x-bar" and "foo" not in exported
        item = exported["paths"]["/"]
        assert item["x-bar"] == "resource x-bar" and "foo" not in item
        operation = item["get"]
        assert operation["description"] == "Method description." and operation["x-example"] == "x- Method example"
        assert "foo" not in operation
        assert operation["responses"]["200"]["description"] == "Everything went well"
        assert len(exported["x-amazon-apigateway-documentation"]["documentationParts"]) == 4


def test_import_reads_non_text_location_fields_and_refuses_bytes_that_are_no_text(apigw):
    """A YAML definition writes `statusCode: 200`, a number: the part is imported with "200" (a
    location's fields are text); a field that is an object or a list is a warning; a body that
    is not UTF-8 is a BadRequest. The first and the last were 500s."""
    api_id, _ = new_api(apigw)
    yaml_body = (b"swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n"
                 b"x-amazon-apigateway-documentation:\n  documentationParts:\n"
                 b"  - location: {type: RESPONSE, method: GET, statusCode: 200}\n"
                 b"    properties: {description: ok}\n"
                 b"  - location: {type: MODEL, name: {nested: 1}}\n"
                 b"    properties: {}\n")
    answer = apigw.import_documentation_parts(restApiId=api_id, body=yaml_body)
    assert len(answer["ids"]) == 1
    assert answer["warnings"] == ["documentationParts[1]: Invalid location: the field 'name' must be a string"]
    [part] = apigw.get_documentation_parts(restApiId=api_id)["items"]
    assert part["location"] == {"type": "RESPONSE", "path": "/", "method": "GET", "statusCode": "200"}
    with pytest.raises(ClientError) as e:
        apigw.import_documentation_parts(restApiId=api_id, body="{}".encode("utf-16"))
    assert error_of(e) == ("BadRequestException", "Invalid OpenAPI input: the document is not UTF-8 text", 400)
    with pytest.raises(ClientError) as e:
        apigw.import_rest_api(body=b"\xff\xfe{")
    assert error_of(e)[0::2] == ("BadRequestException", 400)
