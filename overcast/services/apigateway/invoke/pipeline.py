"""One invocation of a method, in AWS's order: method request validation, integration request
(parameter mappings, request template, passthrough behaviour), the integration, integration
response selection and mapping, method response. Routing, API keys, authorizers and the stage
cache happen before this, in gateway.py; failures become gateway responses there.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import re
import time
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from overcast.services.apigateway.invoke import vtl
from overcast.services.apigateway.invoke.errors import GatewayError, internal_error
from overcast.services.apigateway.invoke.mapping import (
    apply_mappings,
    select_response_template,
    select_template,
)

if TYPE_CHECKING:
    from overcast.server.http import Request
    from overcast.services.apigateway.invoke.gateway import Gateway


@dataclass
class Invocation:
    api_id: str
    account: str
    region: str
    stage_name: str
    stage_variables: dict[str, str]
    verb: str
    path: str  # the request path below the stage, percent-encoded: /pets/1
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    source_ip: str
    request_id: str
    snapshot: dict[str, Any]  # the deployment's (or, for TestInvokeMethod, the live) configuration
    resource: dict[str, Any] = field(default_factory=dict)
    method: dict[str, Any] = field(default_factory=dict)
    path_params: dict[str, str] = field(default_factory=dict)
    authorizer: dict[str, Any] = field(default_factory=dict)
    api_key: dict[str, Any] | None = None
    usage_identifier_key: str | None = None  # an authorizer's answer, for apiKeySource AUTHORIZER
    log: list[str] = field(default_factory=list)  # the execution log, kept when tracing
    tracing: bool = False  # TestInvokeMethod reports its log; invoke URLs do not pay for one
    request: Request | None = None  # the HTTP request of an invoke URL (AWS_IAM checks its signature)
    started: float = field(default_factory=time.time)
    extended_request_id: str | None = None  # x-amz-apigw-id; the request id where there is none
    deployment_id: str | None = None  # the deployment serving an invoke URL (none for TestInvokeMethod)
    _context: dict[str, Any] | None = None

    def set_authorizer(self, values: dict[str, Any]) -> None:
        self.authorizer = values
        if self._context is not None:  # the context may have been built for the authorizer's event
            self._context["authorizer"] = values

    def note(self, line: str) -> None:
        if self.tracing:
            self.log.append(line)

    def clock_now(self) -> float:
        return time.time()

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @cached_property
    def body_text(self) -> str:
        """The body read as text, decoded once: parameter mappings read it for every mapping
        (an S3 path/ PUT three times), and an uploaded image may be megabytes."""
        return self.body.decode("utf-8", errors="replace")

    def querystring(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in self.query:
            out[key] = value  # AWS keeps the last value of a repeated parameter
        return out

    def multi_querystring(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for key, value in self.query:
            out.setdefault(key, []).append(value)
        return out

    def method_request_sources(self) -> dict[str, Any]:
        return {
            "path": self.path_params, "querystring": self.querystring(), "header": self.headers,
            "multivaluequerystring": self.multi_querystring(),
            "multivalueheader": {k: [v.strip() for v in val.split(",")] for k, val in self.headers.items()},
            "body": self.body_text,
        }

    def context(self) -> dict[str, Any]:
        """`$context`, built once; templates may set requestOverride/responseOverride members."""
        if self._context is None:
            host = self.headers.get("host", "")
            api_key = self.api_key or {}
            # Fifteen constant keys make one presized dict (BUILD_CONST_KEY_MAP); a longer
            # literal is built key by key, which costs more on every templated request.
            context = {
                "accountId": self.account, "apiId": self.api_id, "httpMethod": self.verb,
                "stage": self.stage_name, "requestId": self.request_id,
                "extendedRequestId": self.extended_request_id or self.request_id, "deploymentId": self.deployment_id,
                "resourceId": self.resource.get("id"), "resourcePath": self.resource.get("path", "/"),
                "path": f"/{self.stage_name}{self.path}", "protocol": "HTTP/1.1",
                "requestTime": _request_time(int(self.started)), "requestTimeEpoch": int(self.started * 1000),
                "domainName": host, "domainPrefix": host.split(".")[0],
            }
            context["identity"] = {
                "sourceIp": self.source_ip, "userAgent": self.headers.get("user-agent"),
                "apiKey": api_key.get("value"), "apiKeyId": api_key.get("id"),
                "accountId": None, "caller": None, "user": None, "userArn": None, "accessKey": None,
                "cognitoIdentityPoolId": None, "cognitoIdentityId": None,
                "cognitoAuthenticationType": None, "cognitoAuthenticationProvider": None,
                "principalOrgId": None, "clientCert": None,
            }
            context["authorizer"] = self.authorizer
            context["requestOverride"] = {"header": {}, "querystring": {}, "path": {}}
            context["responseOverride"] = {"header": {}, "status": None}
            context["error"] = {}
            self._context = context
        return self._context

    def template_variables(self, body: str) -> dict[str, Any]:
        params = {"path": self.path_params, "querystring": self.querystring(), "header": self.headers}
        return {"input": vtl.InputVariable(body, params), "context": self.context(),
                "stageVariables": self.stage_variables, "method": {"request": {"path": self.path_params}}}


@lru_cache(maxsize=4)
def _request_time(second: int) -> str:
    """$context.requestTime; requests come many to a second, so each second is formatted once."""
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(second))


@dataclass
class IntegrationResult:
    """What a non-proxy integration answered, before the integration response maps it."""

    status: int  # the backend's status (HTTP), the mock's statusCode, 200 for Lambda
    headers: dict[str, str]
    body: str | bytes  # bytes as a backend (HTTP, S3) sent them; text where the integration made text
    selector: str | None  # what selectionPattern is matched against (None: use the default)

    @property
    def text(self) -> str:
        """The body as a template or mapping reads it: bytes decoded as UTF-8 (what is not UTF-8
        becomes U+FFFD, as AWS makes it of a text payload)."""
        body = self.body
        return body if isinstance(body, str) else body.decode("utf-8", errors="replace")


@dataclass
class MethodResult:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def response_payload(inv: Invocation, handling: str | None, result: IntegrationResult) -> str | bytes:
    """The integration response's payload for the method response: text as str, binary as bytes.

    The payload is binary when the integration response's Content-Type matches the API's
    binaryMediaTypes; the method response is asked for binary when the first type of the request's
    Accept header does. Without contentHandling a binary payload stays binary for a binary Accept
    and becomes base64 text otherwise, and a text payload stays text for a text Accept and is
    base64-decoded for a binary one; CONVERT_TO_TEXT makes text of either (base64 of a binary
    payload), CONVERT_TO_BINARY binary of either (a text payload base64-decoded, a 500 when it is
    not base64). ("Content type conversions in API Gateway"; LocalStack's AWS-validated
    TestApiGatewayS3BinarySupport response tests, an S3 GET with each of them.)
    """
    binary_types = inv.snapshot.get("api", {}).get("binaryMediaTypes")
    if not binary_types and handling != "CONVERT_TO_BINARY":
        return result.text
    accept = (inv.headers.get("accept") or "").split(",")[0]
    as_text = handling == "CONVERT_TO_TEXT" or (handling is None and not is_binary(accept, binary_types))
    content_type = next((v for k, v in result.headers.items() if k.lower() == "content-type"), None)
    if is_binary(content_type, binary_types):
        data = result.body if isinstance(result.body, bytes) else result.body.encode("utf-8")
        return base64.b64encode(data).decode("ascii") if as_text else data
    if as_text:
        return result.text
    return decode_base64(result.body)


# -- the method request ---------------------------------------------------------------------------


def validate_request(inv: Invocation) -> None:
    validator_id = inv.method.get("requestValidatorId")
    if validator_id:
        from overcast.services.apigateway.invoke.validation import validate

        validator = inv.snapshot.get("validators", {}).get(validator_id)
        if validator:
            validate(inv, validator)


# -- the integration request ----------------------------------------------------------------------


def unsupported_media_type() -> GatewayError:
    return GatewayError("UNSUPPORTED_MEDIA_TYPE", 415, "Unsupported Media Type",
                        error_type="UnsupportedMediaTypeException")


def integration_request_body(inv: Invocation, integration: dict[str, Any]) -> bytes:
    """The integration request's body as bytes (see integration_request_payload)."""
    payload = integration_request_payload(inv, integration)
    return payload.encode("utf-8") if isinstance(payload, str) else payload


def integration_request_payload(inv: Invocation, integration: dict[str, Any]) -> str | bytes:
    """The request template rendered, or the body passed through as passthroughBehavior allows:
    text as str, binary as bytes.

    The payload is binary when its Content-Type matches the API's binaryMediaTypes, text
    otherwise; contentHandling then converts it ("Content type conversions in API Gateway"):
    CONVERT_TO_TEXT base64-encodes a binary payload, CONVERT_TO_BINARY base64-decodes a text one
    (a 500 when it is not base64), and without it each stays what it is. Text is the body read as
    UTF-8, so bytes that are not UTF-8 arrive as U+FFFD (LocalStack's AWS-validated
    TestApiGatewayS3BinarySupport: a gzip body PUT as text reaches S3 99 bytes long, 67 as
    binary). A template is given text only: a binary payload that selects one fails with 500
    (the same tests: CONVERT_TO_BINARY with a matching application/json template).
    """
    templates = integration.get("requestTemplates")
    payload = _request_payload(inv, integration.get("contentHandling"))
    _, template = select_template(templates, inv.content_type)
    if template is None:
        behaviour = integration.get("passthroughBehavior") or "WHEN_NO_MATCH"
        if behaviour == "NEVER" or (behaviour == "WHEN_NO_TEMPLATES" and templates):
            raise unsupported_media_type()
        text = inv.body_text if payload is None else payload
        if inv.tracing:
            inv.note("Endpoint request body after transformations: "
                     + (text if isinstance(text, str) else text.decode("utf-8", errors="replace")))
        return text
    if isinstance(payload, bytes):
        inv.note("Execution failed due to configuration error: Unable to transform request")
        raise internal_error()
    # A request without a body is "{}" to a request template's $input.body, whatever its content
    # type (AWS's behaviour, recorded by LocalStack's validated tests, localstack#12413).
    rendered = render_for(inv, template, (inv.body_text if payload is None else payload) or "{}")
    inv.note("Endpoint request body after transformations: " + rendered)
    return rendered


def _request_payload(inv: Invocation, handling: str | None) -> str | bytes | None:
    """The method request's payload after contentHandling: bytes when binary, str when converted
    to text, None for the body as text unchanged (the common case, read lazily)."""
    if not inv.body:
        return None
    binary_types = inv.snapshot.get("api", {}).get("binaryMediaTypes")
    if binary_types and is_binary(inv.content_type, binary_types):
        return base64.b64encode(inv.body).decode("ascii") if handling == "CONVERT_TO_TEXT" else inv.body
    if handling == "CONVERT_TO_BINARY":
        return decode_base64(inv.body)
    return None


def decode_base64(data: str | bytes) -> bytes:
    """Base64 text as the bytes it encodes, or the 500 AWS answers when it is not base64.
    Characters outside the alphabet are skipped, as AWS skips them: a non-proxy Lambda function's
    JSON string result ("iVBOR...", quotes included) decodes to its image, while text whose
    letters do not make whole base64 quanta fails (the AWS-validated tests above)."""
    try:
        return base64.b64decode(data)
    except ValueError:
        raise internal_error() from None


def is_binary(content_type: str | None, binary_types: list[str] | None) -> bool:
    """Whether a media type is one of the API's binaryMediaTypes (wildcards allowed: image/*, */*)."""
    if not content_type or not binary_types:
        return False
    kind = content_type.split(";")[0].strip().lower()
    return any(fnmatch.fnmatchcase(kind, pattern.lower()) for pattern in binary_types)


def render(template: str, variables: dict[str, Any]) -> str:
    try:
        return vtl.render(template, variables)
    except vtl.TemplateError as exc:
        raise internal_error() from exc


def render_for(inv: Invocation, template: str, body: str) -> str:
    """A mapping template rendered for this invocation: constant templates and those with only
    $context/$stageVariables references by joining strings, the rest by the VTL engine."""
    simple = vtl.simple_template(template)
    if simple is not None:
        rendered = simple.render(inv.context, inv.stage_variables)
        if rendered is not None:
            return rendered
    return render(template, inv.template_variables(body))


def request_mappings(inv: Invocation, integration: dict[str, Any]) -> dict[str, dict[str, str]]:
    sources = {"method.request": inv.method_request_sources(), "context": inv.context(),
               "stageVariables": inv.stage_variables}
    return apply_mappings(integration.get("requestParameters"), "integration.request.", sources)


# -- the integration response ---------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _pattern(text: str) -> re.Pattern[str] | None:
    try:
        return re.compile(text, re.S)
    except re.error:
        return None


def _catch_all(pattern: str) -> bool:
    compiled = _pattern(pattern)
    return compiled is not None and all(compiled.fullmatch(probe) for probe in ("x", "\u2603 NotFound: 7\n"))


# id(integrationResponses) -> (that map, default response, [(compiled pattern, response)]). A
# deployment's snapshot never changes, so its maps are ordered once; the map itself is kept in
# the entry so that its id cannot be reused while the entry lives.
_ORDERED: dict[int, tuple[dict[str, Any], dict[str, Any] | None, list[tuple[re.Pattern[str], dict[str, Any]]]]] = {}


def _ordered_responses(options: dict[str, Any]) -> tuple[dict[str, Any] | None, list[tuple[re.Pattern[str], dict[str, Any]]]]:
    entry = _ORDERED.get(id(options))
    if entry is not None and entry[0] is options:
        return entry[1], entry[2]
    default = None
    candidates = []
    for code in sorted(options):
        response = options[code]
        pattern = response.get("selectionPattern")
        if not pattern:
            default = default or response
        else:
            candidates.append((_catch_all(pattern), code, response))
    ordered = [(compiled, response) for _, _, response in sorted(candidates, key=lambda c: (c[0], c[1]))
               if (compiled := _pattern(response["selectionPattern"])) is not None]
    if len(_ORDERED) >= 4096:
        _ORDERED.clear()
    _ORDERED[id(options)] = (options, default, ordered)
    return default, ordered


def select_integration_response(responses: dict[str, Any] | None, selector: str | None) -> dict[str, Any] | None:
    """The response whose selectionPattern matches `selector` whole; patterns that match anything
    (.*) are tried after the specific ones, so that a catch-all does not hide them."""
    if not responses:
        return None
    default, ordered = _ordered_responses(responses)
    if selector is None:
        return default
    for compiled, response in ordered:
        if compiled.fullmatch(selector):
            return response
    return default


def integration_response(inv: Invocation, integration: dict[str, Any], result: IntegrationResult) -> MethodResult:
    chosen = select_integration_response(integration.get("integrationResponses"), result.selector)
    if chosen is None:
        inv.note("Execution failed due to configuration error: No match for output mapping and no default "
                 "output mapping configured. Endpoint Response Status Code: " + str(result.status))
        raise internal_error()
    status = int(chosen["statusCode"])
    body = response_payload(inv, chosen.get("contentHandling"), result)
    mapped: dict[str, str] = {}
    if chosen.get("responseParameters"):
        sources = {"integration.response": {"header": result.headers, "body": result.text},
                   "method.request": inv.method_request_sources(), "context": inv.context(),
                   "stageVariables": inv.stage_variables}
        mapped = apply_mappings(chosen["responseParameters"], "method.response.", sources).get("header", {})
    content_type, template = select_response_template(chosen.get("responseTemplates"), inv.headers.get("accept"))
    if isinstance(body, bytes):
        if template:
            # A template is given text only, as on the request side (AWS answers a MOCK method
            # 500 once binaryMediaTypes is */*, which a client's Accept: */* then matches).
            inv.note("Execution failed due to configuration error: Unable to transform response")
            raise internal_error()
        # A binary payload passes through as the Accept header's type unless a mapping names one
        # (AWS answers a CONVERT_TO_BINARY method with the Accept header's type).
        headers = [("Content-Type", inv.headers.get("accept") or "application/octet-stream")]
        for name, value in mapped.items():
            headers = [(k, v) for k, v in headers if k.lower() != name.lower()]
            headers.append((name, str(value)))
        inv.note(f"Method response body after transformations: [Binary Data] ({len(body)} bytes)")
        return MethodResult(status, headers, body)
    if template:  # an empty template (null as AWS stores it) passes the body through
        body = render_for(inv, template, body)
    # Only a template can have set $context.responseOverride; without one there is none to read.
    override = (inv._context or {}).get("responseOverride") or {}
    if override.get("status"):
        try:
            status = int(override["status"])
        except (TypeError, ValueError):
            pass
    headers = [("Content-Type", content_type or "application/json")]
    extra = {**mapped, **(override.get("header") or {})} if mapped or override.get("header") else None
    for name, value in (extra or {}).items():
        headers = [(k, v) for k, v in headers if k.lower() != name.lower()]
        headers.append((name, str(value)))
    inv.note(f"Method response body after transformations: {body}")
    return MethodResult(status, headers, body.encode("utf-8"))


# -- dispatch ---------------------------------------------------------------------------------------


# Headers an integration request may not be given by a parameter mapping: PutIntegration takes
# the mapping, but every invocation then fails with 500 "Internal server error" (LocalStack's
# AWS-validated TestApiGatewayHeaderRemapping snapshots, recorded 2024: HTTP and HTTP_PROXY
# refuse the two framing headers; AWS and AWS_PROXY, which sign their own request, five more).
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding"})
_UNMAPPABLE_HEADERS = {
    "HTTP": _FRAMING_HEADERS, "HTTP_PROXY": _FRAMING_HEADERS,
    "AWS": _FRAMING_HEADERS | {"authorization", "connection", "expect", "proxy-authenticate", "te"},
}
_UNMAPPABLE_HEADERS["AWS_PROXY"] = _UNMAPPABLE_HEADERS["AWS"]
_HEADER_TARGET = "integration.request.header."


def _maps_unmappable_header(kind: str, integration: dict[str, Any]) -> bool:
    refused = _UNMAPPABLE_HEADERS.get(kind)
    return refused is not None and any(
        target[:len(_HEADER_TARGET)] == _HEADER_TARGET and target[len(_HEADER_TARGET):].lower() in refused
        for target in integration.get("requestParameters") or {})


async def run_integration(gateway: Gateway, inv: Invocation) -> MethodResult:
    validate_request(inv)
    integration = inv.method.get("methodIntegration")
    if integration is None:
        raise internal_error()
    kind = integration.get("type")
    if _maps_unmappable_header(kind or "", integration):
        raise internal_error()
    if inv.tracing:
        inv.note(f"Method request path: {inv.path_params}")
        inv.note(f"Method request query string: {inv.querystring()}")
    run = _integrations().get(kind or "")
    if run is None:
        raise internal_error()
    if kind == "MOCK":
        result = run(inv, integration)
    elif kind == "AWS_PROXY":  # proxies answer the method response themselves
        return await run(gateway, inv, integration)
    elif kind == "HTTP_PROXY":
        return await run(inv, integration)
    elif kind == "AWS":
        result = await run(gateway, inv, integration)
    else:
        result = await run(inv, integration)
    return integration_response(inv, integration, result)


_INTEGRATIONS: dict[str, Any] = {}


def _integrations() -> dict[str, Any]:
    """Integration type -> the function that runs it. The modules import this one, so they are
    imported on first use (once, not by a function-level import on every request)."""
    if not _INTEGRATIONS:
        from overcast.services.apigateway.invoke import http, lambda_, mock

        _INTEGRATIONS.update(MOCK=mock.mock_integration, AWS_PROXY=lambda_.lambda_proxy, HTTP_PROXY=http.http_proxy,
                             AWS=lambda_.aws_integration, HTTP=http.http_integration)
    return _INTEGRATIONS


def json_body(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
