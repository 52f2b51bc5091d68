"""AWS service integrations (type AWS, `action/<Operation>` URIs) reaching Overcast's own
DynamoDB through the internal client, with request and response templates."""

from __future__ import annotations

import uuid

from tests.services.apigateway.conftest import call, new_api


def test_dynamodb_put_and_get_through_api(apigw, client_factory, server):
    dynamodb = client_factory("dynamodb")
    table = f"items-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(TableName=table, AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    api_id, root = new_api(apigw)
    items = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="items")["id"]
    item = apigw.create_resource(restApiId=api_id, parentId=items, pathPart="{id}")["id"]
    role = "arn:aws:iam::000000000000:role/apigateway-dynamodb"

    apigw.put_method(restApiId=api_id, resourceId=items, httpMethod="POST", authorizationType="NONE")
    apigw.put_integration(
        restApiId=api_id, resourceId=items, httpMethod="POST", type="AWS", integrationHttpMethod="POST",
        uri="arn:aws:apigateway:us-east-1:dynamodb:action/PutItem", credentials=role,
        requestTemplates={"application/json":
                          '{"TableName": "' + table + '", "Item": {"id": {"S": "$input.path(\'$.id\')"}, '
                          '"name": {"S": "$util.escapeJavaScript($input.path(\'$.name\'))"}}}'})
    apigw.put_method_response(restApiId=api_id, resourceId=items, httpMethod="POST", statusCode="201")
    apigw.put_integration_response(restApiId=api_id, resourceId=items, httpMethod="POST", statusCode="201",
                                   responseTemplates={"application/json": '{"saved": "$input.path(\'$\').size()"}'})

    apigw.put_method(restApiId=api_id, resourceId=item, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(
        restApiId=api_id, resourceId=item, httpMethod="GET", type="AWS", integrationHttpMethod="POST",
        uri="arn:aws:apigateway:us-east-1:dynamodb:action/GetItem", credentials=role,
        requestTemplates={"application/json":
                          '{"TableName": "' + table + '", "Key": {"id": {"S": "$input.params(\'id\')"}}}'})
    apigw.put_method_response(restApiId=api_id, resourceId=item, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(
        restApiId=api_id, resourceId=item, httpMethod="GET", statusCode="200",
        responseTemplates={"application/json":
                           '#set($item = $input.path(\'$.Item\'))'
                           '#if($item)'
                           '{"id": "$item.id.S", "name": "$item.name.S"}'
                           '#{else}'
                           '#set($context.responseOverride.status = 404){"message": "not found"}'
                           '#end'})
    apigw.create_deployment(restApiId=api_id, stageName="dev")

    saved = call(server, api_id, "dev", "/items", "POST", '{"id": "a1", "name": "Widget"}',
                 {"Content-Type": "application/json"})
    assert saved.status == 201 and saved.json() == {"saved": "0"}
    assert dynamodb.get_item(TableName=table, Key={"id": {"S": "a1"}})["Item"]["name"] == {"S": "Widget"}
    got = call(server, api_id, "dev", "/items/a1")
    assert got.status == 200 and got.json() == {"id": "a1", "name": "Widget"}
    missing = call(server, api_id, "dev", "/items/zz")
    assert missing.status == 404 and missing.json() == {"message": "not found"}
