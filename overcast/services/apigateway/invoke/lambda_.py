"""Lambda integrations: AWS_PROXY (payload format 1.0) and AWS (non-proxy, templates and
selectionPattern against errorMessage), plus AWS service actions through the internal client."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from overcast.protocol.errors import ServiceError
from overcast.services.apigateway.invoke.errors import bad_gateway, internal_error
from overcast.services.apigateway.invoke.permissions import execute_api_arns
from overcast.services.apigateway.invoke.pipeline import (
    IntegrationResult,
    Invocation,
    MethodResult,
    integration_request_body,
    is_binary,
)
from overcast.services.apigateway.invoke.s3_path import s3_path
from overcast.services.arns import arn_home

if TYPE_CHECKING:
    from overcast.services.apigateway.invoke.gateway import Gateway

PROXY_RESPONSE_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded", "cookies"}


def substitute_stage_variables(text: str, variables: dict[str, str]) -> str:
    if "${stageVariables." not in text:
        return text
    for name, value in variables.items():
        text = text.replace("${stageVariables." + name + "}", value)
    return text


def function_from_uri(uri: str, stage_variables: dict[str, str]) -> str | None:
    """The function ARN (maybe with an alias) inside a Lambda invocation URI."""
    uri = substitute_stage_variables(uri, stage_variables)
    marker = "/functions/"
    start = uri.find(marker)
    if start < 0:
        return None
    rest = uri[start + len(marker):]
    end = rest.rfind("/invocations")
    return rest[:end] if end >= 0 else rest


def proxy_event(inv: Invocation) -> dict[str, Any]:
    context = inv.context()
    # Names as the client wrote them, repeated headers as separate values (AWS keeps both);
    # `headers` holds the last value of each.
    sent = inv.request.raw_headers if inv.request is not None and inv.request.raw_headers is not None else None
    multi_headers: dict[str, list[str]] = {}
    for name, value in sent if sent is not None else inv.headers.items():
        if name.lower() == "authorization":
            # The one name AWS rewrites: 'authorization' or 'aUThorization' arrives as
            # Authorization, while 'tEsT-HEADeR' stays as sent (LocalStack's AWS-validated
            # test_lambda_aws_proxy_integration, recorded 2024).
            name = "Authorization"
        multi_headers.setdefault(name, []).append(value)
    headers = {name: values[-1] for name, values in multi_headers.items()}
    query = inv.querystring()
    binary = is_binary(inv.content_type, inv.snapshot.get("api", {}).get("binaryMediaTypes"))
    if inv.body:
        body: str | None = base64.b64encode(inv.body).decode() if binary else inv.body_text
    else:
        body = None
    request_context = {
        "resourceId": context["resourceId"], "resourcePath": context["resourcePath"], "httpMethod": inv.verb,
        "extendedRequestId": context["extendedRequestId"], "requestTime": context["requestTime"],
        "path": context["path"], "accountId": inv.account, "protocol": "HTTP/1.1", "stage": inv.stage_name,
        "domainPrefix": context["domainPrefix"], "requestTimeEpoch": context["requestTimeEpoch"],
        "requestId": inv.request_id, "identity": _event_identity(context["identity"]),
        "domainName": context["domainName"], "apiId": inv.api_id, "deploymentId": context["deploymentId"],
    }
    if inv.authorizer:
        request_context["authorizer"] = inv.authorizer
    return {
        "resource": context["resourcePath"], "path": inv.path, "httpMethod": inv.verb,
        "headers": headers or None, "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query or None, "multiValueQueryStringParameters": inv.multi_querystring() or None,
        "pathParameters": inv.path_params or None, "stageVariables": inv.stage_variables or None,
        "requestContext": request_context, "body": body, "isBase64Encoded": binary and body is not None,
    }


# Identity members AWS leaves out of a proxy event's requestContext.identity unless they have a
# value (an API key used, a client certificate presented); the others it sends as null.
_OPTIONAL_IDENTITY = ("apiKey", "apiKeyId", "clientCert")


def _event_identity(identity: dict[str, Any]) -> dict[str, Any]:
    out = dict(identity)
    for name in _OPTIONAL_IDENTITY:
        if out.get(name) is None:
            out.pop(name, None)
    return out


def integration_source_arns(inv: Invocation) -> tuple[str, ...]:
    """The execute-api ARNs API Gateway invokes a method's integration as (aws:SourceArn)."""
    verbs = (inv.verb, inv.method.get("httpMethod") or inv.verb)
    paths = (inv.path, inv.resource.get("path") or inv.path)
    return execute_api_arns(inv.region, inv.account, inv.api_id, inv.stage_name, verbs, paths)


async def invoke_function(gateway: Gateway, inv: Invocation, integration: dict[str, Any], payload: bytes,
                          source_arns: tuple[str, ...] | None = None, credentials: str | None = None) -> dict[str, Any]:
    """Invoke the function an integration (or authorizer) URI names, as API Gateway: allowed by
    the function's resource policy for `source_arns` (default: the method's ARN), or by a
    credentials role."""
    function = function_from_uri(integration.get("uri") or "", inv.stage_variables)
    if not function:
        raise internal_error()
    if not (credentials or integration.get("credentials")):
        arns = source_arns if source_arns is not None else integration_source_arns(inv)
        if not await gateway.lambda_permissions.allows(function, arns, *arn_home(function, inv.account, inv.region)):
            inv.note("Execution failed due to configuration error: Invalid permissions on Lambda function")
            raise internal_error()
    params: dict[str, Any] = {"FunctionName": function, "Payload": payload}
    try:
        account, region = arn_home(function, inv.account, inv.region)
        result = await gateway.internal.call("lambda", "Invoke", params, account_id=account, region=region)
    except ServiceError as exc:
        inv.note(f"Execution failed due to configuration error: {exc.message}")
        raise internal_error() from exc
    raw = result.get("Payload") or b""
    result["Payload"] = raw.encode() if isinstance(raw, str) else bytes(raw)
    return result


async def lambda_proxy(gateway: Gateway, inv: Invocation, integration: dict[str, Any]) -> MethodResult:
    if integration.get("httpMethod") != "POST":
        # Lambda is invoked by POST alone: another integration method fails the call
        # (LocalStack's AWS-validated test_lambda_aws_proxy_integration_non_post_method).
        inv.note("Execution failed due to configuration error: Lambda functions are invoked by POST")
        raise internal_error()
    event = proxy_event(inv)
    result = await invoke_function(gateway, inv, integration, json.dumps(event).encode())
    if result.get("FunctionError"):
        inv.note("Lambda execution failed with status 200 due to customer function error")
        raise bad_gateway()
    return proxy_response(inv, result["Payload"])


def proxy_response(inv: Invocation, payload: bytes) -> MethodResult:
    try:
        document = json.loads(payload or b"null")
    except ValueError:
        document = None
    if not isinstance(document, dict) or not set(document) <= PROXY_RESPONSE_KEYS:
        inv.note("Execution failed due to configuration error: Malformed Lambda proxy response")
        raise bad_gateway()
    status = document.get("statusCode", 200)
    body = document.get("body")
    headers = document.get("headers") or {}
    multi = document.get("multiValueHeaders") or {}
    if (not isinstance(status, int) or isinstance(status, bool)) and not (isinstance(status, str) and status.isdigit()):
        raise bad_gateway()
    if body is not None and not isinstance(body, str):
        raise bad_gateway()
    if not isinstance(headers, dict) or not isinstance(multi, dict):
        raise bad_gateway()
    data = (body or "").encode("utf-8")
    if document.get("isBase64Encoded") and body:
        try:
            data = base64.b64decode(body)
        except ValueError:
            raise bad_gateway() from None
    out: list[tuple[str, str]] = []
    for name, values in multi.items():
        if not isinstance(values, list):  # AWS answers 502 for {"multiValueHeaders": {"h": "v"}}
            raise bad_gateway()
        for value in values:
            out.append((name, scalar_text(value)))
    for name, value in headers.items():
        if not any(k.lower() == name.lower() for k, _ in out):
            out.append((name, scalar_text(value)))
    if not any(k.lower() == "content-type" for k, _ in out):
        out.append(("Content-Type", "application/json"))
    return MethodResult(int(status), out, data)


def scalar_text(value: Any) -> str:
    """A function's JSON scalar (a header value, an authorizer's context value) as API Gateway
    passes it on: booleans the JSON way, the rest as text."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def function_error_message(payload: str) -> str | None:
    """What a function error says: its errorMessage (None when it has none), or the payload
    itself when that is not a JSON object."""
    try:
        message = json.loads(payload).get("errorMessage")
    except (ValueError, AttributeError):
        return payload
    return None if message is None else str(message)


async def aws_integration(gateway: Gateway, inv: Invocation, integration: dict[str, Any]) -> IntegrationResult:
    uri = integration.get("uri") or ""
    parts = uri.split(":", 5)
    if len(parts) == 6 and parts[4] == "s3" and parts[5].startswith("path/"):
        return await s3_path(gateway, inv, integration, parts[5])
    body = integration_request_body(inv, integration)
    if ":lambda:path/" in uri:
        result = await invoke_function(gateway, inv, integration, body)
        text = result["Payload"].decode("utf-8", errors="replace")
        if result.get("FunctionError"):
            message = function_error_message(text)
            return IntegrationResult(200, {}, text, "" if message is None else message)
        return IntegrationResult(200, {}, text, None)
    return await service_action(gateway, inv, uri, body)


async def service_action(gateway: Gateway, inv: Invocation, uri: str, body: bytes) -> IntegrationResult:
    """arn:aws:apigateway:<region>:<service>:action/<Operation>: call Overcast's own service."""
    try:
        _, _, _, _, service, target = uri.split(":", 5)
    except ValueError:
        raise internal_error() from None
    if not target.startswith("action/"):
        raise internal_error()
    operation = target[len("action/"):].split("&")[0]
    try:
        params = json.loads(body) if body.strip() else {}
    except ValueError:
        params = {}
    try:
        output = await gateway.internal.call(service, operation, params, account_id=inv.account, region=inv.region)
        status, text = 200, json.dumps(output, default=_json_default)
    except ServiceError as exc:
        status = exc.status
        text = json.dumps({"__type": exc.code, "message": exc.message})
    return IntegrationResult(status, {"Content-Type": "application/json"}, text, str(status))


def _json_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if hasattr(value, "timestamp"):
        return value.timestamp()
    return str(value)
