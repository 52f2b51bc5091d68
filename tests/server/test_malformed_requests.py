"""Malformed requests, sent as raw HTTP to a real server: each gets its protocol's validation
error (never a 500, never NotImplemented) and leaves the state exactly as it was.

One section per wire protocol. Services without a provider yet (SQS, SNS, STS, CloudWatch)
must still parse, so that a broken request to them is answered as AWS would, before dispatch.
"""

from __future__ import annotations

import json
import uuid

import cbor2
import pytest
from botocore.exceptions import ClientError

from tests.support.raw_http import (
    JSON_10,
    JSON_11,
    json_call,
    parse_http_response,
    query_call,
    raw_signed_request,
    request,
    send_bytes,
)

MALFORMED_XML = "The XML you provided was not well-formed or did not validate against our published schema"
DDB = "DynamoDB_20120810"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def json_error_type(resp) -> str:
    """The error code of a JSON-protocol answer, as botocore reads it (after any '#')."""
    return resp.json()["__type"].rsplit("#", 1)[-1]


@pytest.fixture
def bucket(s3):
    name = unique("malformed")
    s3.create_bucket(Bucket=name)
    return name


def bucket_exists(s3, name: str) -> bool:
    try:
        s3.head_bucket(Bucket=name)
        return True
    except ClientError as err:
        assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 404
        return False


def object_exists(s3, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except ClientError as err:
        assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 404
        return False


# ------------------------------------------------------------------ rest-xml (S3)


@pytest.mark.parametrize("body", [
    b"<CreateBucketConfiguration><LocationConstraint>eu-west-1",  # cut short
    b"<CreateBucketConfiguration><LocationConstraint>eu-west-1</Wrong></CreateBucketConfiguration>",
    b"not xml at all",
    b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e 'boom'>]><CreateBucketConfiguration>&e;</CreateBucketConfiguration>",
])
def test_create_bucket_with_broken_xml_is_malformed_xml_and_creates_nothing(server, s3, body):
    name = unique("never")
    resp = request(server.endpoint_url, "PUT", f"/{name}", body, service="s3")
    assert resp.status == 400
    error = resp.xml_error()
    assert error["Code"] == "MalformedXML"
    assert error["Message"] == MALFORMED_XML
    assert error["RequestId"] == resp.header("x-amz-request-id")
    assert not bucket_exists(s3, name)


@pytest.mark.parametrize("body", [
    b"<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet>",  # unclosed root
    b"<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>",  # Value is required
    b"",  # the tagging document is required
    b"\xff\xfe<Tagging/>",
])
def test_put_bucket_tagging_with_bad_xml_leaves_tags_unchanged(server, s3, bucket, body):
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "keep", "Value": "me"}]})
    resp = request(server.endpoint_url, "PUT", f"/{bucket}?tagging", body, service="s3")
    assert resp.status == 400
    assert resp.xml_error()["Code"] == "MalformedXML"
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "keep", "Value": "me"}]


def test_delete_objects_with_broken_xml_deletes_nothing(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    resp = request(server.endpoint_url, "POST", f"/{bucket}?delete",
                   b"<Delete><Object><Key>k</Key></Object", service="s3")
    assert resp.status == 400
    assert resp.xml_error()["Code"] == "MalformedXML"
    assert object_exists(s3, bucket, "k")


@pytest.mark.parametrize("query, argument, value", [
    ("list-type=2&max-keys=abc", "maxKeys", "abc"),
    ("max-keys=-1", "maxKeys", "-1"),
    ("max-keys=1.5", "maxKeys", "1.5"),
])
def test_non_integer_query_argument_is_invalid_argument(server, bucket, query, argument, value):
    resp = request(server.endpoint_url, "GET", f"/{bucket}?{query}", service="s3")
    assert resp.status == 400
    error = resp.xml_error()
    assert error["Code"] == "InvalidArgument"
    assert error["Message"] == f"Argument {argument} must be an integer between 0 and 2147483647"
    assert error["ArgumentName"] == argument
    assert error["ArgumentValue"] == value


def test_non_integer_part_number_is_invalid_argument(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    resp = request(server.endpoint_url, "GET", f"/{bucket}/k?partNumber=abc", service="s3")
    assert resp.status == 400
    error = resp.xml_error()
    assert error["Code"] == "InvalidArgument"
    assert error["Message"] == "Part number must be an integer between 1 and 10000, inclusive"


@pytest.mark.parametrize("header", ["If-Modified-Since", "If-Unmodified-Since"])
def test_unreadable_conditional_date_is_ignored_as_s3_does(server, s3, bucket, header):
    # HTTP says a recipient ignores a conditional date it cannot read; S3 does.
    s3.put_object(Bucket=bucket, Key="k", Body=b"hello")
    resp = request(server.endpoint_url, "GET", f"/{bucket}/k", headers={header: "not a date"}, service="s3")
    assert resp.status == 200
    assert resp.body == b"hello"


def test_unreadable_range_is_ignored_as_s3_does(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"hello")
    resp = request(server.endpoint_url, "GET", f"/{bucket}/k", headers={"Range": "bytes=zz"}, service="s3")
    assert resp.status == 200
    assert resp.body == b"hello"


def test_non_integer_decoded_content_length_is_refused_and_stores_nothing(server, s3, bucket):
    body = b"5\r\nhello\r\n0\r\n\r\n"
    resp = request(server.endpoint_url, "PUT", f"/{bucket}/k", body, {
        "Content-Encoding": "aws-chunked",
        "X-Amz-Content-SHA256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "X-Amz-Decoded-Content-Length": "five",
    }, service="s3")
    assert resp.status == 400
    assert resp.xml_error()["Code"] == "InvalidArgument"
    assert not object_exists(s3, bucket, "k")


def _chunked_put(server, bucket: str, key: str, body: bytes, decoded_length: int) -> bytes:
    return raw_signed_request(server.endpoint_url, "PUT", f"/{bucket}/{key}", {
        "Content-Encoding": "aws-chunked",
        "X-Amz-Content-SHA256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "X-Amz-Decoded-Content-Length": str(decoded_length),
        "Content-Length": str(len(body)),
        "Connection": "close",
    }, body)


def test_aws_chunked_body_cut_short_is_incomplete_body(server, s3, bucket):
    # The HTTP framing is whole; the aws-chunked framing inside it promises 1 KiB and stops.
    raw = send_bytes(server.endpoint_url, _chunked_put(server, bucket, "cut", b"400\r\n" + b"a" * 10, 1024))
    resp = parse_http_response(raw)
    assert resp.status == 400
    error = resp.xml_error()
    assert error["Code"] == "IncompleteBody"
    assert error["Message"] == "The request body terminated unexpectedly"
    assert not object_exists(s3, bucket, "cut")


def test_aws_chunked_body_shorter_than_declared_is_incomplete_body(server, s3, bucket):
    body = b"a\r\n" + b"a" * 10 + b"\r\n0\r\n\r\n"
    resp = parse_http_response(send_bytes(server.endpoint_url, _chunked_put(server, bucket, "short", body, 100)))
    assert resp.status == 400
    error = resp.xml_error()
    assert error["Code"] == "IncompleteBody"
    assert error["Message"] == "You did not provide the number of bytes specified by the Content-Length HTTP header"
    assert error["NumberBytesExpected"] == "100"
    assert error["NumberBytesProvided"] == "10"
    assert not object_exists(s3, bucket, "short")


def test_aws_chunked_bad_chunk_size_is_incomplete_body(server, s3, bucket):
    body = b"zz\r\nhello\r\n0\r\n\r\n"
    resp = parse_http_response(send_bytes(server.endpoint_url, _chunked_put(server, bucket, "badsize", body, 5)))
    assert resp.status == 400
    assert resp.xml_error()["Code"] == "IncompleteBody"
    assert not object_exists(s3, bucket, "badsize")


def test_body_shorter_than_content_length_then_close_stores_nothing(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="existing", Body=b"old")
    log_start = server.log_path.stat().st_size
    for key in ("new", "existing"):
        head = raw_signed_request(server.endpoint_url, "PUT", f"/{bucket}/{key}", {"Content-Length": "100"})
        send_bytes(server.endpoint_url, head + b"0123456789", half_close=True, timeout=5)
    assert not object_exists(s3, bucket, "new")
    assert s3.get_object(Bucket=bucket, Key="existing")["Body"].read() == b"old"
    # The server shrugged the broken connections off, without a traceback.
    assert server.health()["data_dir"] == str(server.data_dir)
    with open(server.log_path, "rb") as log:
        log.seek(log_start)
        assert b"Traceback" not in log.read()


@pytest.mark.parametrize("content_length", ["abc", "-5", "5, 6"])
def test_unreadable_content_length_is_400_and_stores_nothing(server, s3, bucket, content_length):
    # HTTP framing itself is broken: the HTTP layer answers 400 before any service sees it.
    raw = raw_signed_request(server.endpoint_url, "PUT", f"/{bucket}/k", {"Content-Length": content_length})
    resp = parse_http_response(send_bytes(server.endpoint_url, raw + b"hello", timeout=5))
    assert resp.status == 400
    assert not object_exists(s3, bucket, "k")


# ------------------------------------------------------------------ json (DynamoDB, SQS, Logs)


def _create_table_body(name: str) -> dict:
    return {
        "TableName": name,
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    }


def _table_names(client_factory) -> list[str]:
    return client_factory("dynamodb").list_tables()["TableNames"]


def _break_create_table(kind: str, name: str) -> bytes:
    good = json.dumps(_create_table_body(name)).encode()
    if kind == "truncated":
        return good[: len(good) // 2]
    if kind == "garbage":
        return b"{bad json"
    if kind == "not-an-object":
        return json.dumps([_create_table_body(name)]).encode()
    if kind == "not-utf8":
        return b'{"TableName": "\xff\xfe"}'
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["truncated", "garbage", "not-an-object", "not-utf8"])
def test_dynamodb_broken_json_is_serialization_exception_and_creates_nothing(server, client_factory, kind):
    name = unique("never")
    resp = json_call(server.endpoint_url, "dynamodb", f"{DDB}.CreateTable", _break_create_table(kind, name))
    assert resp.status == 400
    assert json_error_type(resp) == "SerializationException"
    assert resp.header("x-amzn-ErrorType") == "SerializationException"
    assert resp.json()["message"]
    assert name not in _table_names(client_factory)


def test_dynamodb_body_shorter_than_content_length_then_close_creates_nothing(server, client_factory):
    name = unique("never")
    body = json.dumps(_create_table_body(name)).encode()
    head = raw_signed_request(server.endpoint_url, "POST", "/", {
        "X-Amz-Target": f"{DDB}.CreateTable", "Content-Type": JSON_10, "Content-Length": str(len(body) + 50),
    }, service="dynamodb")
    send_bytes(server.endpoint_url, head + body, half_close=True, timeout=5)
    assert name not in _table_names(client_factory)


def test_dynamodb_string_where_number_is_serialization_exception(server, client_factory):
    name = unique("never")
    body = _create_table_body(name)
    body["BillingMode"] = "PROVISIONED"
    body["ProvisionedThroughput"] = {"ReadCapacityUnits": "five", "WriteCapacityUnits": 1}
    resp = json_call(server.endpoint_url, "dynamodb", f"{DDB}.CreateTable", body)
    assert resp.status == 400
    assert json_error_type(resp) == "SerializationException"
    assert name not in _table_names(client_factory)


def test_dynamodb_number_where_string_is_serialization_exception(server):
    resp = json_call(server.endpoint_url, "dynamodb", f"{DDB}.DescribeTable", {"TableName": 5})
    assert resp.status == 400
    assert json_error_type(resp) == "SerializationException"


def test_dynamodb_missing_required_member_is_validation_exception(server, client_factory):
    body = _create_table_body("x")
    del body["TableName"]
    before = _table_names(client_factory)
    resp = json_call(server.endpoint_url, "dynamodb", f"{DDB}.CreateTable", body)
    assert resp.status == 400
    assert json_error_type(resp) == "ValidationException"
    assert resp.json()["message"] == (
        "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: "
        "Member must not be null"
    )
    assert _table_names(client_factory) == before


def test_dynamodb_out_of_range_value_is_validation_exception(server):
    resp = json_call(server.endpoint_url, "dynamodb", f"{DDB}.ListTables", {"Limit": 0})
    assert resp.status == 400
    assert json_error_type(resp) == "ValidationException"
    assert "'limit'" in resp.json()["message"]


@pytest.mark.parametrize("target", [f"{DDB}.NoSuchOperation", f"{DDB}.", "DynamoDB_20120810"])
def test_dynamodb_unknown_target_is_unknown_operation_exception(server, target):
    resp = json_call(server.endpoint_url, "dynamodb", target, {})
    assert resp.status == 400
    assert json_error_type(resp) == "UnknownOperationException"
    assert resp.header("x-amzn-ErrorType") == "UnknownOperationException"


def test_dynamodb_without_target_is_unknown_operation_exception(server):
    resp = request(server.endpoint_url, "POST", "/", b"{}", {"Content-Type": JSON_10}, service="dynamodb")
    assert resp.status == 400
    assert json_error_type(resp) == "UnknownOperationException"


def test_dynamodb_put_item_with_broken_item_writes_nothing(server, client_factory):
    ddb = client_factory("dynamodb")
    name = unique("items")
    ddb.create_table(**_create_table_body(name))
    for body in (
        b'{"TableName": "%s", "Item": {"pk": {"S": "a"}' % name.encode(),  # cut short
        json.dumps({"TableName": name, "Item": {"pk": {"S": 5}}}).encode(),  # number for string
        json.dumps({"TableName": name, "Item": "pk"}).encode(),  # string for map
    ):
        resp = json_call(server.endpoint_url, "dynamodb", f"{DDB}.PutItem", body)
        assert resp.status == 400, resp.body
        assert json_error_type(resp) in ("SerializationException", "ValidationException")
    assert ddb.scan(TableName=name)["Count"] == 0


def test_sqs_without_provider_still_parses_first(server):
    # Broken or incomplete input gets the protocol's answer, not NotImplemented...
    broken = json_call(server.endpoint_url, "sqs", "AmazonSQS.CreateQueue", b"{bad")
    assert broken.status == 400
    assert json_error_type(broken) == "SerializationException"
    missing = json_call(server.endpoint_url, "sqs", "AmazonSQS.CreateQueue", {})
    assert missing.status == 400
    assert json_error_type(missing) == "ValidationException"
    unknown = json_call(server.endpoint_url, "sqs", "AmazonSQS.NoSuchOperation", {})
    assert unknown.status == 400
    assert json_error_type(unknown) == "UnknownOperationException"
    # ...and only well-formed input reaches dispatch, which names what is missing.
    ok = json_call(server.endpoint_url, "sqs", "AmazonSQS.CreateQueue", {"QueueName": "q"})
    assert ok.status == 501
    assert json_error_type(ok) == "NotImplemented"
    assert "sqs:CreateQueue" in ok.json()["message"]


def test_logs_broken_json_is_serialization_exception(server):
    resp = json_call(server.endpoint_url, "logs", "Logs_20140328.CreateLogGroup", b"{bad", content_type=JSON_11)
    assert resp.status == 400
    assert json_error_type(resp) == "SerializationException"


# ------------------------------------------------------------------ rest-json (Lambda)


def test_lambda_broken_json_is_refused_and_creates_nothing(server, client_factory):
    name = unique("fn")
    for body in (b'{"FunctionName": "%s", "Role": ' % name.encode(),
                 json.dumps({"FunctionName": 5, "Role": "r", "Code": {}}).encode()):
        resp = request(server.endpoint_url, "POST", "/2015-03-31/functions", body,
                       {"Content-Type": "application/json"}, service="lambda")
        assert resp.status == 400
        assert resp.header("x-amzn-ErrorType") == "InvalidRequestContentException"
    with pytest.raises(ClientError) as err:
        client_factory("lambda").get_function(FunctionName=name)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_lambda_missing_required_member_is_validation_exception(server):
    resp = request(server.endpoint_url, "POST", "/2015-03-31/functions", b"{}",
                   {"Content-Type": "application/json"}, service="lambda")
    assert resp.status == 400
    assert resp.header("x-amzn-ErrorType") == "ValidationException"
    assert "FunctionName" in resp.json()["message"]


def test_lambda_non_integer_query_is_validation_exception(server):
    resp = request(server.endpoint_url, "GET", "/2015-03-31/functions/?MaxItems=abc", service="lambda")
    assert resp.status == 400
    assert resp.header("x-amzn-ErrorType") == "ValidationException"
    assert "MaxItems" in resp.json()["message"]


# ------------------------------------------------------------------ query (STS, SNS)


def _query_error(resp) -> dict[str, str]:
    assert resp.xml().tag.endswith("ErrorResponse")
    return resp.xml_error()


def test_query_without_action_is_missing_action(server):
    resp = query_call(server.endpoint_url, "sts", b"Version=2011-06-15")
    assert resp.status == 400
    error = _query_error(resp)
    assert error["Code"] == "MissingAction"
    assert error["Type"] == "Sender"


def test_query_unknown_action_is_invalid_action(server):
    resp = query_call(server.endpoint_url, "sts", b"Action=NoSuchThing&Version=2011-06-15")
    assert resp.status == 400
    error = _query_error(resp)
    assert error["Code"] == "InvalidAction"
    assert "NoSuchThing" in error["Message"]


def test_query_missing_required_parameters_is_validation_error(server):
    resp = query_call(server.endpoint_url, "sts", b"Action=AssumeRole&Version=2011-06-15")
    assert resp.status == 400
    error = _query_error(resp)
    assert error["Code"] == "ValidationError"
    assert "roleArn" in error["Message"] and "roleSessionName" in error["Message"]


def test_query_non_integer_parameter_is_refused(server):
    form = (b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::000000000000:role/r"
            b"&RoleSessionName=s&DurationSeconds=abc")
    resp = query_call(server.endpoint_url, "sts", form)
    assert resp.status == 400
    error = _query_error(resp)
    assert error["Type"] == "Sender"
    assert error["Code"] != "NotImplemented"
    assert "DurationSeconds" in error["Message"]


def test_sns_without_provider_still_validates_first(server):
    missing = query_call(server.endpoint_url, "sns", b"Action=Publish&Version=2010-03-31")
    assert missing.status == 400
    assert _query_error(missing)["Code"] == "ValidationError"
    ok = query_call(server.endpoint_url, "sns",
                    b"Action=Publish&Version=2010-03-31&Message=hi&TopicArn=arn:aws:sns:us-east-1:000000000000:t")
    assert ok.status == 501
    error = _query_error(ok)
    assert error["Code"] == "NotImplemented"
    assert "sns:Publish" in error["Message"]


# ------------------------------------------------------------------ smithy-rpc-v2-cbor (CloudWatch)


CW_PATH = "/service/GraniteServiceVersion20100801/operation/"
CBOR_HEADERS = {"Content-Type": "application/cbor", "Smithy-Protocol": "rpc-v2-cbor", "Accept": "application/cbor"}


def _cbor_call(server, operation: str, body: bytes):
    return request(server.endpoint_url, "POST", CW_PATH + operation, body, CBOR_HEADERS, service="monitoring")


def _cbor_error(resp) -> tuple[str, str]:
    assert resp.header("Content-Type") == "application/cbor"
    doc = cbor2.loads(resp.body)
    return doc["__type"].rsplit("#", 1)[-1], doc.get("message", "")


@pytest.mark.parametrize("body", [b"\xbf\x61", b"\xff", cbor2.dumps({"Namespace": "n"})[:-1]])
def test_cloudwatch_broken_cbor_is_serialization_exception(server, body):
    resp = _cbor_call(server, "PutMetricData", body)
    assert resp.status == 400
    code, message = _cbor_error(resp)
    assert code == "SerializationException"
    assert message


def test_cloudwatch_wrong_type_and_missing_member_are_refused_before_dispatch(server):
    wrong = _cbor_call(server, "PutMetricData", cbor2.dumps({"Namespace": 5, "MetricData": []}))
    assert wrong.status == 400
    assert _cbor_error(wrong)[0] == "InvalidParameterValueException"
    missing = _cbor_call(server, "PutMetricData", cbor2.dumps({}))
    assert missing.status == 400
    assert _cbor_error(missing) == ("MissingRequiredParameterException", "The parameter Namespace is required.")


def test_cloudwatch_unknown_operation_is_unknown_operation_exception(server):
    resp = _cbor_call(server, "NoSuchOperation", cbor2.dumps({}))
    assert resp.status == 400
    assert _cbor_error(resp)[0] == "UnknownOperationException"


def test_cloudwatch_well_formed_request_is_not_implemented(server):
    body = cbor2.dumps({"Namespace": "n", "MetricData": [{"MetricName": "m", "Value": 1.0}]})
    resp = _cbor_call(server, "PutMetricData", body)
    assert resp.status == 501
    code, message = _cbor_error(resp)
    assert code == "NotImplemented"
    assert "cloudwatch:PutMetricData" in message
