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


def test_s3_bucket_by_path_lists_creates_and_deletes(apigw, client_factory, server):
    """path/{bucket} with no key is the bucket: GET answers S3's ListBucketResult XML, PUT creates
    the bucket, DELETE deletes it (the developer guide's "API as an Amazon S3 proxy" tutorial,
    GET /S3/apig-demo-5 answering the listing XML)."""
    import xml.etree.ElementTree as ET

    s3 = client_factory("s3")
    bucket = f"apigw-list-{uuid.uuid4().hex[:8]}"
    api_id, root = new_api(apigw)
    folder = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{folder}")["id"]
    for verb in ("GET", "PUT", "DELETE"):
        apigw.put_method(restApiId=api_id, resourceId=folder, httpMethod=verb, authorizationType="NONE",
                         requestParameters={"method.request.path.folder": True,
                                            "method.request.querystring.prefix": False})
        apigw.put_integration(
            restApiId=api_id, resourceId=folder, httpMethod=verb, type="AWS", integrationHttpMethod=verb,
            uri="arn:aws:apigateway:us-east-1:s3:path/{bucket}",
            credentials="arn:aws:iam::000000000000:role/apigateway-s3",
            requestParameters={"integration.request.path.bucket": "method.request.path.folder",
                               "integration.request.querystring.prefix": "method.request.querystring.prefix"})
        apigw.put_method_response(restApiId=api_id, resourceId=folder, httpMethod=verb, statusCode="200")
        apigw.put_integration_response(restApiId=api_id, resourceId=folder, httpMethod=verb, statusCode="200")
    apigw.create_deployment(restApiId=api_id, stageName="dev")

    # us-east-1 takes no LocationConstraint (S3 refuses one naming it), so the body is empty here.
    created = call(server, api_id, "dev", f"/{bucket}", "PUT", "", {"Content-Type": "application/xml"})
    assert created.status == 200
    s3.head_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="Readme.txt", Body=b"Hello, World!")
    s3.put_object(Bucket=bucket, Key="docs/a.txt", Body=b"a")

    listed = call(server, api_id, "dev", f"/{bucket}")
    assert listed.status == 200
    ns = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}
    document = ET.fromstring(listed.body)
    assert document.tag == "{http://s3.amazonaws.com/doc/2006-03-01/}ListBucketResult"
    assert document.findtext("s3:Name", namespaces=ns) == bucket
    assert document.findtext("s3:IsTruncated", namespaces=ns) == "false"
    contents = {c.findtext("s3:Key", namespaces=ns): c.findtext("s3:Size", namespaces=ns)
                for c in document.findall("s3:Contents", ns)}
    assert contents == {"Readme.txt": "13", "docs/a.txt": "1"}
    prefixed = ET.fromstring(call(server, api_id, "dev", f"/{bucket}?prefix=docs/").body)
    assert [c.findtext("s3:Key", namespaces=ns) for c in prefixed.findall("s3:Contents", ns)] == ["docs/a.txt"]

    # S3's error passes through as its XML; the only integration response (the default) maps it to 200.
    missing = call(server, api_id, "dev", f"/{bucket}-nope")
    assert missing.status == 200 and b"<Code>NoSuchBucket</Code>" in missing.body
    for key in ("Readme.txt", "docs/a.txt"):
        s3.delete_object(Bucket=bucket, Key=key)
    assert call(server, api_id, "dev", f"/{bucket}", "DELETE").status == 200  # S3 204, mapped by the 200 response
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_s3_bucket_listing_max_keys_from_a_mapping(apigw, client_factory, server):
    """A max-keys mapped from the method's query string reaches ListObjects as S3 would read it:
    an integer pages the listing, anything else is S3's InvalidArgument passed through (it was a
    500 from a TypeError inside the listing)."""
    import xml.etree.ElementTree as ET

    s3 = client_factory("s3")
    bucket = f"apigw-max-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    for key in ("a", "b"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    api_id, root = new_api(apigw)
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE",
                     requestParameters={"method.request.querystring.mk": False})
    apigw.put_integration(
        restApiId=api_id, resourceId=root, httpMethod="GET", type="AWS", integrationHttpMethod="GET",
        uri=f"arn:aws:apigateway:us-east-1:s3:path/{bucket}", credentials="arn:aws:iam::000000000000:role/apigateway-s3",
        requestParameters={"integration.request.querystring.max-keys": "method.request.querystring.mk"})
    apigw.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    apigw.create_deployment(restApiId=api_id, stageName="dev")

    ns = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}
    paged = call(server, api_id, "dev", "/?mk=1")
    assert paged.status == 200
    document = ET.fromstring(paged.body)
    assert document.findtext("s3:IsTruncated", namespaces=ns) == "true"
    assert [c.findtext("s3:Key", namespaces=ns) for c in document.findall("s3:Contents", ns)] == ["a"]
    for value in ("abc", "1.5", "-1"):
        refused = call(server, api_id, "dev", f"/?mk={value}")
        assert refused.status == 200, (value, refused.body)  # the default integration response maps it
        error = ET.fromstring(refused.body)
        assert error.findtext("Code") == "InvalidArgument"
        assert error.findtext("Message") == "Argument maxKeys must be an integer between 0 and 2147483647"


def test_s3_object_put_takes_the_mapped_headers(apigw, client_factory, server):
    """The integration request's mapped headers reach S3 with the object (the developer guide's
    S3 proxy tutorial maps Content-Type, and x-amz-meta-* the same way): a static Content-Type
    wins over the client's, and a mapped metadata header is stored as metadata. They were ignored."""
    s3 = client_factory("s3")
    bucket = f"apigw-headers-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    api_id, root = new_api(apigw)
    item = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{item}")["id"]
    apigw.put_method(restApiId=api_id, resourceId=item, httpMethod="PUT", authorizationType="NONE",
                     requestParameters={"method.request.path.item": True, "method.request.header.x-author": False})
    apigw.put_integration(
        restApiId=api_id, resourceId=item, httpMethod="PUT", type="AWS", integrationHttpMethod="PUT",
        uri=f"arn:aws:apigateway:us-east-1:s3:path/{bucket}/{{key}}",
        credentials="arn:aws:iam::000000000000:role/apigateway-s3",
        requestParameters={"integration.request.path.key": "method.request.path.item",
                           "integration.request.header.Content-Type": "'text/markdown'",
                           "integration.request.header.Cache-Control": "'max-age=60'",
                           "integration.request.header.x-amz-meta-author": "method.request.header.x-author"})
    apigw.put_method_response(restApiId=api_id, resourceId=item, httpMethod="PUT", statusCode="200")
    apigw.put_integration_response(restApiId=api_id, resourceId=item, httpMethod="PUT", statusCode="200")
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    put = call(server, api_id, "dev", "/notes.md", "PUT", "# hello",
               {"Content-Type": "application/json", "x-author": "ada"})
    assert put.status == 200
    head = s3.head_object(Bucket=bucket, Key="notes.md")
    assert (head["ContentType"], head["CacheControl"], head["Metadata"]) == (
        "text/markdown", "max-age=60", {"author": "ada"})
