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


def test_s3_objects_by_path_through_api(apigw, client_factory, server):
    """An AWS integration on arn:aws:apigateway:<region>:s3:path/{bucket}/{object}, ANY: the
    request's method on that object (LocalStack's AWS-validated test_apigateway_s3_any: PUT, then
    GET answering what was put)."""
    s3 = client_factory("s3")
    bucket = f"apigw-s3-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    api_id, root = new_api(apigw)
    folder = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{object_path+}")["id"]
    apigw.put_method(restApiId=api_id, resourceId=folder, httpMethod="ANY", authorizationType="NONE",
                     requestParameters={"method.request.path.object_path": True})
    apigw.put_integration(
        restApiId=api_id, resourceId=folder, httpMethod="ANY", type="AWS", integrationHttpMethod="ANY",
        uri=f"arn:aws:apigateway:us-east-1:s3:path/{bucket}/{{object_path}}",
        credentials="arn:aws:iam::000000000000:role/apigateway-s3",
        requestParameters={"integration.request.path.object_path": "method.request.path.object_path"})
    apigw.put_method_response(restApiId=api_id, resourceId=folder, httpMethod="ANY", statusCode="200")
    apigw.put_integration_response(restApiId=api_id, resourceId=folder, httpMethod="ANY", statusCode="200")
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    headers = {"Content-Type": "application/json"}
    assert call(server, api_id, "dev", "/docs/put.json", "PUT", '{"put_id": 1}', headers).status == 200
    assert s3.get_object(Bucket=bucket, Key="docs/put.json")["Body"].read() == b'{"put_id": 1}'
    got = call(server, api_id, "dev", "/docs/put.json")
    assert (got.status, got.json()) == (200, {"put_id": 1})
    assert call(server, api_id, "dev", "/docs/put.json", "DELETE").status == 200  # mapped by the 200 response
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
