"""What a function URL hands its function and how the function's answer becomes the HTTP
response: the payload format 2.0 of the Lambda Developer Guide's "Invoking Lambda function URLs"
(request and response payloads)."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

# Bodies of these types reach the function as text; any other body (none declared included) is
# base64, as Lambda passes form posts and binary uploads.
_TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml")
_TEXT_SUFFIXES = ("+json", "+xml")
# Headers a function's response may not set: they frame the HTTP message, which the server writes.
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


@dataclass
class UrlRequest:
    """What the event is made of, gathered by the endpoint from the HTTP request."""

    url_id: str
    method: str
    raw_path: str  # as sent (percent-encoded), the path form's prefix taken off
    raw_query: str
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-case names, repeated headers joined with ","
    body: bytes
    domain_name: str
    source_ip: str
    account_id: str  # "anonymous" unless the request was signed
    request_id: str
    now: float
    authorizer: dict[str, Any] | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)


def is_text(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith(_TEXT_TYPES) or media.endswith(_TEXT_SUFFIXES)


def build_event(req: UrlRequest) -> dict[str, Any]:
    headers = {k: v for k, v in req.headers.items() if k != "cookie"}
    headers.update(req.extra_headers)
    event: dict[str, Any] = {"version": "2.0", "routeKey": "$default", "rawPath": req.raw_path,
                             "rawQueryString": req.raw_query}
    cookie = req.headers.get("cookie")
    if cookie:
        # The Cookie header is not among the headers: its cookies are listed on their own.
        event["cookies"] = [part.strip() for part in cookie.replace(",", ";").split(";") if part.strip()]
    event["headers"] = headers
    if req.query:
        joined: dict[str, str] = {}
        for name, value in req.query:
            joined[name] = f"{joined[name]},{value}" if name in joined else value
        event["queryStringParameters"] = joined
    context: dict[str, Any] = {"accountId": req.account_id, "apiId": req.url_id}
    if req.authorizer is not None:
        context["authorizer"] = req.authorizer
    context.update({
        "domainName": req.domain_name, "domainPrefix": req.url_id,
        "http": {"method": req.method, "path": req.raw_path,
                 "protocol": "HTTP/1.1", "sourceIp": req.source_ip,
                 "userAgent": req.headers.get("user-agent", "")},
        "requestId": req.request_id, "routeKey": "$default", "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(req.now)),
        "timeEpoch": int(req.now * 1000),
    })
    event["requestContext"] = context
    if req.body:
        text = None
        if is_text(req.headers.get("content-type", "")):
            try:
                text = req.body.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        event["body"] = text if text is not None else base64.b64encode(req.body).decode()
        event["isBase64Encoded"] = text is None
    else:
        event["isBase64Encoded"] = False
    return event


@dataclass
class UrlResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def response_for(payload: bytes) -> UrlResponse:
    """The HTTP answer for what the function returned. A JSON object with a statusCode is a
    response (statusCode, headers, cookies, body, isBase64Encoded); any other JSON value is the
    body of a 200 application/json answer, written compactly ({"hello":"world"}, ["hello",3,true],
    3.1, true) and a string as its text unquoted (LocalStack's AWS-validated
    test_lambda_url_invocation, recorded 2025-11-24: Content-Length 17 for {"hello": "world"})."""
    try:
        value = json.loads(payload) if payload else None
    except ValueError:
        return UrlResponse(200, [("Content-Type", "application/json")], payload)
    if isinstance(value, str):
        return UrlResponse(200, [("Content-Type", "application/json")], value.encode())
    if not isinstance(value, dict) or "statusCode" not in value:
        compact = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
        return UrlResponse(200, [("Content-Type", "application/json")], compact)
    # A response that cannot be one (a status outside HTTP's, headers that are not an object,
    # cookies that are not a list) is the function's error: 502, as for a failed function.
    try:
        status = int(value["statusCode"])
    except (TypeError, ValueError):
        return function_error_response()
    function_headers = value.get("headers") or {}
    cookies = value.get("cookies") or []
    if isinstance(value["statusCode"], bool) or not 100 <= status <= 599 or not isinstance(function_headers, dict) \
            or not isinstance(cookies, list):
        return function_error_response()
    headers: list[tuple[str, str]] = []
    for name, header_value in function_headers.items():
        if str(name).lower() in _FRAMING_HEADERS:
            continue  # the body's length and coding are the endpoint's to say, for the body it sends
        headers.append((str(name), _header_text(header_value)))
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    for cookie in cookies:
        headers.append(("Set-Cookie", str(cookie)))
    body = value.get("body")
    if body is None:
        data = b""
    elif isinstance(body, str):
        data = body.encode()
        if value.get("isBase64Encoded"):
            try:
                data = base64.b64decode(body, validate=False)
            except ValueError:
                return function_error_response()
    else:
        data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return UrlResponse(status, headers, data)


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def function_error_response() -> UrlResponse:
    """A function that failed (or answered something that is not a response): 502, as Lambda
    answers it (LocalStack's AWS-validated test_lambda_url_invocation_exception)."""
    return UrlResponse(502, [("Content-Type", "application/json")], b"Internal Server Error")
