"""AWS query protocol: botocore's client serializer -> our parser, our XML -> botocore's parser,
for every operation of SNS, SES, IAM and STS, plus errors and malformed input."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from botocore.parsers import create_parser
from hypothesis import given, settings
from hypothesis import strategies as st

from overcast.protocol.catalog import SERVICES
from overcast.protocol.errors import ServiceError
from overcast.protocol.model import load_service_model
from overcast.protocol.parsers.query import QueryParser, fold_keys
from overcast.protocol.serializers.query import QuerySerializer
from overcast.server.http import Request, RequestBody
from tests.protocol.samples import (
    botocore_model,
    botocore_reads,
    botocore_request,
    make_context,
    modeled_errors,
    run,
    sample_input,
    sample_output,
    to_botocore_response,
    without_metadata,
)

# CloudWatch still answers the query protocol (older SDKs speak it), so it is covered here too.
QUERY_SERVICES = [
    s.name for s in SERVICES if s.protocol == "query" or "query" in load_service_model(s.name).protocols
]
SEEDS = (0, 1, 2)
OPERATIONS = [(svc, op) for svc in QUERY_SERVICES for op in load_service_model(svc).operation_names]
# SQS's model has flattened lists and maps, which no other query service uses: its requests, as
# botocore's query serializer writes them, exercise those rules.
SQS_OPERATIONS = load_service_model("sqs").operation_names
OPERATION_IDS = [f"{svc}.{op}" for svc, op in OPERATIONS]


@pytest.mark.parametrize(("service", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_request_round_trip(service: str, operation: str) -> None:
    model = load_service_model(service)
    op = model.operation(operation)
    parser = QueryParser(model)
    for seed in SEEDS:
        # Empty lists are sent as `Name=` and read back as []; empty maps and structures are not sent.
        params = sample_input(
            op, seed, exotic_strings=True, min_collection=0, min_map=1, nonempty_structures=True
        )
        parsed_op, parsed = run(parser.parse(botocore_request(service, operation, "query", params)))
        assert parsed_op.name == operation
        assert parsed == params, f"seed {seed}"


@pytest.mark.parametrize("operation", SQS_OPERATIONS)
def test_flattened_request_round_trip(operation: str) -> None:
    model = load_service_model("sqs")
    op = model.operation(operation)
    parser = QueryParser(model)
    for seed in SEEDS:
        params = sample_input(op, seed, exotic_strings=True, min_collection=1, nonempty_structures=True)
        request = botocore_request("sqs", operation, "query", params)
        assert run(parser.parse(request))[1] == params, f"seed {seed}"


@pytest.mark.parametrize(("service", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_response_round_trip(service: str, operation: str) -> None:
    model = load_service_model(service)
    op = model.operation(operation)
    serializer = QuerySerializer(model)
    for seed in SEEDS:
        # XML cannot tell an empty flattened list from a missing one: keep collections non-empty.
        output = sample_output(op, seed, exotic_strings=True, min_collection=1)
        response = serializer.serialize(make_context(), op, output)
        assert response.status == 200
        assert response.get_header("x-amzn-RequestId") == "req-0123456789abcdef"
        parsed = botocore_reads("query", response, service, operation)
        assert without_metadata(parsed) == output, f"seed {seed}"
        assert parsed["ResponseMetadata"]["RequestId"] == "req-0123456789abcdef"


@pytest.mark.parametrize("service", QUERY_SERVICES)
def test_modeled_errors_round_trip(service: str) -> None:
    model = load_service_model(service)
    serializer = QuerySerializer(model)
    for name, info, status in modeled_errors(model):
        error = ServiceError(f"{name} <happened> & more", code=name, status=status)
        response = serializer.serialize_error(make_context(), None, error)
        assert response.status == status
        parsed = botocore_reads("query", response)
        assert parsed["Error"]["Code"] == info.get("code", name)
        assert parsed["Error"]["Message"] == f"{name} <happened> & more"
        assert parsed["Error"]["Type"] == "Sender"
        assert parsed["ResponseMetadata"]["RequestId"] == "req-0123456789abcdef"


def test_error_document_shape_and_receiver_fault() -> None:
    model = load_service_model("iam")
    error = ServiceError("boom", code="ServiceFailure", status=500, sender_fault=False)
    response = QuerySerializer(model).serialize_error(make_context(), None, error)
    root = ElementTree.fromstring(response.body)
    ns = "{https://iam.amazonaws.com/doc/2010-05-08/}"
    assert root.tag == f"{ns}ErrorResponse"
    assert root.find(f"{ns}Error/{ns}Type").text == "Receiver"
    assert root.find(f"{ns}Error/{ns}Code").text == "ServiceFailure"
    assert root.find(f"{ns}RequestId").text == "req-0123456789abcdef"
    assert response.status == 500


def test_wire_code_from_shape_name() -> None:
    # Providers may raise with the shape name; SNS sends the model's code.
    response = QuerySerializer(load_service_model("sns")).serialize_error(
        make_context(), None, ServiceError("Topic does not exist", code="NotFoundException", status=404)
    )
    assert b"<Code>NotFound</Code>" in response.body


def test_response_layout() -> None:
    model = load_service_model("sns")
    op = model.operation("CreateTopic")
    response = QuerySerializer(model).serialize(make_context(), op, {"TopicArn": "arn:aws:sns:us-east-1:0:t"})
    assert response.body == (
        b'<CreateTopicResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'
        b"<CreateTopicResult><TopicArn>arn:aws:sns:us-east-1:0:t</TopicArn></CreateTopicResult>"
        b"<ResponseMetadata><RequestId>req-0123456789abcdef</RequestId></ResponseMetadata>"
        b"</CreateTopicResponse>"
    )
    assert response.get_header("Content-Type") == "text/xml"


def test_operation_without_output_has_no_result_element() -> None:
    model = load_service_model("sns")
    op = model.operation("DeleteTopic")
    response = QuerySerializer(model).serialize(make_context(), op, {})
    assert b"DeleteTopicResult" not in response.body
    parsed = create_parser("query").parse(to_botocore_response(response), None)
    assert parsed["ResponseMetadata"]["RequestId"] == "req-0123456789abcdef"


def test_timestamps_are_iso8601() -> None:
    model = load_service_model("sts")
    op = model.operation("GetSessionToken")
    output = {
        "Credentials": {
            "AccessKeyId": "AKIA",
            "SecretAccessKey": "s",
            "SessionToken": "t",
            "Expiration": datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
        }
    }
    response = QuerySerializer(model).serialize(make_context(), op, output)
    assert b"<Expiration>2024-05-06T07:08:09Z</Expiration>" in response.body


# -- parsing details ----------------------------------------------------------------------------


def _form_request(fields: list[tuple[str, str]], method: str = "POST") -> Request:
    encoded = urlencode(fields)
    if method == "GET":
        return Request("GET", "/", encoded, {}, RequestBody.from_bytes(b""))
    return Request(
        method,
        "/",
        "",
        {"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
        RequestBody.from_bytes(encoded.encode()),
    )


def _parse(service: str, fields: list[tuple[str, str]], method: str = "POST"):
    return run(QueryParser(load_service_model(service)).parse(_form_request(fields, method)))


def test_get_query_string_is_read() -> None:
    op, params = _parse("sts", [("Action", "GetCallerIdentity"), ("Version", "2011-06-15")], method="GET")
    assert (op.name, params) == ("GetCallerIdentity", {})
    op, params = _parse("iam", [("Action", "GetUser"), ("Version", "2010-05-08"), ("UserName", "bob")], "GET")
    assert params == {"UserName": "bob"}


def test_lists_maps_and_nested_structures() -> None:
    op, params = _parse(
        "sns",
        [
            ("Action", "CreateTopic"),
            ("Name", "t"),
            ("Attributes.entry.2.key", "Policy"),
            ("Attributes.entry.2.value", "{}"),
            ("Attributes.entry.1.key", "DisplayName"),
            ("Attributes.entry.1.value", "x"),
            ("Tags.member.10.Key", "k10"),
            ("Tags.member.10.Value", "v10"),
            ("Tags.member.2.Key", "k2"),
            ("Tags.member.2.Value", "v2"),
        ],
    )
    assert params == {
        "Name": "t",
        "Attributes": {"DisplayName": "x", "Policy": "{}"},
        "Tags": [{"Key": "k2", "Value": "v2"}, {"Key": "k10", "Value": "v10"}],
    }


def test_empty_list_value() -> None:
    op, params = _parse("sns", [("Action", "CreateTopic"), ("Name", "t"), ("Tags", "")])
    assert params == {"Name": "t", "Tags": []}


def test_unknown_action_is_invalid_action() -> None:
    with pytest.raises(ServiceError) as info:
        _parse("sns", [("Action", "DoSomething"), ("Version", "2010-03-31")])
    assert info.value.code == "InvalidAction"
    assert info.value.status == 400
    assert "DoSomething" in info.value.message


def test_missing_action() -> None:
    with pytest.raises(ServiceError) as info:
        _parse("sns", [("Version", "2010-03-31")])
    assert info.value.code == "MissingAction"
    assert info.value.status == 400


def test_missing_required_is_validation_error() -> None:
    with pytest.raises(ServiceError) as info:
        _parse("sns", [("Action", "Publish"), ("TopicArn", "arn")])
    assert info.value.code == "ValidationError"
    assert info.value.status == 400
    assert info.value.message == (
        "1 validation error detected: Value null at 'message' failed to satisfy constraint: "
        "Member must not be null"
    )


@pytest.mark.parametrize(
    ("fields", "parameter"),
    [
        ([("Action", "ListUsers"), ("MaxItems", "many")], "MaxItems"),
        ([("Action", "ListPolicies"), ("OnlyAttached", "yes")], "OnlyAttached"),
        ([("Action", "ListUsers"), ("PathPrefix.Nested", "x")], "PathPrefix"),
    ],
)
def test_wrong_value_type_is_invalid_parameter_value(fields: list[tuple[str, str]], parameter: str) -> None:
    with pytest.raises(ServiceError) as info:
        _parse("iam", fields)
    assert info.value.code == "InvalidParameterValue"
    assert info.value.status == 400
    assert parameter in info.value.message


def test_fold_keys() -> None:
    tree = fold_keys([("A.member.1.B", "x"), ("A.member.2.B", "y"), ("C", "z")])
    assert tree == {"A": {"member": {"1": {"B": "x"}, "2": {"B": "y"}}}, "C": "z"}


# -- shared value helpers (overcast.protocol.values) ----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-06T07:08:09Z",
        "2024-05-06T07:08:09.000Z",
        "2024-05-06T07:08:09+00:00",
        "2024-05-06T09:08:09+02:00",
        "2024-05-06T07:08:09.000000000Z",
        "20240506T070809Z",
        "Mon, 06 May 2024 07:08:09 GMT",
        "1714979289",
        "1714979289.0",
    ],
)
def test_timestamp_forms_clients_send(text: str) -> None:
    from overcast.protocol.values import parse_timestamp

    assert parse_timestamp(text) == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def test_timestamp_output_forms() -> None:
    from overcast.protocol.values import to_epoch, to_iso8601, to_rfc822

    when = datetime(2024, 5, 6, 7, 8, 9, 250000, tzinfo=UTC)
    assert to_iso8601(when) == "2024-05-06T07:08:09.250Z"
    assert to_iso8601(when.replace(microsecond=0)) == "2024-05-06T07:08:09Z"
    assert to_epoch(when) == 1714979289.25
    assert to_epoch(when.replace(microsecond=0)) == 1714979289
    assert to_rfc822(when) == "Mon, 06 May 2024 07:08:09 GMT"
    assert to_iso8601(1714979289) == "2024-05-06T07:08:09Z"


@pytest.mark.parametrize("text", ["", "yesterday", "2024-13-45T00:00:00Z", "nan"])
def test_bad_timestamps_raise_conversion_errors(text: str) -> None:
    from overcast.protocol.values import ValueConversionError, parse_timestamp

    with pytest.raises(ValueConversionError):
        parse_timestamp(text)


def test_base64_is_forgiving_about_padding_but_not_garbage() -> None:
    from overcast.protocol.values import ValueConversionError, b64decode

    assert b64decode("AAE=") == b"\x00\x01"
    assert b64decode("AAE") == b"\x00\x01"
    with pytest.raises(ValueConversionError):
        b64decode("not base64!")


def test_query_timestamp_input_is_parsed() -> None:
    op, params = _parse(
        "cloudwatch",
        [
            ("Action", "DescribeAlarmHistory"),
            ("StartDate", "2024-05-06T07:08:09Z"),
            ("EndDate", "2024-05-06T07:08:09.5Z"),
        ],
    )
    assert params["StartDate"] == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert params["EndDate"] == datetime(2024, 5, 6, 7, 8, 9, 500000, tzinfo=UTC)


# -- through a real boto3 client ------------------------------------------------------------------


def test_boto3_sns_round_trip_and_modeled_error() -> None:
    from tests.protocol.samples import in_process_client

    def provider(operation: str, params: dict) -> dict:
        if operation == "CreateTopic":
            return {"TopicArn": f"arn:aws:sns:us-east-1:000000000000:{params['Name']}"}
        if operation == "ListTopics":
            return {"Topics": [{"TopicArn": "arn:1"}, {"TopicArn": "arn:2"}], "NextToken": "n"}
        raise ServiceError("Topic does not exist", code="NotFoundException", status=404)

    client = in_process_client("sns", provider)
    arn = client.create_topic(Name="t", Attributes={"DisplayName": "x"}, Tags=[{"Key": "k", "Value": "v"}])[
        "TopicArn"
    ]
    assert arn == "arn:aws:sns:us-east-1:000000000000:t"
    assert client.calls[-1] == (
        "CreateTopic",
        {"Name": "t", "Attributes": {"DisplayName": "x"}, "Tags": [{"Key": "k", "Value": "v"}]},
    )
    assert client.list_topics()["Topics"] == [{"TopicArn": "arn:1"}, {"TopicArn": "arn:2"}]
    with pytest.raises(client.exceptions.NotFoundException) as info:
        client.delete_topic(TopicArn="arn:missing")
    assert info.value.response["Error"]["Code"] == "NotFound"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_boto3_sts_and_iam() -> None:
    from tests.protocol.samples import in_process_client

    def sts(operation: str, params: dict) -> dict:
        return {"UserId": "AIDA", "Account": "000000000000", "Arn": "arn:aws:iam::000000000000:root"}

    assert in_process_client("sts", sts).get_caller_identity()["Account"] == "000000000000"

    def iam(operation: str, params: dict) -> dict:
        raise ServiceError("The user with name bob cannot be found.", code="NoSuchEntity", status=404)

    client = in_process_client("iam", iam)
    with pytest.raises(client.exceptions.NoSuchEntityException):
        client.get_user(UserName="bob")


def test_boto3_cloudwatch_over_query() -> None:
    from tests.protocol.samples import in_process_client

    def provider(operation: str, params: dict) -> dict:
        return {"Metrics": [{"Namespace": params["Namespace"], "MetricName": "m", "Dimensions": []}]}

    client = in_process_client("cloudwatch", provider, protocol="query")
    assert client.list_metrics(Namespace="ns")["Metrics"] == [
        {"Namespace": "ns", "MetricName": "m", "Dimensions": []}
    ]


def test_line_breaks_and_markup_survive_the_xml_round_trip() -> None:
    model = load_service_model("sns")
    op = model.operation("GetTopicAttributes")
    bc_op = botocore_model("sns").operation_model("GetTopicAttributes")
    output = {"Attributes": {"Policy": '{"a": "<b> & c"}\r\nline two\ttab', "Empty": ""}}
    response = QuerySerializer(model).serialize(make_context(), op, output)
    parsed = create_parser("query").parse(to_botocore_response(response), bc_op.output_shape)
    assert without_metadata(parsed) == output


def test_cloudwatch_missing_parameter_uses_its_modeled_error() -> None:
    with pytest.raises(ServiceError) as info:
        _parse("cloudwatch", [("Action", "PutMetricData"), ("MetricData.member.1.Value", "1")])
    assert info.value.code == "MissingRequiredParameterException"
    assert info.value.message == "The parameter MetricData.member.1.MetricName is required."
    response = QuerySerializer(load_service_model("cloudwatch")).serialize_error(
        make_context(), None, info.value
    )
    assert b"<Code>MissingParameter</Code>" in response.body


# -- never a 500: whatever arrives, the parser answers with a ServiceError -------------------------


_SEGMENTS = [
    "member",
    "entry",
    "key",
    "value",
    "1",
    "2",
    "10",
    "Tags",
    "Attributes",
    "Name",
    "Key",
    "Value",
    "",
]


@settings(max_examples=120, deadline=None)
@given(
    operation=st.sampled_from(load_service_model("sns").operation_names),
    pairs=st.lists(
        st.tuples(
            st.lists(st.sampled_from(_SEGMENTS) | st.text(max_size=4), min_size=1, max_size=5).map(".".join),
            st.text(max_size=6),
        ),
        max_size=8,
    ),
)
def test_arbitrary_forms_never_escape_as_a_crash(operation: str, pairs: list[tuple[str, str]]) -> None:
    try:
        _parse("sns", [("Action", operation), *pairs])
    except ServiceError as error:
        assert 400 <= error.status < 500


def test_opt_in_constraint_validation_for_query_services() -> None:
    from overcast.protocol import validation

    validation.enable_constraint_validation("iam")
    try:
        with pytest.raises(ServiceError) as info:
            _parse("iam", [("Action", "CreateUser"), ("UserName", "bad name!")])
    finally:
        validation._CONSTRAINT_SERVICES.discard("iam")
    assert info.value.code == "ValidationError"
    assert info.value.message == (
        "1 validation error detected: Value 'bad name!' at 'userName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    )
