"""rest-json (Lambda, API Gateway, Scheduler): bindings, bad input, and errors as botocore reads them."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from overcast.protocol.errors import ServiceError
from overcast.protocol.model import load_service_model
from overcast.protocol.registry import parser_for, serializer_for
from overcast.server.context import RequestContext
from overcast.server.http import Request, RequestBody
from tests.protocol.rest_wire import client_parse, client_parse_error, client_request, response_body_bytes

LAMBDA = load_service_model("lambda")
APIGW = load_service_model("apigateway")
SCHEDULER = load_service_model("scheduler")


def _request(
    method: str, path: str, body: bytes = b"", query: str = "", headers: dict[str, str] | None = None
) -> Request:
    return Request(
        method=method,
        path=path,
        query_string=query,
        headers={"host": "localhost:4566", **(headers or {})},
        body=RequestBody.from_bytes(body),
    )


def parse(model, request: Request) -> tuple[str, dict[str, Any]]:
    op, params = asyncio.run(parser_for(model).parse(request))
    return op.name, params


def parse_error(model, request: Request) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        asyncio.run(parser_for(model).parse(request))
    return info.value


def ctx(method: str = "GET") -> RequestContext:
    request = Request(method=method, path="/", query_string="", headers={}, body=RequestBody.from_bytes(b""))
    return RequestContext(
        request=request, request_id="c0ffee-1", account_id="000000000000", region="us-east-1"
    )


def test_invoke_reads_uri_headers_and_raw_payload() -> None:
    request = client_request(
        "lambda",
        "Invoke",
        {
            "FunctionName": "arn:aws:lambda:us-east-1:000000000000:function:f",
            "InvocationType": "Event",
            "Qualifier": "$LATEST",
            "Payload": b'{"x": 1}',
            "ClientContext": "e30=",
        },
    )
    name, params = parse(LAMBDA, request)
    assert name == "Invoke"
    assert params["FunctionName"] == "arn:aws:lambda:us-east-1:000000000000:function:f"
    assert params["Payload"] == b'{"x": 1}'
    assert params["Qualifier"] == "$LATEST"
    assert params["InvocationType"] == "Event"


def test_json_body_with_nested_members_and_blob() -> None:
    body = json.dumps(
        {
            "FunctionName": "f",
            "Role": "arn:aws:iam::000000000000:role/r",
            "Code": {"ZipFile": "UEsDBA=="},
            "MemorySize": 256,
            "Environment": {"Variables": {"AB": "1"}},
        }
    ).encode()
    name, params = parse(LAMBDA, _request("POST", "/2015-03-31/functions", body))
    assert name == "CreateFunction"
    assert params["Code"] == {"ZipFile": b"PK\x03\x04"}
    assert params["MemorySize"] == 256
    assert params["Environment"] == {"Variables": {"AB": "1"}}


@pytest.mark.parametrize(
    "model,method,path,body,code",
    [
        (LAMBDA, "POST", "/2015-03-31/functions", b"{not json", "InvalidRequestContentException"),
        (
            LAMBDA,
            "POST",
            "/2015-03-31/functions",
            b'{"FunctionName": "f", "Role": "r", "Code": {}, "MemorySize": "big"}',
            "InvalidRequestContentException",
        ),
        (
            LAMBDA,
            "POST",
            "/2015-03-31/functions",
            b'{"FunctionName": "f", "Role": "r", "Code": {"ZipFile": "***"}}',
            "InvalidRequestContentException",
        ),
        (
            LAMBDA,
            "POST",
            "/2015-03-31/functions",
            b'{"FunctionName": 5, "Role": "r", "Code": {}}',
            "InvalidRequestContentException",
        ),
        (LAMBDA, "POST", "/2015-03-31/functions", b'["a list"]', "InvalidRequestContentException"),
        (APIGW, "POST", "/restapis", b"{oops", "BadRequestException"),
        (APIGW, "POST", "/restapis", b'{"name": ["x"]}', "BadRequestException"),
        (SCHEDULER, "POST", "/schedule-groups/g", b"{oops", "ValidationException"),
    ],
)
def test_unreadable_bodies(model, method: str, path: str, body: bytes, code: str) -> None:
    error = parse_error(model, _request(method, path, body))
    assert (error.code, error.status) == (code, 400)


@pytest.mark.parametrize(
    "model,method,path,body,code",
    [
        (
            LAMBDA,
            "POST",
            "/2015-03-31/functions",
            b'{"FunctionName": "f", "Code": {}}',
            "ValidationException",
        ),
        (APIGW, "POST", "/restapis", b"{}", "BadRequestException"),
        (
            SCHEDULER,
            "POST",
            "/schedules/s",
            b'{"ScheduleExpression": "rate(1 minute)"}',
            "ValidationException",
        ),
    ],
)
def test_missing_required_members(model, method: str, path: str, body: bytes, code: str) -> None:
    error = parse_error(model, _request(method, path, body))
    assert (error.code, error.status) == (code, 400)
    assert "Member must not be null" in error.message


def test_bad_integer_in_query() -> None:
    error = parse_error(LAMBDA, _request("GET", "/2015-03-31/functions/", query="MaxItems=lots"))
    assert error.status == 400
    assert error.code == "ValidationException"


def test_unknown_path_is_404() -> None:
    error = parse_error(LAMBDA, _request("GET", "/2099-01-01/nothing"))
    assert (error.code, error.status) == ("UnknownOperationException", 404)


def test_lambda_error_as_botocore_reads_it() -> None:
    error = ServiceError(
        "Function not found: arn:aws:lambda:us-east-1:000000000000:function:f",
        code="ResourceNotFoundException",
        status=404,
    )
    response = serializer_for(LAMBDA).serialize_error(ctx(), LAMBDA.operation("GetFunction"), error)
    assert response.status == 404
    assert response.get_header("x-amzn-ErrorType") == "ResourceNotFoundException"
    assert response.get_header("x-amzn-RequestId") == "c0ffee-1"
    body = json.loads(response_body_bytes(response))
    assert body == {"Type": "User", "Message": error.message}
    parsed = client_parse_error("lambda", response)
    assert parsed["Error"]["Code"] == "ResourceNotFoundException"
    assert parsed["Error"]["Message"] == error.message
    assert parsed["ResponseMetadata"]["RequestId"] == "c0ffee-1"


def test_api_gateway_error_uses_lowercase_message_and_extra_fields() -> None:
    error = ServiceError(
        "Too Many Requests", code="TooManyRequestsException", status=429, retryAfterSeconds="3"
    )
    response = serializer_for(APIGW).serialize_error(ctx(), None, error)
    body = json.loads(response_body_bytes(response))
    assert body == {"message": "Too Many Requests"}
    assert response.get_header("Retry-After") == "3"
    parsed = client_parse_error("apigateway", response)
    assert parsed["Error"]["Code"] == "TooManyRequestsException"
    assert parsed["Error"]["Message"] == "Too Many Requests"


def test_unmodelled_error_code_still_reads() -> None:
    error = ServiceError("nope", code="SomethingElse", status=400)
    response = serializer_for(SCHEDULER).serialize_error(ctx(), None, error)
    parsed = client_parse_error("scheduler", response)
    assert parsed["Error"] == {"Code": "SomethingElse", "Message": "nope"}


def test_status_code_member_and_function_error_header() -> None:
    op = LAMBDA.operation("Invoke")
    response = serializer_for(LAMBDA).serialize(
        ctx("POST"),
        op,
        {
            "StatusCode": 200,
            "FunctionError": "Unhandled",
            "Payload": b'{"errorMessage":"x"}',
            "ExecutedVersion": "$LATEST",
        },
    )
    assert response.status == 200
    assert response.get_header("X-Amz-Function-Error") == "Unhandled"
    assert response.body == b'{"errorMessage":"x"}'
    parsed = client_parse("lambda", "Invoke", response)
    assert parsed["FunctionError"] == "Unhandled" and parsed["Payload"] == b'{"errorMessage":"x"}'


def test_response_code_from_model() -> None:
    op = LAMBDA.operation("CreateFunction")
    response = serializer_for(LAMBDA).serialize(ctx("POST"), op, {"FunctionName": "f", "MemorySize": 128})
    assert response.status == 201
    assert json.loads(response_body_bytes(response)) == {"FunctionName": "f", "MemorySize": 128}
    assert response.get_header("Content-Type") == "application/json"


@pytest.mark.parametrize("path", ["/2015-03-31/functions/", "/2015-03-31/functions"])
def test_trailing_slash_is_optional(path: str) -> None:
    assert parse(LAMBDA, _request("GET", path))[0] == "ListFunctions"


def test_deeply_nested_json_is_a_client_error() -> None:
    body = (
        b'{"FunctionName": "f", "Role": "r", "Code": {}, "Environment": '
        + b"[" * 100000
        + b"]" * 100000
        + b"}"
    )
    error = parse_error(LAMBDA, _request("POST", "/2015-03-31/functions", body))
    assert (error.code, error.status) == ("InvalidRequestContentException", 400)


def test_empty_body_where_members_are_optional() -> None:
    name, params = parse(APIGW, _request("POST", "/restapis/abc/deployments", b""))
    # stageName etc. are optional; restApiId comes from the path.
    assert (name, params) == ("CreateDeployment", {"restApiId": "abc"})
