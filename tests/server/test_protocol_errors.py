"""Errors on the wire, per protocol, as botocore's client reads them and as the bytes go out.

rest-xml (S3): an <Error> document with Code, Message, RequestId (= x-amz-request-id) and
HostId (= x-amz-id-2); HEAD errors carry no body. json and rest-json: `__type`/`message` or
`message` with x-amzn-ErrorType. query: an <ErrorResponse> with Type, Code, Message and
RequestId. smithy-rpc-v2-cbor: a CBOR map with `__type`, and the Smithy-Protocol header.
An operation that the model has and Overcast lacks answers 501 NotImplemented naming it.
"""

from __future__ import annotations

import uuid

import cbor2
import pytest
from botocore.exceptions import ClientError

from tests.support.raw_http import json_call, query_call, request, strip_ns

NOT_FOUND_BUCKET = "The specified bucket does not exist"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def client_error(call, *args, **kwargs) -> dict:
    with pytest.raises(ClientError) as err:
        call(*args, **kwargs)
    return err.value.response


# ------------------------------------------------------------------ rest-xml (S3)


def test_s3_error_through_botocore(s3):
    name = unique("missing")
    response = client_error(s3.get_object, Bucket=name, Key="k")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert response["Error"]["Code"] == "NoSuchBucket"
    assert response["Error"]["Message"] == NOT_FOUND_BUCKET
    assert response["Error"]["BucketName"] == name
    assert response["ResponseMetadata"]["RequestId"]
    assert response["ResponseMetadata"]["HostId"]


def test_s3_error_document_on_the_wire(server, s3):
    bucket = unique("wire")
    s3.create_bucket(Bucket=bucket)
    resp = request(server.endpoint_url, "GET", f"/{bucket}/no-such-key", service="s3")
    assert resp.status == 404
    assert resp.header("Content-Type") == "application/xml"
    root = resp.xml()
    assert root.tag == "Error"  # S3's error documents carry no namespace
    fields = {child.tag: child.text for child in root}
    assert fields["Code"] == "NoSuchKey"
    assert fields["Message"] == "The specified key does not exist."
    assert fields["Key"] == "no-such-key"
    assert fields["RequestId"] == resp.header("x-amz-request-id")
    assert fields["HostId"] == resp.header("x-amz-id-2")
    assert int(resp.header("Content-Length")) == len(resp.body)


def test_s3_head_errors_have_status_and_headers_but_no_body(server, s3):
    bucket = unique("head")
    s3.create_bucket(Bucket=bucket)
    for path in (f"/{unique('missing')}", f"/{bucket}/no-such-key"):
        resp = request(server.endpoint_url, "HEAD", path, service="s3")
        assert resp.status == 404
        assert resp.body == b""
        assert resp.header("x-amz-request-id")
    response = client_error(s3.head_object, Bucket=bucket, Key="no-such-key")
    assert response["Error"]["Code"] == "404"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_s3_method_not_allowed(server, s3):
    bucket = unique("method")
    s3.create_bucket(Bucket=bucket)
    resp = request(server.endpoint_url, "PATCH", f"/{bucket}/k", service="s3")
    assert resp.status == 405
    error = resp.xml_error()
    assert error["Code"] == "MethodNotAllowed"
    assert error["Message"] == "The specified method is not allowed against this resource."
    assert error["Method"] == "PATCH"
    assert error["ResourceType"] == "OBJECT"


def test_rest_xml_service_without_provider_is_501(client_factory):
    response = client_error(client_factory("cloudfront").list_distributions)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert response["Error"]["Code"] == "NotImplemented"
    assert response["Error"]["Message"] == "Overcast does not implement cloudfront:ListDistributions yet."


def test_s3_operation_without_implementation_is_501_naming_it(s3):
    bucket = unique("notimpl")
    s3.create_bucket(Bucket=bucket)
    response = client_error(s3.get_bucket_metadata_table_configuration, Bucket=bucket)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert response["Error"]["Code"] == "NotImplemented"
    assert response["Error"]["Message"] == "Overcast does not implement s3:GetBucketMetadataTableConfiguration yet."


# ------------------------------------------------------------------ json (DynamoDB, Logs, SQS)


def test_json_error_through_botocore(client_factory):
    response = client_error(client_factory("dynamodb").describe_table, TableName="no-such-table")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Code"] == "ResourceNotFoundException"
    assert response["Error"]["Message"] == "Requested resource not found: Table: no-such-table not found"
    assert response["ResponseMetadata"]["RequestId"] == response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]


def test_json_error_on_the_wire(server):
    resp = json_call(server.endpoint_url, "dynamodb", "DynamoDB_20120810.DescribeTable", {"TableName": "no-such-table"})
    assert resp.status == 400
    assert resp.header("Content-Type") == "application/x-amz-json-1.0"
    assert resp.header("x-amzn-ErrorType") == "ResourceNotFoundException"
    assert resp.header("x-amzn-RequestId")
    assert resp.json() == {
        "__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
        "message": "Requested resource not found: Table: no-such-table not found",
    }


def test_json_1_1_error_through_botocore(client_factory):
    response = client_error(client_factory("logs").delete_log_group, logGroupName=unique("no-such-group"))
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Code"] == "ResourceNotFoundException"
    assert response["Error"]["Message"] == "The specified log group does not exist."


@pytest.mark.parametrize("service, call, operation", [
    ("sqs", "list_queues", "sqs:ListQueues"),  # json, with awsQueryCompatible error codes
    ("kinesis", "list_streams", "kinesis:ListStreams"),
    ("events", "list_rules", "events:ListRules"),
])
def test_json_service_without_provider_is_501_naming_the_operation(client_factory, service, call, operation):
    response = client_error(getattr(client_factory(service), call))
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert response["Error"]["Code"] == "NotImplemented"
    assert response["Error"]["Message"] == f"Overcast does not implement {operation} yet."


def test_query_compatible_json_error_carries_the_query_code(server, client_factory):
    # SQS (awsQueryCompatible): x-amzn-query-error gives old SDKs the query protocol's code.
    resp = json_call(server.endpoint_url, "sqs", "AmazonSQS.ListQueues", {})
    assert resp.status == 501
    assert resp.header("x-amzn-query-error") == "NotImplemented;Receiver"
    response = client_error(client_factory("sqs").list_queues)
    assert response["Error"]["QueryErrorCode"] == "NotImplemented"
    assert response["Error"]["Type"] == "Receiver"


# ------------------------------------------------------------------ rest-json (Lambda, API Gateway)


def test_rest_json_error_through_botocore(client_factory):
    response = client_error(client_factory("lambda").get_function, FunctionName="no-such-function")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert response["Error"]["Code"] == "ResourceNotFoundException"
    assert response["Error"]["Message"] == (
        "Function not found: arn:aws:lambda:us-east-1:000000000000:function:no-such-function"
    )


def test_rest_json_error_on_the_wire(server):
    resp = request(server.endpoint_url, "GET", "/2015-03-31/functions/no-such-function", service="lambda")
    assert resp.status == 404
    assert resp.header("x-amzn-ErrorType") == "ResourceNotFoundException"
    assert resp.header("x-amzn-RequestId")
    assert resp.header("Content-Type") == "application/json"
    body = resp.json()
    assert body["Message"].startswith("Function not found: ")
    assert body["Type"] == "User"


def test_rest_json_operation_without_implementation_is_501(client_factory):
    # SDK generation is far off: an operation of the model that the provider does not have.
    response = client_error(client_factory("apigateway").get_sdk_types)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert response["Error"]["Code"] == "NotImplemented"
    assert response["Error"]["Message"] == "Overcast does not implement apigateway:GetSdkTypes yet."
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "NotImplemented"


# ------------------------------------------------------------------ query (STS, IAM, SES)


def test_query_error_through_botocore(client_factory):
    sts = client_factory("sts", parameter_validation=False)
    response = client_error(sts.assume_role)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Code"] == "ValidationError"
    assert response["Error"]["Type"] == "Sender"
    assert "Value null at 'roleArn' failed to satisfy constraint: Member must not be null" in response["Error"]["Message"]


def test_query_error_document_on_the_wire(server):
    resp = query_call(server.endpoint_url, "sts", b"Action=GetCallerIdentity&Version=2011-06-15")
    assert resp.status == 501
    assert resp.header("Content-Type") == "text/xml"
    root = resp.xml()
    assert strip_ns(root.tag) == "ErrorResponse"
    assert root.tag == "{https://sts.amazonaws.com/doc/2011-06-15/}ErrorResponse"
    children = [strip_ns(child.tag) for child in root]
    assert children == ["Error", "RequestId"]
    error = resp.xml_error()
    assert error["Type"] == "Receiver"
    assert error["Code"] == "NotImplemented"
    assert error["Message"] == "Overcast does not implement sts:GetCallerIdentity yet."
    assert error["RequestId"] == resp.header("x-amzn-RequestId")


@pytest.mark.parametrize("service, call, operation", [
    ("sts", "get_caller_identity", "sts:GetCallerIdentity"),
    ("iam", "list_users", "iam:ListUsers"),
    ("ses", "list_identities", "ses:ListIdentities"),
])
def test_query_service_without_provider_is_501(client_factory, service, call, operation):
    response = client_error(getattr(client_factory(service), call))
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert response["Error"]["Code"] == "NotImplemented"
    assert response["Error"]["Message"] == f"Overcast does not implement {operation} yet."


# ------------------------------------------------------------------ smithy-rpc-v2-cbor (CloudWatch)


def test_cbor_error_through_botocore(client_factory):
    cloudwatch = client_factory("cloudwatch", parameter_validation=False)
    response = client_error(cloudwatch.put_metric_data)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # CloudWatch is awsQueryCompatible: botocore reports the query code, and keeps the other.
    assert response["Error"]["Code"] == "MissingParameter"
    assert response["Error"]["QueryErrorCode"] == "MissingRequiredParameterException"
    assert response["Error"]["Message"] == "The parameter Namespace is required."
    response = client_error(client_factory("cloudwatch").list_metrics)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert response["Error"]["Code"] == "NotImplemented"
    assert response["Error"]["Message"] == "Overcast does not implement cloudwatch:ListMetrics yet."


def test_cbor_error_on_the_wire(server):
    resp = request(server.endpoint_url, "POST", "/service/GraniteServiceVersion20100801/operation/ListMetrics",
                   cbor2.dumps({}), {"Content-Type": "application/cbor", "Smithy-Protocol": "rpc-v2-cbor",
                                     "Accept": "application/cbor"}, service="monitoring")
    assert resp.status == 501
    assert resp.header("Smithy-Protocol") == "rpc-v2-cbor"
    assert resp.header("Content-Type") == "application/cbor"
    assert resp.header("x-amzn-query-error") == "NotImplemented;Receiver"
    body = cbor2.loads(resp.body)
    assert body["__type"].rsplit("#", 1)[-1] == "NotImplemented"
    assert body["message"] == "Overcast does not implement cloudwatch:ListMetrics yet."
