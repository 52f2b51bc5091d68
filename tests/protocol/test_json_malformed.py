"""awsJson input that is malformed, mistyped, nested too deep or outside the model's constraints:
the parser answers with the error AWS gives, never a crash."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from overcast.protocol.errors import SerializationError, ServiceError, UnknownOperation, ValidationError
from overcast.protocol.model import load_service_model
from overcast.protocol.parsers.awsjson import JsonParser
from overcast.protocol.serializers.awsjson import JsonSerializer
from overcast.protocol.validation import register_missing_required_handler
from tests.protocol.json_wire import parse_json, raw_json_request
from tests.protocol.samples import make_context, run


def test_broken_json_is_serialization_exception() -> None:
    with pytest.raises(SerializationError) as info:
        parse_json("dynamodb", raw_json_request("DynamoDB_20120810.GetItem", b'{"TableName": '))
    assert info.value.code == "SerializationException"
    assert info.value.status == 400


def test_non_object_body_is_serialization_exception() -> None:
    with pytest.raises(SerializationError):
        parse_json("dynamodb", raw_json_request("DynamoDB_20120810.ListTables", b"[1, 2]"))


def test_empty_body_reads_as_empty_input() -> None:
    op, params = parse_json("dynamodb", raw_json_request("DynamoDB_20120810.ListTables", b""))
    assert (op.name, params) == ("ListTables", {})


@pytest.mark.parametrize(
    "target",
    ["DynamoDB_20120810.NoSuchThing", "Kinesis_20131202.ListStreams", "GetItem", ""],
)
def test_unknown_target_is_unknown_operation(target: str) -> None:
    with pytest.raises(UnknownOperation) as info:
        parse_json("dynamodb", raw_json_request(target, b"{}"))
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
        parse_json("dynamodb", raw_json_request("DynamoDB_20120810.GetItem", json.dumps(body).encode()))
    assert info.value.status == 400
    assert info.value.code == "SerializationException"
    assert message in info.value.message


def test_integers_and_timestamps_are_typed() -> None:
    body = {"StreamName": "s", "ShardId": "x", "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": 1700000000.5}
    op, params = parse_json(
        "kinesis", raw_json_request("Kinesis_20131202.GetShardIterator", json.dumps(body).encode())
    )
    assert params["Timestamp"].timestamp() == 1700000000.5
    assert params["Timestamp"].tzinfo is not None
    with pytest.raises(SerializationError):
        parse_json(
            "kinesis", raw_json_request("Kinesis_20131202.GetRecords", b'{"ShardIterator": "i", "Limit": "5"}')
        )
    op, params = parse_json(
        "kinesis", raw_json_request("Kinesis_20131202.GetRecords", b'{"ShardIterator": "i", "Limit": 5}')
    )
    assert params == {"ShardIterator": "i", "Limit": 5}


def test_missing_required_members_is_validation_exception() -> None:
    with pytest.raises(ValidationError) as info:
        parse_json("logs", raw_json_request("Logs_20140328.CreateLogGroup", b'{"kmsKeyId": "k"}'))
    assert info.value.code == "ValidationException"
    assert info.value.message == (
        "1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_missing_required_nested_member_names_its_path() -> None:
    body = {"TableName": "t", "KeySchema": [{"AttributeName": "pk"}], "AttributeDefinitions": []}
    with pytest.raises(ValidationError) as info:
        parse_json("dynamodb", raw_json_request("DynamoDB_20120810.CreateTable", json.dumps(body).encode()))
    assert "'keySchema.1.member.keyType'" in info.value.message


def test_missing_required_error_is_overridable_per_service() -> None:
    seen = []

    def handler(operation, paths):
        seen.append((operation.name, paths))
        return ValidationError("custom wording", code="ValidationException")

    register_missing_required_handler("events", handler)
    try:
        with pytest.raises(ValidationError) as info:
            parse_json("events", raw_json_request("AWSEvents.DescribeRule", b"{}"))
        assert info.value.message == "custom wording"
        assert seen == [("DescribeRule", [("Name",)])]
    finally:
        from overcast.protocol import validation

        validation._MISSING_REQUIRED_HANDLERS.pop("events", None)


def test_null_members_are_absent() -> None:
    op, params = parse_json(
        "dynamodb",
        raw_json_request("DynamoDB_20120810.ListTables", b'{"ExclusiveStartTableName": null, "Limit": 3}'),
    )
    assert params == {"Limit": 3}


def test_readers_are_compiled_once_per_operation() -> None:
    model = load_service_model("dynamodb")
    parser = JsonParser(model)
    request = raw_json_request("DynamoDB_20120810.GetItem", b'{"TableName": "t", "Key": {"pk": {"S": "a"}}}')
    run(parser.parse(request))
    reader = model.operation("GetItem").cache[JsonParser.cache_key]
    request = raw_json_request("DynamoDB_20120810.GetItem", b'{"TableName": "t", "Key": {"pk": {"N": "1"}}}')
    op, params = run(parser.parse(request))
    assert model.operation("GetItem").cache[JsonParser.cache_key] is reader
    assert params == {"TableName": "t", "Key": {"pk": {"N": "1"}}}


def test_deeply_nested_input_is_a_client_error() -> None:
    depth = 5000
    body = '{"TableName": "t", "Key": {"pk": ' + '{"L": [' * depth + '{"S": "x"}' + "]}" * depth + "}}"
    with pytest.raises(SerializationError):
        parse_json("dynamodb", raw_json_request("DynamoDB_20120810.GetItem", body.encode()))


def test_cloudwatch_over_json_keeps_its_parameter_errors() -> None:
    request = raw_json_request("GraniteServiceVersion20100801.PutMetricData", b'{"MetricData": [{"Value": 1}]}')
    with pytest.raises(ServiceError) as info:
        parse_json("cloudwatch", request)
    assert info.value.code == "MissingRequiredParameterException"
    response = JsonSerializer(load_service_model("cloudwatch")).serialize_error(
        make_context(), None, info.value
    )
    assert response.get_header("x-amzn-query-error") == "MissingParameter;Sender"
    request = raw_json_request("GraniteServiceVersion20100801.ListMetrics", b'{"Namespace": 5}')
    with pytest.raises(ServiceError) as info:
        parse_json("cloudwatch", request)
    assert info.value.code == "InvalidParameterValueException"
    assert "Namespace" in info.value.message


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
        parse_json("dynamodb", raw_json_request(f"DynamoDB_20120810.{operation}", json.dumps(body).encode()))
    except ServiceError as error:
        assert 400 <= error.status < 500


@settings(max_examples=120, deadline=None)
@given(body=st.binary(max_size=64), cbor=st.booleans())
def test_arbitrary_bytes_never_escape_as_a_crash(body: bytes, cbor: bool) -> None:
    request = raw_json_request("Kinesis_20131202.PutRecord", body)
    if cbor:
        request.headers["content-type"] = "application/x-amz-cbor-1.1"
    try:
        parse_json("kinesis", request)
    except ServiceError as error:
        assert 400 <= error.status < 500


# -- opt-in constraint validation ----------------------------------------------------------------


@pytest.fixture
def constraints_on():
    from overcast.protocol import validation

    enabled = []

    def enable(service: str) -> None:
        # A service that checks its constraints of its own accord keeps its settings.
        if not validation.constraint_validation_enabled(service):
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
        parse_json("dynamodb", raw_json_request("DynamoDB_20120810.CreateTable", json.dumps(body).encode()))
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
        parse_json("dynamodb", raw_json_request("DynamoDB_20120810.ListTables", b'{"Limit": 0}'))
    assert info.value.message == (
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )
    body = b'{"ClientId": "abc", "Username": "u", "Password": "with space"}'
    with pytest.raises(ValidationError) as info:
        parse_json("cognito-idp", raw_json_request("AWSCognitoIdentityProviderService.SignUp", body))
    # Sensitive members are reported without their value.
    assert info.value.message == (
        "1 validation error detected: Value at 'password' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\S]+"
    )


def test_constraints_are_off_unless_a_service_opts_in() -> None:
    # Kinesis does not opt in (its ListStreams Limit has a minimum of 1 in the model).
    op, params = parse_json("kinesis", raw_json_request("Kinesis_20131202.ListStreams", b'{"Limit": 0}'))
    assert params == {"Limit": 0}


def test_dynamodb_opts_in_and_leaves_attribute_values_to_its_handlers() -> None:
    with pytest.raises(ValidationError) as info:
        parse_json("dynamodb", raw_json_request("DynamoDB_20120810.ListTables", b'{"Limit": 0}'))
    assert info.value.message == ("1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
                                  "Member must have value greater than or equal to 1")
    # An attribute name longer than the model's 65,535 characters, nested in an item: DynamoDB
    # words item limits itself, and the model's check does not walk items.
    item = {"pk": {"S": "a"}, "m": {"M": {"n" * 65536: {"S": "x"}}}}
    body = json.dumps({"TableName": "abc", "Item": item}).encode()
    op, params = parse_json("dynamodb", raw_json_request("DynamoDB_20120810.PutItem", body))
    assert params["Item"] == item
