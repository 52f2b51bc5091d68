"""The CBOR variant of awsJson that the AWS Java SDKs use for Kinesis (application/x-amz-cbor-1.1)."""

from __future__ import annotations

import pytest

from overcast.protocol.errors import SerializationError, ServiceError
from overcast.protocol.model import load_service_model
from overcast.protocol.serializers.awsjson import JsonSerializer
from overcast.server.http import Request
from tests.protocol.json_wire import parse_json, raw_json_request
from tests.protocol.samples import has_event_stream, make_context, sample_input, sample_output

SEEDS = (0, 1, 2)
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
    request = raw_json_request(target, body)
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
        assert parse_json("kinesis", request)[1] == params, f"seed {seed}"
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
        parse_json("kinesis", _cbor_request("Kinesis_20131202.ListStreams", body))
