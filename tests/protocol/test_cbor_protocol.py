"""Smithy RPC v2 CBOR (CloudWatch): botocore's client serializer -> our parser, our CBOR ->
botocore's parser, for every operation, plus errors and malformed input."""

from __future__ import annotations

from datetime import UTC, datetime

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from overcast.protocol.catalog import SERVICES
from overcast.protocol.errors import SerializationError, ServiceError, UnknownOperation
from overcast.protocol.model import load_service_model
from overcast.protocol.parsers.rpcv2cbor import RpcV2CborParser
from overcast.protocol.serializers.rpcv2cbor import RpcV2CborSerializer
from overcast.server.http import Request, RequestBody
from tests.protocol.samples import (
    botocore_reads,
    botocore_request,
    make_context,
    modeled_errors,
    run,
    sample_input,
    sample_output,
    without_metadata,
)

PROTOCOL = "smithy-rpc-v2-cbor"
CBOR_SERVICES = [s.name for s in SERVICES if s.protocol == PROTOCOL]
SEEDS = (0, 1, 2)
OPERATIONS = [(svc, op) for svc in CBOR_SERVICES for op in load_service_model(svc).operation_names]
OPERATION_IDS = [f"{svc}.{op}" for svc, op in OPERATIONS]
PATH = "/service/GraniteServiceVersion20100801/operation/"


@pytest.mark.parametrize(("service", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_request_round_trip(service: str, operation: str) -> None:
    model = load_service_model(service)
    op = model.operation(operation)
    parser = RpcV2CborParser(model)
    for seed in SEEDS:
        params = sample_input(op, seed, exotic_strings=True)
        request = botocore_request(service, operation, PROTOCOL, params)
        assert request.headers["smithy-protocol"] == "rpc-v2-cbor"
        parsed_op, parsed = run(parser.parse(request))
        assert parsed_op.name == operation
        assert parsed == params, f"seed {seed}"


@pytest.mark.parametrize(("service", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_response_round_trip(service: str, operation: str) -> None:
    model = load_service_model(service)
    op = model.operation(operation)
    serializer = RpcV2CborSerializer(model)
    for seed in SEEDS:
        output = sample_output(op, seed, exotic_strings=True)
        response = serializer.serialize(make_context(), op, output)
        assert response.status == 200
        assert response.get_header("Content-Type") == "application/cbor"
        assert response.get_header("smithy-protocol") == "rpc-v2-cbor"
        parsed = botocore_reads(PROTOCOL, response, service, operation)
        assert without_metadata(parsed) == output, f"seed {seed}"
        if op.output_shape is not None:
            assert parsed["ResponseMetadata"]["RequestId"] == "req-0123456789abcdef"


@pytest.mark.parametrize("service", CBOR_SERVICES)
def test_modeled_errors_round_trip(service: str) -> None:
    model = load_service_model(service)
    serializer = RpcV2CborSerializer(model)
    for name, info, status in modeled_errors(model):
        error = ServiceError(f"{name} happened", code=name, status=status)
        response = serializer.serialize_error(make_context(), None, error)
        assert response.status == status
        parsed = botocore_reads(PROTOCOL, response)
        # CloudWatch is awsQueryCompatible: botocore reports the query code, the shape in QueryErrorCode.
        assert parsed["Error"]["Code"] == info.get("code", name)
        assert parsed["Error"]["QueryErrorCode"] == name
        assert parsed["Error"]["Message"] == f"{name} happened"
        assert parsed["ResponseMetadata"]["RequestId"] == "req-0123456789abcdef"


def test_error_body_is_a_cbor_map_with_type_and_message() -> None:
    model = load_service_model("cloudwatch")
    error = ServiceError("nope", code="ResourceNotFound", status=404)
    response = RpcV2CborSerializer(model).serialize_error(make_context(), None, error)
    assert cbor2.loads(response.body) == {
        "__type": "com.amazonaws.cloudwatch#ResourceNotFound",
        "message": "nope",
    }
    assert response.get_header("x-amzn-query-error") == "ResourceNotFound;Sender"
    assert response.get_header("smithy-protocol") == "rpc-v2-cbor"
    assert response.status == 404


def test_timestamps_are_tag_1_and_blobs_byte_strings() -> None:
    model = load_service_model("cloudwatch")
    op = model.operation("GetMetricWidgetImage")
    response = RpcV2CborSerializer(model).serialize(make_context(), op, {"MetricWidgetImage": b"\x89PNG"})
    assert cbor2.loads(response.body) == {"MetricWidgetImage": b"\x89PNG"}
    op = model.operation("DescribeAlarmHistory")
    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    output = {"AlarmHistoryItems": [{"AlarmName": "a", "Timestamp": when}]}
    body = RpcV2CborSerializer(model).serialize(make_context(), op, output).body
    assert bytes([0xC1]) in body  # tag 1
    assert cbor2.loads(body)["AlarmHistoryItems"][0]["Timestamp"] == when


# -- malformed input ----------------------------------------------------------------------------


def _request(operation: str, body: bytes, path: str | None = None) -> Request:
    return Request(
        method="POST",
        path=path or PATH + operation,
        query_string="",
        headers={"smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor"},
        body=RequestBody.from_bytes(body),
    )


def _parse(request: Request):
    return run(RpcV2CborParser(load_service_model("cloudwatch")).parse(request))


def test_broken_cbor_is_serialization_exception() -> None:
    with pytest.raises(SerializationError) as info:
        _parse(_request("ListDashboards", b"\xbf\x61"))
    assert info.value.code == "SerializationException"
    assert info.value.status == 400


def test_non_map_body_is_serialization_exception() -> None:
    with pytest.raises(SerializationError):
        _parse(_request("ListDashboards", cbor2.dumps([1, 2])))


def test_empty_body_reads_as_empty_input() -> None:
    op, params = _parse(_request("ListDashboards", b""))
    assert (op.name, params) == ("ListDashboards", {})


@pytest.mark.parametrize(
    "path",
    [
        PATH + "NoSuchOperation",
        "/service/SomeOtherService/operation/ListDashboards",
        "/",
        "/operation/ListDashboards",
    ],
)
def test_unknown_operation(path: str) -> None:
    with pytest.raises(UnknownOperation):
        _parse(_request("", b"", path=path))


def test_wrong_type_is_invalid_parameter_value() -> None:
    with pytest.raises(ServiceError) as info:
        _parse(_request("ListDashboards", cbor2.dumps({"DashboardNamePrefix": 5})))
    assert info.value.code == "InvalidParameterValueException"
    assert info.value.status == 400
    assert "DashboardNamePrefix" in info.value.message


def test_missing_required_is_missing_parameter() -> None:
    with pytest.raises(ServiceError) as info:
        _parse(_request("PutMetricData", cbor2.dumps({"Namespace": "n", "MetricData": [{"Value": 1.0}]})))
    assert info.value.code == "MissingRequiredParameterException"
    assert info.value.message == "The parameter MetricData.member.1.MetricName is required."
    response = RpcV2CborSerializer(load_service_model("cloudwatch")).serialize_error(
        make_context(), None, info.value
    )
    assert response.get_header("x-amzn-query-error") == "MissingParameter;Sender"


def test_untagged_epoch_timestamps_are_accepted() -> None:
    body = cbor2.dumps({"AlarmName": "a", "StartDate": 1700000000, "EndDate": 1700000100.5})
    op, params = _parse(_request("DescribeAlarmHistory", body))
    assert params["StartDate"] == datetime.fromtimestamp(1700000000, UTC)
    assert params["EndDate"].timestamp() == 1700000100.5


# -- through a real boto3 client (botocore itself prefers awsJson for CloudWatch; other SDKs use CBOR)


def test_boto3_cloudwatch_speaks_cbor() -> None:
    from tests.protocol.samples import in_process_client

    def provider(operation: str, params: dict) -> dict:
        if operation == "PutMetricData":
            return {}
        if operation == "GetMetricData":
            return {
                "MetricDataResults": [
                    {
                        "Id": "q",
                        "Timestamps": [params["StartTime"]],
                        "Values": [1.5],
                        "StatusCode": "Complete",
                    }
                ]
            }
        raise ServiceError("Bad period", code="InvalidParameterValueException", status=400)

    client = in_process_client("cloudwatch", provider, protocol=PROTOCOL)
    when = datetime(2024, 1, 1, tzinfo=UTC)
    client.put_metric_data(Namespace="n", MetricData=[{"MetricName": "m", "Value": 1.0, "Timestamp": when}])
    assert client.calls[-1] == (
        "PutMetricData",
        {"Namespace": "n", "MetricData": [{"MetricName": "m", "Value": 1.0, "Timestamp": when}]},
    )
    out = client.get_metric_data(
        MetricDataQueries=[{"Id": "q", "Expression": "1"}], StartTime=when, EndTime=when
    )
    assert out["MetricDataResults"][0]["Timestamps"] == [when]
    with pytest.raises(client.exceptions.InvalidParameterValueException) as info:
        client.get_dashboard(DashboardName="d")
    assert info.value.response["Error"]["Code"] == "InvalidParameterValue"


# -- never a 500: whatever arrives, the parser answers with a ServiceError -------------------------


_cbor_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6) | st.binary(max_size=6),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=120, deadline=None)
@given(
    operation=st.sampled_from(load_service_model("cloudwatch").operation_names),
    body=st.dictionaries(st.text(max_size=8), _cbor_values, max_size=6) | st.binary(max_size=48),
)
def test_arbitrary_cbor_never_escapes_as_a_crash(operation: str, body) -> None:
    data = body if isinstance(body, bytes) else cbor2.dumps(body)
    try:
        _parse(_request(operation, data))
    except ServiceError as error:
        assert 400 <= error.status < 500
