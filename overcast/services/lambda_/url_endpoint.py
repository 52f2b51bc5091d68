"""Where function URLs meet the server, before the AWS API chain sees them:

    http://<url-id>.lambda-url.<region>.localhost:4566/<path>
    http://localhost:4566/_overcast/lambda-url/<url-id>/<path>   (for clients that cannot set Host)

A request is answered as Lambda answers it: CORS preflights from the URL's Cors settings, then
the URL's auth type (AWS_IAM: a SigV4 signature, checked under --verify-signatures, and for
another account's caller the function's policy; NONE: resource-policy statements letting "*" call
lambda:InvokeFunctionUrl and lambda:InvokeFunction), then the function (the
alias's version for an alias's URL) runs with the payload format 2.0 event (url_payloads.py).
RESPONSE_STREAM URLs are answered buffered, once the function has finished.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import TYPE_CHECKING, Any

from overcast.protocol import sigv4
from overcast.protocol.errors import ServiceError
from overcast.server.http import BodyTooLarge, Request, Response
from overcast.services.lambda_.url_payloads import (
    UrlRequest,
    UrlResponse,
    build_event,
    function_error_response,
    response_for,
)

if TYPE_CHECKING:
    from overcast.services.lambda_.models import FunctionRecord, FunctionUrl
    from overcast.services.lambda_.provider import Provider
    from overcast.services.registry import ProviderRegistry

PATH_PREFIX = "/_overcast/lambda-url/"
_HOST = re.compile(r"^(?P<url_id>[A-Za-z0-9]+)\.lambda-url\.(?P<region>[a-z0-9-]+)\.")
MAX_REQUEST_BYTES = 6 * 1024 * 1024  # a synchronous invocation's payload limit

# Lambda's answers before a function runs (LocalStack's AWS-validated TestLambdaURL and
# TestLambdaPermissions tests, recorded 2025-11-24): an id that names no URL, and a request the
# URL's auth type refuses.
UNKNOWN_URL_BODY = b'{"Message":null}'
FORBIDDEN_BODY = json.dumps({"Message": "Forbidden. For troubleshooting Function URL authorization issues, see: "
                                        "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"},
                            separators=(",", ":")).encode()


def url_target(request: Request) -> tuple[str, str, str] | None:
    """(url id, path as sent, domain name) for a function URL request; None for anything else."""
    match = _HOST.match(request.headers.get("host", ""))
    if match is not None:
        return match["url_id"].lower(), request.path or "/", request.host_name
    if request.path.startswith(PATH_PREFIX):
        url_id, _, rest = request.path[len(PATH_PREFIX):].partition("/")
        return url_id.lower(), "/" + rest, ""
    return None


def _error(status: int, body: bytes, error_type: str) -> Response:
    return Response(status, [("Content-Type", "application/json"), ("x-amzn-RequestId", str(uuid.uuid4())),
                             ("x-amzn-ErrorType", error_type)], body)


class FunctionUrlEndpoint:
    """Mounted by the server (data_planes.py): serves every request for a function URL."""

    def __init__(self, registry: ProviderRegistry):
        self.registry = registry

    def matcher(self, request: Request):
        target = url_target(request)
        if target is None:
            return None

        async def handler(req: Request) -> Response:
            return await self.serve(req, *target)

        return handler

    async def serve_path_form(self, request: Request) -> Response:
        target = url_target(request) or ("", "/", "")
        return await self.serve(request, *target)

    def _provider(self) -> Provider:
        from overcast.services.lambda_.provider import Provider

        provider = self.registry.get("lambda")
        if not isinstance(provider, Provider):
            raise RuntimeError("the registry has no Lambda provider")
        return provider

    async def serve(self, request: Request, url_id: str, path: str, domain: str) -> Response:
        provider = self._provider()
        url = provider.store.urls.get(url_id)
        record = provider.store.get(url.account, url.region, url.name) if url is not None else None
        if url is None or record is None or (domain and f".lambda-url.{url.region}." not in domain):
            # A URL is served at its own Region's endpoint only: another Region's host names none.
            return _error(403, UNKNOWN_URL_BODY, "AccessDeniedException")
        cors = url.doc.get("Cors")
        origin = request.headers.get("origin")
        if (cors is not None and request.method == "OPTIONS" and origin
                and "access-control-request-method" in request.headers):
            # Lambda answers a browser's preflight itself, from the URL's Cors settings.
            return Response(200, [("Content-Type", "application/json"), *preflight_headers(cors, origin, request)],
                            b"")
        try:
            body = await request.body.read(MAX_REQUEST_BYTES)
        except BodyTooLarge:
            return _error(413, json.dumps({"Message": f"Request must be smaller than {MAX_REQUEST_BYTES} bytes "
                                                      "for the InvokeFunction operation"}).encode(),
                          "RequestEntityTooLargeException")
        account_id, authorizer, refusal = self._authorize(provider, request, url, record, body)
        if refusal is not None:
            return refusal
        request_id = str(uuid.uuid4())
        client = request.client[0] if request.client else "127.0.0.1"
        if not domain:
            domain = url.doc["FunctionUrl"].split("/")[2].rsplit(":", 1)[0]
        url_request = UrlRequest(
            url_id=url_id, method=request.method, raw_path=path, raw_query=request.query_string,
            query=request.query_list, headers=request.headers, body=body, domain_name=domain, source_ip=client,
            account_id=account_id, request_id=request_id, now=provider.clock.time(), authorizer=authorizer,
            extra_headers={"x-forwarded-for": client, "x-forwarded-proto": request.scheme,
                           "x-forwarded-port": _port_of(request)})
        answer = await self._invoke(provider, record, url, build_event(url_request), request_id)
        headers = answer.headers
        if cors is not None:
            # Lambda's CORS headers replace any the function set.
            headers = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
            if origin:
                headers.extend(response_cors_headers(cors, origin))
        headers.append(("x-amzn-RequestId", request_id))
        return Response(answer.status, headers, answer.body)

    def _authorize(self, provider: Provider, request: Request, url: FunctionUrl, record: FunctionRecord,
                   body: bytes) -> tuple[str, dict[str, Any] | None, Response | None]:
        """(the caller's account, the event's authorizer, None) or a refusal."""
        forbidden = _error(403, FORBIDDEN_BODY, "AccessDeniedException")
        if url.doc["AuthType"] == "AWS_IAM":
            auth = sigv4.parse_auth(request)
            if auth is None:
                return "", None, forbidden
            if provider.config.verify_signatures:
                secret = provider.config.credential_map.get(auth.access_key)
                if secret is None:
                    return "", None, forbidden
                try:
                    sigv4.verify(request, auth, secret, time.time(), body=body, service="lambda", protocol="rest-json",
                                 presign_now=provider.clock.time())
                except ServiceError as exc:
                    return "", None, _error(403, json.dumps({"Message": exc.message}).encode(), exc.code)
            account = sigv4.account_for_access_key(auth.access_key, url.account)
            if account != url.account and not allows_account_url(record.policy.get(url.qualifier) or [], account):
                # Another account's principal needs the function's resource-based policy as well
                # as its own identity policy (the developer guide, "Control access to Lambda
                # function URLs": cross-account AWS_IAM).
                return "", None, forbidden
            authorizer = {"iam": {"accessKey": auth.access_key, "accountId": account, "callerId": account,
                                  "cognitoIdentity": None, "principalOrgId": None,
                                  "userArn": f"arn:aws:iam::{account}:root", "userId": account}}
            return account, authorizer, None
        # The policy of the URL's target: the unqualified function's, or the alias's.
        statements = record.policy.get(url.qualifier) or []
        if not allows_public_url(statements):
            return "", None, forbidden
        return "anonymous", None, None

    async def _invoke(self, provider: Provider, record: FunctionRecord, url: FunctionUrl, event: dict[str, Any],
                      request_id: str) -> UrlResponse:
        from overcast.services.lambda_.invoke import InvalidRuntime
        from overcast.services.lambda_.runtime.pool import Throttled

        qualifier = url.qualifier or None
        try:
            version = provider.resolve_version(record, qualifier, for_invoke=True)
            result = await provider.run_invocation(
                record, version, json.dumps(event).encode(), request_id=request_id,
                qualified_arn=f"{record.arn}:{qualifier}" if qualifier else record.arn)
        except Throttled:
            return UrlResponse(429, [("Content-Type", "application/json"),
                                     ("x-amzn-ErrorType", "TooManyRequestsException")],
                               b'{"Message":"Rate Exceeded."}')
        except (InvalidRuntime, ServiceError):
            return function_error_response()
        if result.function_error:
            return function_error_response()
        return response_for(result.payload)


# What a resource-based policy must grant a function URL's caller. Since October 2025 a new
# function URL needs both actions (the developer guide, "Control access to Lambda function URLs":
# "new function URLs will require both lambda:InvokeFunctionUrl and lambda:InvokeFunction
# permissions"), each under no condition but the one AddPermission writes for it.
_URL_ACTIONS = {
    "lambda:InvokeFunctionUrl": lambda auth: {"StringEquals": {"lambda:FunctionUrlAuthType": auth}},
    "lambda:InvokeFunction": lambda auth: {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}},
}


def _grants(statement: dict[str, Any], action: str, auth_type: str, principal_ok: Any) -> bool:
    if statement.get("Effect") != "Allow" or statement.get("Action") not in (action, "lambda:*", "*"):
        return False
    principal = statement.get("Principal")
    named = principal.get("AWS") if isinstance(principal, dict) else principal
    if not any(principal_ok(name) for name in (named if isinstance(named, list) else [named])):
        return False
    condition = statement.get("Condition") or {}
    return not condition or condition == _URL_ACTIONS[action](auth_type)


def policy_allows_url(statements: list[dict[str, Any]], auth_type: str, principal_ok: Any) -> bool:
    """Whether the statements let a principal (`principal_ok` judges the names a statement's
    Principal gives) call a function URL of `auth_type`: both actions granted."""
    return all(any(_grants(statement, action, auth_type, principal_ok) for statement in statements)
               for action in _URL_ACTIONS)


def allows_public_url(statements: list[dict[str, Any]]) -> bool:
    """An AuthType NONE URL is open to anyone only when the policy grants "*" both actions (the
    statements AddPermission writes with --function-url-auth-type NONE and with
    --invoked-via-function-url)."""
    return policy_allows_url(statements, "NONE", lambda name: name == "*")


def allows_account_url(statements: list[dict[str, Any]], account: str) -> bool:
    """An AWS_IAM URL takes another account's principals only when the policy grants that
    account (its root or any of its principals) or "*" both actions (conditions Overcast cannot
    judge grant nothing)."""
    return policy_allows_url(statements, "AWS_IAM", lambda name: name in ("*", account) or (
        isinstance(name, str) and name.startswith(f"arn:aws:iam::{account}:")))


def _allowed_origin(cors: dict[str, Any], origin: str) -> str | None:
    allowed = cors.get("AllowOrigins") or []
    if "*" in allowed:
        return origin if cors.get("AllowCredentials") else "*"
    lowered = origin.lower()
    return origin if any(lowered == entry.lower() for entry in allowed) else None


def preflight_headers(cors: dict[str, Any], origin: str, request: Request) -> list[tuple[str, str]]:
    allow_origin = _allowed_origin(cors, origin)
    if allow_origin is None:
        return []
    headers = [("Access-Control-Allow-Origin", allow_origin)]
    methods = cors.get("AllowMethods") or []
    if methods:
        headers.append(("Access-Control-Allow-Methods", ",".join(methods)))
    allow_headers = cors.get("AllowHeaders") or []
    if allow_headers:
        headers.append(("Access-Control-Allow-Headers", ",".join(allow_headers)))
    if cors.get("AllowCredentials"):
        headers.append(("Access-Control-Allow-Credentials", "true"))
    if cors.get("MaxAge") is not None:
        headers.append(("Access-Control-Max-Age", str(cors["MaxAge"])))
    headers.append(("Vary", "Origin"))
    return headers


def response_cors_headers(cors: dict[str, Any], origin: str) -> list[tuple[str, str]]:
    allow_origin = _allowed_origin(cors, origin)
    if allow_origin is None:
        return []
    headers = [("Access-Control-Allow-Origin", allow_origin)]
    expose = cors.get("ExposeHeaders") or []
    if expose:
        headers.append(("Access-Control-Expose-Headers", ",".join(expose)))
    if cors.get("AllowCredentials"):
        headers.append(("Access-Control-Allow-Credentials", "true"))
    headers.append(("Vary", "Origin"))
    return headers


def _port_of(request: Request) -> str:
    host = request.headers.get("host", "")
    if ":" in host and not host.endswith("]"):
        return host.rsplit(":", 1)[1]
    return "443" if request.scheme == "https" else "80"
