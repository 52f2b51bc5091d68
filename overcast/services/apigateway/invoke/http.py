"""HTTP and HTTP_PROXY integrations: a request to the backend URL, with the integration's
timeout (INTEGRATION_TIMEOUT, 504, when it passes)."""

from __future__ import annotations

import asyncio
import http.client
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from overcast.services.apigateway.invoke.errors import GatewayError, internal_error
from overcast.services.apigateway.invoke.lambda_ import substitute_stage_variables
from overcast.services.apigateway.invoke.pipeline import (
    IntegrationResult,
    Invocation,
    MethodResult,
    integration_request_body,
    request_mappings,
)

# Hop-by-hop headers and those the client connection owns are not forwarded. Of a client's
# headers an HTTP_PROXY integration passes on, AWS also drops these (LocalStack's AWS-validated
# TestApiGatewayHeaderRemapping, HTTP_PROXY no-param-integration: the client sent them, the backend
# did not see them).
_SKIP_REQUEST = {"host", "content-length", "connection", "transfer-encoding", "keep-alive", "expect",
                 "content-md5", "max-forwards", "proxy-authenticate", "server", "te", "trailer", "upgrade", "via",
                 "www-authenticate"}
# Headers a parameter mapping may name but that never reach the backend (the same snapshots'
# full-integration: mapped Connection, Expect, Proxy-Authenticate, TE and Via are missing, while
# mapped Trailer, Upgrade, Server or Max-Forwards arrive).
_DROPPED_MAPPED = {"connection", "expect", "proxy-authenticate", "te", "via", "keep-alive"}
_SKIP_RESPONSE = {"transfer-encoding", "keep-alive"}
# A proxied backend's own transport headers come back renamed, not dropped (LocalStack's
# AWS-validated TestApiGatewayHeaderRemapping: x-amzn-Remapped-Content-Length and the like).
_REMAPPED_RESPONSE = {"content-length": "Content-Length", "connection": "Connection", "date": "Date",
                      "server": "Server"}


def _backend_headers(inv: Invocation, headers: dict[str, str], proxy: bool) -> dict[str, str]:
    """What API Gateway adds to a request to an HTTP backend (LocalStack's AWS-validated
    test_http_integration_with_lambda): its API's id always; for a non-proxy integration also its
    own User-Agent and a JSON Accept, unless the integration mapped them."""
    headers = {name: value for name, value in headers.items() if name.lower() not in _DROPPED_MAPPED}
    present = {name.lower() for name in headers}
    added = {"X-Amzn-Apigateway-Api-Id": inv.api_id}
    if not proxy:
        added.update({"User-Agent": f"AmazonAPIGateway_{inv.api_id}", "Accept": "application/json"})
    return {**headers, **{name: value for name, value in added.items() if name.lower() not in present}}


def timeout_error() -> GatewayError:
    return GatewayError("INTEGRATION_TIMEOUT", 504, "Endpoint request timed out",
                        error_type="InternalServerErrorException",
                        raw_body=b'{"message": "Endpoint request timed out"}')


def build_url(inv: Invocation, integration: dict[str, Any], path_values: dict[str, str],
              query: list[tuple[str, str]]) -> str:
    url = substitute_stage_variables(integration.get("uri") or "", inv.stage_variables)
    for name, value in {**inv.path_params, **path_values}.items():
        safe = "/" if name in inv.path_params and inv.resource.get("path", "").endswith("{" + name + "+}") else ""
        url = url.replace("{" + name + "}", quote(value, safe=safe))
    if query:
        url += ("&" if "?" in url else "?") + urlencode(query)
    return url


def _send(method: str, url: str, headers: dict[str, str], body: bytes, timeout: float) -> tuple[int, list[tuple[str, str]], bytes]:
    parts = urlsplit(url)
    if not parts.hostname:
        # An integration URI that names no host (a stage variable left empty, say) fails like
        # any unreachable backend: the caller turns HTTPException into a 500.
        raise http.client.InvalidURL(f"no host in integration URL {url!r}")
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    try:
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        connection.request(method, target, body=body or None, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


async def send(inv: Invocation, integration: dict[str, Any], method: str, url: str, headers: dict[str, str],
               body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    timeout = (integration.get("timeoutInMillis") or 29000) / 1000
    inv.note(f"Sending request to {url}")
    try:
        return await asyncio.wait_for(asyncio.to_thread(_send, method, url, headers, body, timeout), timeout + 1)
    except TimeoutError:
        raise timeout_error() from None
    except (OSError, http.client.HTTPException) as exc:
        inv.note(f"Execution failed due to an error: {exc}")
        raise internal_error() from exc


async def http_proxy(inv: Invocation, integration: dict[str, Any]) -> MethodResult:
    mapped = request_mappings(inv, integration)
    headers = {k: v for k, v in inv.headers.items() if k not in _SKIP_REQUEST}
    headers.update(mapped.get("header", {}))
    headers = _backend_headers(inv, headers, proxy=True)
    query = list(inv.query) + list(mapped.get("querystring", {}).items())
    url = build_url(inv, integration, mapped.get("path", {}), query)
    method = inv.verb if (integration.get("httpMethod") or "ANY") == "ANY" else integration["httpMethod"]
    status, response_headers, body = await send(inv, integration, method, url, headers, inv.body)
    out = []
    for name, value in response_headers:
        lowered = name.lower()
        if lowered in _REMAPPED_RESPONSE:
            out.append((f"x-amzn-Remapped-{_REMAPPED_RESPONSE[lowered]}", value))
        elif lowered not in _SKIP_RESPONSE:
            out.append((name, value))
    return MethodResult(status, out, body)


async def http_integration(inv: Invocation, integration: dict[str, Any]) -> IntegrationResult:
    mapped = request_mappings(inv, integration)
    body = integration_request_body(inv, integration)
    # The template may have overridden parameters: $context.requestOverride.{header,querystring,path}.
    override = inv.context().get("requestOverride") or {}
    headers = {**mapped.get("header", {}), **{k: str(v) for k, v in (override.get("header") or {}).items()}}
    headers = _backend_headers(inv, headers, proxy=False)
    if inv.content_type and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = inv.content_type
    query = {**mapped.get("querystring", {}), **{k: str(v) for k, v in (override.get("querystring") or {}).items()}}
    path_values = {**mapped.get("path", {}), **{k: str(v) for k, v in (override.get("path") or {}).items()}}
    url = build_url(inv, integration, path_values, list(query.items()))
    method = integration.get("httpMethod") or inv.verb
    if method == "ANY":
        method = inv.verb
    status, response_headers, data = await send(inv, integration, method, url, headers, body)
    return IntegrationResult(status, dict(response_headers), data, str(status))
