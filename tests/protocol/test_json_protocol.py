"""awsJson 1.0/1.1: botocore's client serializer -> our parser, our serializer -> botocore's parser,
for every operation of every JSON service we ship, plus errors, event streams and boto3 clients.

Malformed input is in test_json_malformed.py, the Java SDKs' CBOR variant in test_json_cbor.py."""

from __future__ import annotations

import json

import pytest
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from overcast.protocol.catalog import SERVICES
from overcast.protocol.errors import SerializationError, ServiceError, ValidationError
from overcast.protocol.model import load_service_model
from overcast.protocol.parsers.awsjson import JsonParser
from overcast.protocol.serializers.awsjson import JsonSerializer
from tests.protocol.samples import (
    botocore_model,
    botocore_reads,
    botocore_request,
    has_event_stream,
    make_context,
    modeled_errors,
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



@pytest.mark.parametrize(("service", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_request_round_trip(service: str, operation: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The samples' values fit their types, not the constraints services check (patterns,
    # ranges); those checks are tested in test_json_malformed.py and with each service.
    monkeypatch.setattr("overcast.protocol.parsers.awsjson.constraint_validation_enabled", lambda service: False)
    model = load_service_model(service)
    op = model.operation(operation)
    parser = JsonParser(model)
    for seed in SEEDS:
        params = sample_input(op, seed, exotic_strings=True)
        parsed_op, parsed = run(parser.parse(botocore_request(service, operation, "json", params)))
        assert parsed_op.name == operation
        assert parsed == params, f"seed {seed}"


@pytest.mark.parametrize(("service", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_response_round_trip(service: str, operation: str) -> None:
    model = load_service_model(service)
    op = model.operation(operation)
    if has_event_stream(op.output_shape):
        _event_stream_round_trip(service, operation)
        return
    serializer = JsonSerializer(model)
    for seed in SEEDS:
        output = sample_output(op, seed, exotic_strings=True)
        response = serializer.serialize(make_context(), op, output)
        assert response.status == 200
        assert (
            response.get_header("Content-Type") == f"application/x-amz-json-{model.metadata['jsonVersion']}"
        )
        assert response.get_header("x-amzn-RequestId") == "req-0123456789abcdef"
        parsed = botocore_reads("json", response, service, operation)
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
    query_compatible = "awsQueryCompatible" in model.metadata
    for name, info, status in modeled_errors(model):
        error = ServiceError(f"{name} happened", code=name, status=status)
        response = serializer.serialize_error(make_context(), None, error)
        assert response.status == status
        parsed = botocore_reads("json", response)
        wire_code = info.get("code", name) if query_compatible else name
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
