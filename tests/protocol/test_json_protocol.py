"""awsJson 1.0/1.1: botocore's client serializer -> our parser, our serializer -> botocore's parser,
for every operation of every JSON service we ship, plus errors and malformed input."""

from __future__ import annotations

import json

import pytest
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from hypothesis import given, settings
from hypothesis import strategies as st

from overcast.protocol.catalog import SERVICES
from overcast.protocol.errors import SerializationError, ServiceError, UnknownOperation, ValidationError
from overcast.protocol.model import load_service_model
from overcast.protocol.parsers.awsjson import JsonParser
from overcast.protocol.serializers.awsjson import JsonSerializer
from overcast.protocol.validation import register_missing_required_handler
from overcast.server.http import Request, RequestBody
from tests.protocol.samples import (
    botocore_model,
    has_event_stream,
    make_context,
    run,
    sample_input,
    sample_output,
    to_botocore_response,
    to_our_request,
    without_metadata,
)

# CloudWatch also speaks awsJson 1.0 (its model lists json among its protocols).
JSON_SERVICES = [
    s.name for s in SERVICES if s.protocol == "json" or "json" in load_service_model(s.name).protocols
]
SEEDS = (0, 1, 2)


def _operations() -> list[tuple[str, str]]:
    return [(svc, op) for svc in JSON_SERVICES for op in load_service_model(svc).operation_names]


OPERATIONS = _operations()
OPERATION_IDS = [f"{svc}.{op}" for svc, op in OPERATIONS]


def _parse(service: str, request: Request):
    return run(JsonParser(load_service_model(service)).parse(request))


@pytest.mark.parametrize(("service", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_request_round_trip(service: str, operation: str) -> None:
    model = load_service_model(service)
    op = model.operation(operation)
    bc_op = botocore_model(service).operation_model(operation)
    serializer = create_serializer("json")
    parser = JsonParser(model)
    for seed in SEEDS:
        params = sample_input(op, seed, exotic_strings=True)
        request = to_our_request(serializer.serialize_to_request(params, bc_op))
        parsed_op, parsed = run(parser.parse(request))
        assert parsed_op.name == operation
        assert parsed == params, f"seed {seed}"


@pytest.mark.parametrize(("service", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_response_round_trip(service: str, operation: str) -> None:
    model = load_service_model(service)
    op = model.operation(operation)
    if has_event_stream(op.output_shape):
        _event_stream_round_trip(service, operation)
        return
    bc_op = botocore_model(service).operation_model(operation)
    serializer = JsonSerializer(model)
    parser = create_parser("json")
    for seed in SEEDS:
        output = sample_output(op, seed, exotic_strings=True)
        response = serializer.serialize(make_context(), op, output)
        assert response.status == 200
        assert (
            response.get_header("Content-Type") == f"application/x-amz-json-{model.metadata['jsonVersion']}"
        )
        assert response.get_header("x-amzn-RequestId") == "req-0123456789abcdef"
        parsed = parser.parse(to_botocore_response(response), bc_op.output_shape)
        assert without_metadata(parsed) == output, f"seed {seed}"
        assert parsed["ResponseMetadata"]["RequestId"] == "req-0123456789abcdef"


class _Stream:
    def __init__(self, data: bytes):
        self.data = data

    def stream(self, **_):
        # Odd-sized chunks: message framing must not depend on chunk boundaries.
        for start in range(0, len(self.data), 7):
            yield self.data[start : start + 7]

    def close(self) -> None:
        pass


def _event_stream_response(model, op, output):
    response = JsonSerializer(model).serialize(make_context(), op, output)
    assert response.status == 200
    assert response.get_header("Content-Type") == "application/vnd.amazon.eventstream"
    raw = to_botocore_response(response)
    raw["body"] = _Stream(raw["body"])
    raw["context"] = {"operation_name": op.name}
    return raw


def _event_stream_round_trip(service: str, operation: str) -> None:
    from tests.protocol.samples import SampleGenerator

    model = load_service_model(service)
    op = model.operation(operation)
    bc_op = botocore_model(service).operation_model(operation)
    stream_name, stream_shape = next(
        (n, m) for n, m in op.output_shape.members.items() if m.raw.get("eventstream")
    )
    for seed in SEEDS:
        gen = SampleGenerator(seed, exotic_strings=True)
        output = sample_output(op, seed, exotic_strings=True)
        events = [
            {name: gen.value(event)}
            for name, event in stream_shape.members.items()
            if not event.is_error
            for _ in range(2)
        ]
        raw = _event_stream_response(model, op, {**output, stream_name: iter(events)})
        parsed = create_parser("json").parse(raw, bc_op.output_shape)
        received = list(parsed.pop(stream_name))
        assert without_metadata(parsed) == output, f"seed {seed}"
        assert received == events, f"seed {seed}"


def test_event_stream_ends_with_modeled_exception() -> None:
    from botocore.exceptions import EventStreamError

    model = load_service_model("kinesis")
    op = model.operation("SubscribeToShard")

    async def events():
        yield {
            "SubscribeToShardEvent": {
                "Records": [],
                "ContinuationSequenceNumber": "1",
                "MillisBehindLatest": 0,
            }
        }
        raise ServiceError("Stream s not found", code="ResourceNotFoundException")

    raw = _event_stream_response(model, op, {"EventStream": events()})
    bc_op = botocore_model("kinesis").operation_model("SubscribeToShard")
    stream = create_parser("json").parse(raw, bc_op.output_shape)["EventStream"]
    iterator = iter(stream)
    first = next(iterator)
    assert first["SubscribeToShardEvent"]["ContinuationSequenceNumber"] == "1"
    with pytest.raises(EventStreamError) as info:
        next(iterator)
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert info.value.response["Error"]["Message"] == "Stream s not found"


def test_event_message_framing_matches_botocore_decoder() -> None:
    from datetime import UTC, datetime

    from botocore.eventstream import EventStreamBuffer

    from overcast.protocol.serializers.awsjson import encode_event_message

    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    data = encode_event_message(
        [("s", "text"), ("yes", True), ("no", False), ("n", 2**40), ("b", b"\x00\x01"), ("t", when)],
        b"payload",
    )
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    (message,) = list(buffer)
    # botocore hands timestamp headers over as epoch milliseconds
    assert message.payload == b"payload"
    assert message.headers == {
        "s": "text",
        "yes": True,
        "no": False,
        "n": 2**40,
        "b": b"\x00\x01",
        "t": 1704164645000,
    }


@pytest.mark.parametrize("service", JSON_SERVICES)
def test_modeled_errors_round_trip(service: str) -> None:
    model = load_service_model(service)
    serializer = JsonSerializer(model)
    parser = create_parser("json")
    query_compatible = "awsQueryCompatible" in model.metadata
    shapes = [name for name, raw in model.raw_shapes.items() if raw.get("exception")]
    assert shapes
    for name in shapes:
        status = model.raw_shapes[name].get("error", {}).get("httpStatusCode", 400)
        error = ServiceError(f"{name} happened", code=name, status=status)
        response = serializer.serialize_error(make_context(), None, error)
        assert response.status == status
        parsed = parser.parse(to_botocore_response(response), None)
        wire_code = model.raw_shapes[name].get("error", {}).get("code", name) if query_compatible else name
        assert parsed["Error"]["Code"] == wire_code
        assert parsed["Error"]["Message"] == f"{name} happened"
        assert parsed["ResponseMetadata"]["RequestId"] == "req-0123456789abcdef"
        if query_compatible:
            assert parsed["Error"]["QueryErrorCode"] == name
            assert parsed["Error"]["Type"] == "Sender"


def test_dynamodb_error_type_is_namespaced_and_carries_fields() -> None:
    model = load_service_model("dynamodb")
    error = ServiceError(
        "The conditional request failed",
        code="ConditionalCheckFailedException",
        Item={"pk": {"S": "a"}, "data": {"B": b"\x00\x01"}},
    )
    response = JsonSerializer(model).serialize_error(make_context(), None, error)
    body = json.loads(response.body)
    assert body["__type"] == "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"
    assert body["message"] == "The conditional request failed"
    assert body["Item"] == {"pk": {"S": "a"}, "data": {"B": "AAE="}}
    assert response.get_header("x-amzn-ErrorType") == "ConditionalCheckFailedException"
    # botocore reads the modeled fields back through the error shape
    bc_shape = botocore_model("dynamodb").shape_for("ConditionalCheckFailedException")
    parsed = create_parser("json").parse(to_botocore_response(response), bc_shape)
    assert parsed["Item"] == {"pk": {"S": "a"}, "data": {"B": b"\x00\x01"}}


def test_protocol_errors_use_coral_namespaces_for_dynamodb() -> None:
    model = load_service_model("dynamodb")
    response = JsonSerializer(model).serialize_error(make_context(), None, SerializationError("bad"))
    assert json.loads(response.body)["__type"] == "com.amazon.coral.service#SerializationException"
    response = JsonSerializer(model).serialize_error(make_context(), None, ValidationError("bad"))
    assert json.loads(response.body)["__type"] == "com.amazon.coral.validate#ValidationException"


def test_sqs_errors_carry_query_error_header() -> None:
    model = load_service_model("sqs")

    class QueueDoesNotExist(ServiceError):
        code = "QueueDoesNotExist"
        query_code = "AWS.SimpleQueueService.NonExistentQueue"

    response = JsonSerializer(model).serialize_error(make_context(), None, QueueDoesNotExist("no queue"))
    assert response.get_header("x-amzn-query-error") == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    assert json.loads(response.body)["__type"] == "com.amazonaws.sqs#QueueDoesNotExist"
    parsed = create_parser("json").parse(to_botocore_response(response), None)
    assert parsed["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert parsed["Error"]["QueryErrorCode"] == "QueueDoesNotExist"


def test_server_fault_is_receiver_in_query_error_header() -> None:
    model = load_service_model("sqs")
    error = ServiceError("boom", code="InternalFailure", status=500, sender_fault=False)
    response = JsonSerializer(model).serialize_error(make_context(), None, error)
    assert response.status == 500
    assert response.get_header("x-amzn-query-error") == "InternalFailure;Receiver"


def test_plain_error_type_for_kinesis() -> None:
    response = JsonSerializer(load_service_model("kinesis")).serialize_error(
        make_context(), None, ServiceError("gone", code="ResourceNotFoundException")
    )
    assert json.loads(response.body) == {"__type": "ResourceNotFoundException", "message": "gone"}


# -- malformed input ----------------------------------------------------------------------------


def _raw_request(target: str, body: bytes) -> Request:
    return Request(
        method="POST",
        path="/",
        query_string="",
        headers={"x-amz-target": target, "content-type": "application/x-amz-json-1.0"},
        body=RequestBody.from_bytes(body),
    )


def test_broken_json_is_serialization_exception() -> None:
    with pytest.raises(SerializationError) as info:
        _parse("dynamodb", _raw_request("DynamoDB_20120810.GetItem", b'{"TableName": '))
    assert info.value.code == "SerializationException"
    assert info.value.status == 400


def test_non_object_body_is_serialization_exception() -> None:
    with pytest.raises(SerializationError):
        _parse("dynamodb", _raw_request("DynamoDB_20120810.ListTables", b"[1, 2]"))


def test_empty_body_reads_as_empty_input() -> None:
    op, params = _parse("dynamodb", _raw_request("DynamoDB_20120810.ListTables", b""))
    assert (op.name, params) == ("ListTables", {})


@pytest.mark.parametrize(
    "target",
    ["DynamoDB_20120810.NoSuchThing", "Kinesis_20131202.ListStreams", "GetItem", ""],
)
def test_unknown_target_is_unknown_operation(target: str) -> None:
    with pytest.raises(UnknownOperation) as info:
        _parse("dynamodb", _raw_request(target, b"{}"))
    assert info.value.code == "UnknownOperationException"
    assert info.value.status == 400


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"TableName": 5, "Key": {}}, "NUMBER_VALUE cannot be converted to String"),
        ({"TableName": True, "Key": {}}, "TRUE_VALUE cannot be converted to String"),
        (
            {"TableName": "t", "Key": {"pk": {"S": {"x": 1}}}},
            "Start of structure or map found where not expected.",
        ),
        ({"TableName": "t", "Key": {"pk": {"S": ["x"]}}}, "Start of list found where not expected."),
        ({"TableName": "t", "Key": []}, "'key'"),
        ({"TableName": "t", "Key": {"pk": {"B": "not base64!"}}}, "'key.pk.b'"),
        ({"TableName": "t", "Key": {"pk": {"L": [{"BOOL": "yes"}]}}}, "'key.pk.l.1.member.bOOL'"),
        ({"TableName": "t", "Key": {}, "ConsistentRead": "true"}, "'consistentRead'"),
        ({"TableName": "t", "Key": {}, "AttributesToGet": "a"}, "'attributesToGet'"),
        ({"TableName": "t", "Key": {}, "AttributesToGet": [1]}, "NUMBER_VALUE cannot be converted to String"),
    ],
)
def test_wrong_member_type_is_serialization_exception(body: dict, message: str) -> None:
    with pytest.raises(SerializationError) as info:
        _parse("dynamodb", _raw_request("DynamoDB_20120810.GetItem", json.dumps(body).encode()))
    assert info.value.status == 400
    assert info.value.code == "SerializationException"
    assert message in info.value.message


def test_integers_and_timestamps_are_typed() -> None:
    body = {"StreamName": "s", "ShardId": "x", "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": 1700000000.5}
    op, params = _parse(
        "kinesis", _raw_request("Kinesis_20131202.GetShardIterator", json.dumps(body).encode())
    )
    assert params["Timestamp"].timestamp() == 1700000000.5
    assert params["Timestamp"].tzinfo is not None
    with pytest.raises(SerializationError):
        _parse(
            "kinesis", _raw_request("Kinesis_20131202.GetRecords", b'{"ShardIterator": "i", "Limit": "5"}')
        )
    op, params = _parse(
        "kinesis", _raw_request("Kinesis_20131202.GetRecords", b'{"ShardIterator": "i", "Limit": 5}')
    )
    assert params == {"ShardIterator": "i", "Limit": 5}


def test_missing_required_members_is_validation_exception() -> None:
    with pytest.raises(ValidationError) as info:
        _parse("logs", _raw_request("Logs_20140328.CreateLogGroup", b'{"kmsKeyId": "k"}'))
    assert info.value.code == "ValidationException"
    assert info.value.message == (
        "1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_missing_required_nested_member_names_its_path() -> None:
    body = {"TableName": "t", "KeySchema": [{"AttributeName": "pk"}], "AttributeDefinitions": []}
    with pytest.raises(ValidationError) as info:
        _parse("dynamodb", _raw_request("DynamoDB_20120810.CreateTable", json.dumps(body).encode()))
    assert "'keySchema.1.member.keyType'" in info.value.message


def test_missing_required_error_is_overridable_per_service() -> None:
    seen = []

    def handler(operation, paths):
        seen.append((operation.name, paths))
        return ValidationError("custom wording", code="ValidationException")

    register_missing_required_handler("events", handler)
    try:
        with pytest.raises(ValidationError) as info:
            _parse("events", _raw_request("AWSEvents.DescribeRule", b"{}"))
        assert info.value.message == "custom wording"
        assert seen == [("DescribeRule", [("Name",)])]
    finally:
        from overcast.protocol import validation

        validation._MISSING_REQUIRED_HANDLERS.pop("events", None)


def test_null_members_are_absent() -> None:
    op, params = _parse(
        "dynamodb",
        _raw_request("DynamoDB_20120810.ListTables", b'{"ExclusiveStartTableName": null, "Limit": 3}'),
    )
    assert params == {"Limit": 3}


def test_readers_are_compiled_once_per_operation() -> None:
    model = load_service_model("dynamodb")
    parser = JsonParser(model)
    request = _raw_request("DynamoDB_20120810.GetItem", b'{"TableName": "t", "Key": {"pk": {"S": "a"}}}')
    run(parser.parse(request))
    reader = model.operation("GetItem").cache[JsonParser.cache_key]
    request = _raw_request("DynamoDB_20120810.GetItem", b'{"TableName": "t", "Key": {"pk": {"N": "1"}}}')
    op, params = run(parser.parse(request))
    assert model.operation("GetItem").cache[JsonParser.cache_key] is reader
    assert params == {"TableName": "t", "Key": {"pk": {"N": "1"}}}


def test_output_accepts_provider_friendly_values() -> None:
    from datetime import datetime
    from decimal import Decimal

    model = load_service_model("kinesis")
    op = model.operation("DescribeStreamSummary")
    output = {
        "StreamDescriptionSummary": {
            "StreamName": "s",
            "StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s",
            "StreamStatus": "ACTIVE",
            "RetentionPeriodHours": Decimal(24),
            "StreamCreationTimestamp": datetime(2024, 1, 2, 3, 4, 5),  # naive means UTC
            "EnhancedMonitoring": [],
            "OpenShardCount": 1,
        }
    }
    response = JsonSerializer(model).serialize(make_context(), op, output)
    body = json.loads(response.body)["StreamDescriptionSummary"]
    assert body["RetentionPeriodHours"] == 24
    assert body["StreamCreationTimestamp"] == 1704164645


def test_deeply_nested_input_is_a_client_error() -> None:
    depth = 5000
    body = '{"TableName": "t", "Key": {"pk": ' + '{"L": [' * depth + '{"S": "x"}' + "]}" * depth + "}}"
    with pytest.raises(SerializationError):
        _parse("dynamodb", _raw_request("DynamoDB_20120810.GetItem", body.encode()))


# -- through a real boto3 client ------------------------------------------------------------------


def test_boto3_dynamodb_get_item_and_modeled_error() -> None:
    from datetime import UTC, datetime

    from tests.protocol.samples import in_process_client

    def provider(operation: str, params: dict) -> dict:
        if operation == "GetItem":
            return {"Item": {"pk": params["Key"]["pk"], "blob": {"B": b"\xff\x00"}}}
        if operation == "DescribeTable":
            return {
                "Table": {
                    "TableName": params["TableName"],
                    "CreationDateTime": datetime(2024, 1, 1, tzinfo=UTC),
                }
            }
        raise ServiceError(
            "The conditional request failed", code="ConditionalCheckFailedException", Item={"pk": {"S": "a"}}
        )

    client = in_process_client("dynamodb", provider)
    item = client.get_item(TableName="t", Key={"pk": {"S": "a"}})["Item"]
    assert item == {"pk": {"S": "a"}, "blob": {"B": b"\xff\x00"}}
    table = client.describe_table(TableName="t")["Table"]
    assert table["CreationDateTime"] == datetime(2024, 1, 1, tzinfo=UTC)
    with pytest.raises(client.exceptions.ConditionalCheckFailedException) as info:
        client.put_item(TableName="t", Item={"pk": {"S": "a"}})
    assert info.value.response["Error"]["Message"] == "The conditional request failed"
    assert info.value.response["Item"] == {"pk": {"S": "a"}}
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert client.calls[-1] == ("PutItem", {"TableName": "t", "Item": {"pk": {"S": "a"}}})


def test_boto3_sqs_query_compatible_error_maps_to_modeled_exception() -> None:
    from tests.protocol.samples import in_process_client

    class QueueDoesNotExist(ServiceError):
        code = "QueueDoesNotExist"
        query_code = "AWS.SimpleQueueService.NonExistentQueue"

    def provider(operation: str, params: dict) -> dict:
        raise QueueDoesNotExist("The specified queue does not exist.")

    client = in_process_client("sqs", provider)
    with pytest.raises(client.exceptions.QueueDoesNotExist) as info:
        client.get_queue_url(QueueName="missing")
    assert info.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"


def test_boto3_cloudwatch_defaults_to_json() -> None:
    from datetime import UTC, datetime

    from tests.protocol.samples import in_process_client

    def provider(operation: str, params: dict) -> dict:
        return {"Datapoints": [{"Timestamp": params["StartTime"], "Sum": 2.5, "Unit": "Count"}], "Label": "m"}

    client = in_process_client("cloudwatch", provider)
    # botocore ranks awsJson above CBOR: this is how boto3 and the AWS CLI talk to CloudWatch.
    assert client.meta.service_model.resolved_protocol == "json"
    start = datetime(2024, 1, 1, tzinfo=UTC)
    out = client.get_metric_statistics(
        Namespace="n", MetricName="m", StartTime=start, EndTime=start, Period=60, Statistics=["Sum"]
    )
    assert out["Datapoints"] == [{"Timestamp": start, "Sum": 2.5, "Unit": "Count"}]


# -- model features the shipped JSON services do not use ------------------------------------------

SYNTHETIC = {
    "metadata": {
        "apiVersion": "2020-01-01",
        "endpointPrefix": "synthetic",
        "jsonVersion": "1.1",
        "protocol": "json",
        "targetPrefix": "Synthetic_20200101",
        "serviceId": "Synthetic",
        "signatureVersion": "v4",
    },
    "operations": {
        "Echo": {
            "name": "Echo",
            "http": {"method": "POST", "requestUri": "/"},
            "input": {"shape": "Thing"},
            "output": {"shape": "Thing"},
        }
    },
    "shapes": {
        "Thing": {
            "type": "structure",
            "members": {
                "Name": {"shape": "String", "locationName": "name"},
                "Doc": {"shape": "Document"},
                "Child": {"shape": "Thing", "locationName": "child"},
                "Items": {"shape": "ThingList", "locationName": "items"},
                "ByKey": {"shape": "ThingMap"},
                "Choice": {"shape": "Choice"},
                "When": {"shape": "Stamp"},
                "Iso": {"shape": "IsoStamp"},
                "Data": {"shape": "Blob"},
            },
        },
        "ThingList": {"type": "list", "member": {"shape": "Thing"}},
        "ThingMap": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "Thing"}},
        "Choice": {
            "type": "structure",
            "union": True,
            "members": {"Left": {"shape": "String", "locationName": "left"}, "Right": {"shape": "Long"}},
        },
        "Document": {"type": "structure", "members": {}, "document": True},
        "String": {"type": "string"},
        "Long": {"type": "long"},
        "Stamp": {"type": "timestamp"},
        "IsoStamp": {"type": "timestamp", "timestampFormat": "iso8601"},
        "Blob": {"type": "blob"},
    },
}


def test_renamed_members_documents_unions_round_trip() -> None:
    from botocore.model import ServiceModel as BotocoreServiceModel

    from overcast.protocol.model import ServiceModel

    ours = ServiceModel("synthetic", SYNTHETIC)
    theirs = BotocoreServiceModel(SYNTHETIC, service_name="synthetic")
    op = ours.operation("Echo")
    bc_op = theirs.operation_model("Echo")
    for seed in range(6):
        params = sample_input(op, seed, exotic_strings=True, max_depth=3)
        request = to_our_request(create_serializer("json").serialize_to_request(params, bc_op))
        assert run(JsonParser(ours).parse(request))[1] == params
        response = JsonSerializer(ours).serialize(make_context(), op, params)
        body = json.loads(response.body)
        if "Name" in params:
            assert body["name"] == params["Name"]
        if "Iso" in params:
            assert body["Iso"] == params["Iso"].strftime("%Y-%m-%dT%H:%M:%SZ")
        if "When" in params:
            assert body["When"] == int(params["When"].timestamp())
        parsed = create_parser("json").parse(to_botocore_response(response), bc_op.output_shape)
        assert without_metadata(parsed) == params


# -- the CBOR variant the AWS Java SDKs use for Kinesis ----------------------------------------------

KINESIS_OPERATIONS = load_service_model("kinesis").operation_names


def _java_cbor(value):
    """Encode like the AWS Java SDK: timestamps as tag 1 epoch milliseconds."""
    import cbor2

    def convert(item):
        if isinstance(item, dict):
            return {k: convert(v) for k, v in item.items()}
        if isinstance(item, list):
            return [convert(v) for v in item]
        if hasattr(item, "timestamp") and hasattr(item, "tzinfo"):
            return cbor2.CBORTag(1, int(item.timestamp() * 1000))
        return item

    return cbor2.dumps(convert(value))


def _cbor_request(target: str, body: bytes) -> Request:
    request = _raw_request(target, body)
    request.headers["content-type"] = "application/x-amz-cbor-1.1"
    return request


@pytest.mark.parametrize("operation", KINESIS_OPERATIONS)
def test_kinesis_cbor_round_trip(operation: str) -> None:
    from overcast.protocol.parsers.rpcv2cbor import decode_aws_cbor

    model = load_service_model("kinesis")
    op = model.operation(operation)
    for seed in SEEDS:
        params = sample_input(op, seed, exotic_strings=True)
        request = _cbor_request(f"Kinesis_20131202.{operation}", _java_cbor(params))
        assert _parse("kinesis", request)[1] == params, f"seed {seed}"
        if has_event_stream(op.output_shape):
            continue
        output = sample_output(op, seed, exotic_strings=True)
        response = JsonSerializer(model).serialize(make_context(request), op, output)
        assert response.get_header("Content-Type") == "application/x-amz-cbor-1.1"
        assert decode_aws_cbor(response.body) == output, f"seed {seed}"


def test_kinesis_cbor_errors_are_cbor() -> None:
    from overcast.protocol.parsers.rpcv2cbor import decode_aws_cbor

    request = _cbor_request("Kinesis_20131202.ListStreams", b"\xa0")
    error = ServiceError("Stream s not found", code="ResourceNotFoundException")
    response = JsonSerializer(load_service_model("kinesis")).serialize_error(
        make_context(request), None, error
    )
    assert response.get_header("Content-Type") == "application/x-amz-cbor-1.1"
    assert response.get_header("x-amzn-ErrorType") == "ResourceNotFoundException"
    assert decode_aws_cbor(response.body) == {
        "__type": "ResourceNotFoundException",
        "message": "Stream s not found",
    }


def test_aws_cbor_indefinite_lengths_and_millisecond_timestamps() -> None:
    from datetime import UTC, datetime

    from overcast.protocol.parsers.rpcv2cbor import decode_aws_cbor

    # {_ "a": [_ 1, -2], "s": (_ "x" "y"), "b": (_ h'00' h'01'), "t": 1(1700000000123), "f": 1.5}
    data = (
        b"\xbf\x61a\x9f\x01\x21\xff\x61s\x7f\x61x\x61y\xff\x61b\x5f\x41\x00\x41\x01\xff"
        b"\x61t\xc1\x1b" + (1700000000123).to_bytes(8, "big") + b"\x61f\xf9\x3e\x00\xff"
    )
    assert decode_aws_cbor(data) == {
        "a": [1, -2],
        "s": "xy",
        "b": b"\x00\x01",
        "t": datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC),
        "f": 1.5,
    }


@pytest.mark.parametrize("body", [b"\xbf\x61", b"\xa1\x61a", b"\x1c", b"\xa0\x00", b"\x62\xff\xfe"])
def test_broken_aws_cbor_is_serialization_exception(body: bytes) -> None:
    with pytest.raises(SerializationError):
        _parse("kinesis", _cbor_request("Kinesis_20131202.ListStreams", body))


def test_cloudwatch_over_json_keeps_its_parameter_errors() -> None:
    request = _raw_request("GraniteServiceVersion20100801.PutMetricData", b'{"MetricData": [{"Value": 1}]}')
    with pytest.raises(ServiceError) as info:
        _parse("cloudwatch", request)
    assert info.value.code == "MissingRequiredParameterException"
    response = JsonSerializer(load_service_model("cloudwatch")).serialize_error(
        make_context(), None, info.value
    )
    assert response.get_header("x-amzn-query-error") == "MissingParameter;Sender"
    request = _raw_request("GraniteServiceVersion20100801.ListMetrics", b'{"Namespace": 5}')
    with pytest.raises(ServiceError) as info:
        _parse("cloudwatch", request)
    assert info.value.code == "InvalidParameterValueException"
    assert "Namespace" in info.value.message


def test_boto3_kinesis_subscribe_to_shard_streams_events() -> None:
    from datetime import UTC, datetime

    from tests.protocol.samples import in_process_client

    arrival = datetime(2024, 3, 4, 5, 6, 7, tzinfo=UTC)

    async def events():
        for n in range(3):
            yield {
                "SubscribeToShardEvent": {
                    "Records": [
                        {
                            "SequenceNumber": str(n),
                            "ApproximateArrivalTimestamp": arrival,
                            "Data": b"\x00record",
                            "PartitionKey": "pk",
                        }
                    ],
                    "ContinuationSequenceNumber": str(n),
                    "MillisBehindLatest": 0,
                }
            }

    client = in_process_client("kinesis", lambda operation, params: {"EventStream": events()})
    response = client.subscribe_to_shard(
        ConsumerARN="arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:1",
        ShardId="shardId-000000000000",
        StartingPosition={"Type": "LATEST"},
    )
    received = [event["SubscribeToShardEvent"] for event in response["EventStream"]]
    assert [event["ContinuationSequenceNumber"] for event in received] == ["0", "1", "2"]
    assert received[0]["Records"][0]["Data"] == b"\x00record"
    assert received[0]["Records"][0]["ApproximateArrivalTimestamp"] == arrival


# -- never a 500: whatever arrives, the parser answers with a ServiceError -------------------------


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
_DYNAMODB_OPS = load_service_model("dynamodb").operation_names


def _member_keyed(draw_dict: dict, operation: str) -> dict:
    # Half the time reuse real member names so that the readers get past the top level.
    shape = load_service_model("dynamodb").operation(operation).input_shape
    names = list(shape.members) if shape is not None else []
    return {names[i % len(names)] if names else k: v for i, (k, v) in enumerate(draw_dict.items())}


@settings(max_examples=120, deadline=None)
@given(
    operation=st.sampled_from(_DYNAMODB_OPS),
    body=st.dictionaries(st.text(max_size=8), _json_values, max_size=6),
    real_names=st.booleans(),
)
def test_arbitrary_json_never_escapes_as_a_crash(operation: str, body: dict, real_names: bool) -> None:
    if real_names:
        body = _member_keyed(body, operation)
    try:
        _parse("dynamodb", _raw_request(f"DynamoDB_20120810.{operation}", json.dumps(body).encode()))
    except ServiceError as error:
        assert 400 <= error.status < 500


@settings(max_examples=120, deadline=None)
@given(body=st.binary(max_size=64), cbor=st.booleans())
def test_arbitrary_bytes_never_escape_as_a_crash(body: bytes, cbor: bool) -> None:
    request = _raw_request("Kinesis_20131202.PutRecord", body)
    if cbor:
        request.headers["content-type"] = "application/x-amz-cbor-1.1"
    try:
        _parse("kinesis", request)
    except ServiceError as error:
        assert 400 <= error.status < 500


# -- opt-in constraint validation ----------------------------------------------------------------


@pytest.fixture
def constraints_on():
    from overcast.protocol import validation

    enabled = []

    def enable(service: str) -> None:
        validation.enable_constraint_validation(service)
        enabled.append(service)

    yield enable
    for service in enabled:
        validation._CONSTRAINT_SERVICES.discard(service)


def test_constraint_violations_are_reported_together(constraints_on) -> None:
    constraints_on("dynamodb")
    body = {
        "TableName": "t",
        "BillingMode": "CHEAP",
        "KeySchema": [{"AttributeName": "", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
    }
    with pytest.raises(ValidationError) as info:
        _parse("dynamodb", _raw_request("DynamoDB_20120810.CreateTable", json.dumps(body).encode()))
    assert info.value.code == "ValidationException"
    assert info.value.message == (
        "2 validation errors detected: "
        "Value '' at 'keySchema.1.member.attributeName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
        "Value 'CHEAP' at 'billingMode' failed to satisfy constraint: "
        "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]"
    )


def test_constraint_ranges_and_sensitive_values(constraints_on) -> None:
    constraints_on("dynamodb")
    constraints_on("cognito-idp")
    with pytest.raises(ValidationError) as info:
        _parse("dynamodb", _raw_request("DynamoDB_20120810.Query", b'{"TableName": "abc", "Limit": 0}'))
    assert info.value.message == (
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )
    body = b'{"ClientId": "abc", "Username": "u", "Password": "with space"}'
    with pytest.raises(ValidationError) as info:
        _parse("cognito-idp", _raw_request("AWSCognitoIdentityProviderService.SignUp", body))
    # Sensitive members are reported without their value.
    assert info.value.message == (
        "1 validation error detected: Value at 'password' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\S]+"
    )


def test_constraints_are_off_unless_a_service_opts_in() -> None:
    op, params = _parse(
        "dynamodb", _raw_request("DynamoDB_20120810.Query", b'{"TableName": "abc", "Limit": 0}')
    )
    assert params == {"TableName": "abc", "Limit": 0}
