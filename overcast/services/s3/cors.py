"""CORS for S3's REST endpoint: preflight OPTIONS answered from the bucket's rules, and the
Access-Control-* headers that actual requests carry when a rule matches their Origin.

`CorsEndpoint.matcher` is a data-plane matcher (like the website endpoint's) that takes S3
preflight requests; `CorsEndpoint.decorate` adds the headers to a finished S3 response. Rules
are read through the internal client (GetBucketCors), so this module knows no store.
"""

from __future__ import annotations

import fnmatch
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from overcast.protocol.errors import ServiceError
from overcast.server.http import Request, Response

if TYPE_CHECKING:
    from overcast.services.internal import InternalClient

_NOT_ENABLED = "CORSResponse: CORS is not enabled for this bucket."
_NOT_ALLOWED = ("CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, "
                "request method / Access-Control-Request-Method or Access-Control-Request-Headers are not "
                "whitelisted by the resource's CORS spec.")
_OTHER_DATA_PLANES = ("s3-website", "execute-api", "lambda-url", "cloudfront")
_S3_HOST = re.compile(r"^(?:(?P<bucket>.+?)\.)?s3(?:[.-][a-z0-9-]+)?\.(?:localhost|amazonaws\.com)$")


def _pattern_matches(pattern: str, value: str, case_insensitive: bool = False) -> bool:
    if case_insensitive:
        pattern, value = pattern.lower(), value.lower()
    return pattern == "*" or pattern == value or ("*" in pattern and fnmatch.fnmatchcase(value, pattern))


def matching_rule(rules: list[dict[str, Any]], origin: str, method: str,
                  request_headers: list[str]) -> dict[str, Any] | None:
    """The first rule allowing this origin, method and every requested header (AWS's order)."""
    for rule in rules:
        if not any(_pattern_matches(o, origin) for o in rule.get("AllowedOrigins") or []):
            continue
        if method not in (rule.get("AllowedMethods") or []):
            continue
        allowed_headers = rule.get("AllowedHeaders") or []
        if all(any(_pattern_matches(p, h, True) for p in allowed_headers) for h in request_headers):
            return rule
    return None


def allow_headers(rule: dict[str, Any], origin: str, request_headers: list[str] | None) -> list[tuple[str, str]]:
    wildcard = "*" in (rule.get("AllowedOrigins") or [])
    headers = [("Access-Control-Allow-Origin", "*" if wildcard else origin),
               ("Access-Control-Allow-Methods", ", ".join(rule.get("AllowedMethods") or []))]
    if not wildcard:
        headers.append(("Access-Control-Allow-Credentials", "true"))
    if request_headers:
        headers.append(("Access-Control-Allow-Headers", ", ".join(request_headers)))
    if rule.get("ExposeHeaders"):
        headers.append(("Access-Control-Expose-Headers", ", ".join(rule["ExposeHeaders"])))
    if rule.get("MaxAgeSeconds") is not None:
        headers.append(("Access-Control-Max-Age", str(rule["MaxAgeSeconds"])))
    headers.append(("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"))
    return headers


def bucket_of(request: Request) -> str | None:
    """The bucket an S3 REST request addresses (virtual-hosted or path style)."""
    match = _S3_HOST.match(request.host_name.lower())
    if match and match.group("bucket"):
        return match.group("bucket")
    if request.host_name.lower().endswith(".localhost") and not match:
        return request.host_name.lower()[: -len(".localhost")] or None
    segment = request.path.lstrip("/").split("/", 1)[0]
    return segment or None


def _error(status: int, code: str, message: str, method: str) -> Response:
    request_id = str(uuid.uuid4())
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{escape(message)}</Message>'
            f"<Method>{escape(method)}</Method><ResourceType>BUCKET</ResourceType>"
            f"<RequestId>{request_id}</RequestId></Error>")
    return Response(status=status, headers=[("Content-Type", "application/xml"), ("x-amz-request-id", request_id)],
                    body=body.encode())


class CorsEndpoint:
    def __init__(self, internal: InternalClient):
        self.internal = internal

    async def _rules(self, bucket: str) -> list[dict[str, Any]] | None:
        try:
            return (await self.internal.call("s3", "GetBucketCors", {"Bucket": bucket})).get("CORSRules") or []
        except ServiceError:
            return None

    def matcher(self, request: Request) -> Callable[[Request], Awaitable[Response]] | None:
        """Takes S3 preflights: OPTIONS with Access-Control-Request-Method, not for /_overcast/."""
        if request.method != "OPTIONS" or request.path.startswith("/_overcast/"):
            return None
        host = request.host_name.lower()
        if any(label in host for label in _OTHER_DATA_PLANES):
            return None
        # Browsers calling JSON-protocol services (Cognito, DynamoDB) preflight with these.
        if "x-amz-target" in request.headers.get("access-control-request-headers", "").lower():
            return None
        if bucket_of(request) is None:
            return None
        return self.preflight

    async def preflight(self, request: Request) -> Response:
        origin = request.headers.get("origin")
        method = request.headers.get("access-control-request-method", "")
        if not origin or not method:
            return _error(400, "BadRequest", "Insufficient information. Origin request header needed.", method)
        bucket = bucket_of(request)
        rules = await self._rules(bucket) if bucket else None
        if not rules:
            return _error(403, "AccessForbidden", _NOT_ENABLED, method)
        requested = [h.strip().lower() for h in request.headers.get("access-control-request-headers", "").split(",")
                     if h.strip()]
        rule = matching_rule(rules, origin, method, requested)
        if rule is None:
            return _error(403, "AccessForbidden", _NOT_ALLOWED, method)
        return Response(status=200, headers=allow_headers(rule, origin, requested), body=b"")

    async def decorate(self, request: Request, response: Response) -> None:
        """Add Access-Control-* headers to an S3 response whose request carried an Origin."""
        origin = request.headers.get("origin")
        if not origin:
            return
        bucket = bucket_of(request)
        rules = await self._rules(bucket) if bucket else None
        if not rules:
            return
        rule = matching_rule(rules, origin, request.method, [])
        if rule is not None:
            response.headers.extend(allow_headers(rule, origin, None))
