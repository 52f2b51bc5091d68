"""The data plane of API Gateway: serves invoke URLs and TestInvokeMethod.

Route tables are compiled once per deployment (deployments never change); templates are
compiled once per text (vtl.compile_template). Stage caches, authorizer results and throttling
buckets live here, in memory, as on AWS they live outside the API's configuration.
"""

from __future__ import annotations

import logging
import os
import random
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from overcast.server.context import RequestContext
from overcast.server.http import BodyTooLarge, Request, Response
from overcast.services.apigateway.invoke import limits
from overcast.services.apigateway.invoke.auth import authorize
from overcast.services.apigateway.invoke.errors import GatewayError, internal_error, missing_token
from overcast.services.apigateway.invoke.permissions import LambdaPermissions
from overcast.services.apigateway.invoke.pipeline import Invocation, MethodResult, run_integration
from overcast.services.apigateway.invoke.responses import gateway_response
from overcast.services.apigateway.invoke.router import Router, path_params_for

if TYPE_CHECKING:
    from overcast.services.apigateway.provider import Provider

log = logging.getLogger("overcast.apigateway")
_FORBIDDEN_BODY = b'{"message":"Forbidden"}'
MAX_PAYLOAD = 10 * 1024 * 1024  # REST APIs take payloads up to 10 MB


def new_request_ids() -> tuple[str, str]:
    """(request id, extended request id) from one read of the random source. The request id is
    a random (version 4) UUID, spelled as uuid4() spells it, for half uuid4's cost; the extended
    one has the shape of AWS's x-amz-apigw-id header, which carries $context.extendedRequestId:
    16 characters, the last '=' (AWS's are base64; hex digits are a subset, and cheaper)."""
    h = os.urandom(24).hex()
    return (f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}",
            h[32:47] + "=")


_VARIANT = "89ab"


class Gateway:
    def __init__(self, provider: Provider):
        self.provider = provider
        self.internal = provider.runtime.internal
        self.lambda_permissions = LambdaPermissions(self.internal)
        self.routers: dict[tuple[str, str], Router] = {}
        self.buckets: dict[tuple, limits.TokenBucket] = {}
        self.authorizer_cache: dict[tuple, tuple[float, dict[str, Any]]] = {}
        self.log_streams: set[tuple[str, str]] = set()
        # (api, stage) -> {cache key: (expiry, result)}
        self.stage_caches: dict[tuple[str, str], dict[tuple, tuple[float, MethodResult]]] = {}

    # -- caches --------------------------------------------------------------------------------

    def router_for(self, api_id: str, deployment: dict[str, Any]) -> Router:
        key = (api_id, deployment["id"])
        router = self.routers.get(key)
        if router is None:
            router = self.routers[key] = Router(deployment["snapshot"]["resources"])
        return router

    def flush_cache(self, api_id: str, stage: str) -> None:
        self.stage_caches.pop((api_id, stage), None)

    def flush_authorizer_cache(self, api_id: str, stage: str) -> None:
        for key in [k for k in self.authorizer_cache if k[0] == api_id and k[1] == stage]:
            del self.authorizer_cache[key]

    # -- invoke URLs ---------------------------------------------------------------------------

    async def handle(self, request: Request, api_id: str, stage_name: str, path: str) -> Response:
        request_id, extended_id = new_request_ids()
        found = self.provider.store.find_api(api_id)
        stage = deployment = None
        if found is not None:
            account, region, doc = found
            stage = doc["stages"].get(stage_name)
            if stage is not None:
                deployment = doc["deployments"].get(stage.get("deploymentId"))
                canary = stage.get("canarySettings") or {}
                stage_variables = stage.get("variables") or {}
                if canary.get("deploymentId") and random.random() * 100 < float(canary.get("percentTraffic") or 0):
                    # A canary request runs the canary's deployment with its variable overrides.
                    deployment = doc["deployments"].get(canary["deploymentId"], deployment)
                    stage_variables = {**stage_variables, **(canary.get("stageVariableOverrides") or {})}
        if deployment is None or stage is None:
            return Response(403, [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id),
                                  ("x-amzn-ErrorType", "ForbiddenException"), ("x-amz-apigw-id", extended_id)],
                            _FORBIDDEN_BODY)
        try:
            body = await request.body.read(limit=MAX_PAYLOAD)
        except BodyTooLarge:
            return Response(413, [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id),
                                  ("x-amzn-ErrorType", "RequestTooLargeException"), ("x-amz-apigw-id", extended_id),
                                  ("connection", "close")],
                            b'{"message":"Request Too Long"}')
        inv = Invocation(
            api_id=api_id, account=account, region=region, stage_name=stage_name,
            stage_variables=stage_variables, verb=request.method.upper(), path=path,
            query=request.query_list if request.query_string else [], headers=request.headers, body=body,
            source_ip=request.client[0] if request.client else "127.0.0.1", request_id=request_id,
            snapshot=deployment["snapshot"], request=request, extended_request_id=extended_id,
            deployment_id=deployment.get("id"),
        )
        try:
            result = await self._invoke(inv, self.router_for(api_id, deployment), stage)
        except GatewayError as err:
            result = gateway_response(inv, err)
        except Exception:
            log.exception("API Gateway invocation of %s %s failed", api_id, path)
            result = gateway_response(inv, internal_error())
        if stage.get("accessLogSettings"):
            from overcast.services.apigateway.invoke.access_log import log_access

            log_access(self, inv, stage, result.status, len(result.body))
        headers = result.headers
        headers.append(("x-amzn-RequestId", request_id))
        headers.append(("x-amz-apigw-id", extended_id))
        return Response(result.status, headers, result.body)

    async def _invoke(self, inv: Invocation, router: Router, stage: dict[str, Any]) -> MethodResult:
        route = router.match(inv.path, inv.verb)
        if route is None or route.method is None:
            raise missing_token()
        # The route is cached and shared; templates may change the parameters they are given.
        inv.resource, inv.method = route.resource, route.method
        if route.path_params:
            inv.path_params = dict(route.path_params)
        # Most methods need no API key: the API's key source is looked up only for those that do.
        key_source = (inv.snapshot.get("api", {}).get("apiKeySource") or "HEADER"
                      if inv.method.get("apiKeyRequired") else None)
        if key_source == "HEADER":
            limits.check_api_key(self, inv, inv.headers.get("x-api-key"))
        await authorize(self, inv)
        if key_source == "AUTHORIZER":
            limits.check_api_key(self, inv, inv.usage_identifier_key)
        setting = limits.method_setting(stage, inv)
        if setting:
            limits.check_stage_throttle(self, inv, setting)
        caching = bool(stage.get("cacheClusterEnabled") and setting.get("cachingEnabled"))
        if not caching:
            return await run_integration(self, inv)
        return await self._cached(inv, setting)

    async def _cached(self, inv: Invocation, setting: dict[str, Any]) -> MethodResult:
        integration = inv.method.get("methodIntegration") or {}
        sources = inv.method_request_sources()
        parts = []
        for name in integration.get("cacheKeyParameters") or []:
            location, _, key = name[len("method.request."):].partition(".")
            values = sources.get(location) or {}
            parts.append((name, values.get(key.lower() if location == "header" else key)))
        key = (inv.verb, inv.resource.get("path"), tuple(parts))
        cache = self.stage_caches.setdefault((inv.api_id, inv.stage_name), {})
        bypass = "max-age=0" in (inv.headers.get("cache-control") or "").replace(" ", "")
        hit = cache.get(key)
        now = time.monotonic()
        if hit is not None and hit[0] > now and not bypass:
            cached = hit[1]
            return MethodResult(cached.status, list(cached.headers), cached.body)
        result = await run_integration(self, inv)
        ttl = setting.get("cacheTtlInSeconds", 300)
        if ttl and 200 <= result.status < 300:
            cache[key] = (now + ttl, MethodResult(result.status, list(result.headers), result.body))
        return result

    # -- TestInvokeAuthorizer ------------------------------------------------------------------

    async def test_authorizer(self, ctx: RequestContext, doc: dict[str, Any], authorizer: dict[str, Any],
                              params: dict[str, Any]) -> dict[str, Any]:
        import json

        from overcast.services.apigateway.invoke.auth import call_authorizer

        started = time.perf_counter()
        split = urlsplit(params.get("pathWithQueryString") or "/")
        headers = {k.lower(): v for k, v in (params.get("headers") or {}).items()}
        inv = Invocation(
            api_id=doc["api"]["id"], account=ctx.account_id, region=ctx.region, stage_name="test-invoke-stage",
            stage_variables=params.get("stageVariables") or {}, verb="GET", path=split.path or "/",
            query=parse_qsl(split.query, keep_blank_values=True), headers=headers,
            body=(params.get("body") or "").encode(), source_ip="test-invoke-source-ip",
            request_id=ctx.request_id, snapshot=doc,
        )
        arn = f"arn:aws:execute-api:{ctx.region}:{ctx.account_id}:{inv.api_id}/ESTestInvoke-stage/GET/"
        out: dict[str, Any] = {}
        try:
            result = await call_authorizer(self, inv, authorizer, arn, use_cache=False)
        except GatewayError as err:
            out["clientStatus"] = err.status
        else:
            out.update(clientStatus=200, principalId=result.get("principalId"),
                       policy=json.dumps(result.get("policyDocument")),
                       authorization={k: [str(v)] for k, v in (result.get("context") or {}).items()})
        out["log"] = f"Execution log for request {ctx.request_id}\n"
        out["latency"] = int((time.perf_counter() - started) * 1000)
        return out

    # -- TestInvokeMethod ----------------------------------------------------------------------

    async def test_invoke(self, ctx: RequestContext, doc: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        resource = doc["resources"][params["resourceId"]]
        verb = params["httpMethod"].upper()
        target = params.get("pathWithQueryString") or resource["path"]
        split = urlsplit(target)
        headers = {k.lower(): v for k, v in (params.get("headers") or {}).items()}
        for name, values in (params.get("multiValueHeaders") or {}).items():
            headers[name.lower()] = ",".join(values)
        inv = Invocation(
            api_id=doc["api"]["id"], account=ctx.account_id, region=ctx.region, stage_name="test-invoke-stage",
            stage_variables=params.get("stageVariables") or {}, verb=verb, path=split.path or "/",
            query=parse_qsl(split.query, keep_blank_values=True), headers=headers,
            body=(params.get("body") or "").encode(), source_ip="test-invoke-source-ip",
            request_id=ctx.request_id, snapshot=doc, tracing=True,
        )
        inv.resource = resource
        inv.method = resource["resourceMethods"][verb]
        inv.path_params = path_params_for(resource["path"], inv.path)
        inv.note(f"Execution log for request {ctx.request_id}")
        inv.note(f"Starting execution for request: {ctx.request_id}")
        inv.note(f"HTTP Method: {verb}, Resource Path: {inv.path}")
        try:
            result = await run_integration(self, inv)
        except GatewayError as err:
            result = gateway_response(inv, err)
        except Exception:  # noqa: BLE001 - a test invocation reports, never fails the API call
            result = gateway_response(inv, internal_error())
        inv.note(f"Method completed with status: {result.status}")
        merged: dict[str, list[str]] = {}
        for name, value in result.headers:
            merged.setdefault(name, []).append(value)
        return {
            "status": result.status, "body": result.body.decode("utf-8", errors="replace"),
            "headers": {k: v[-1] for k, v in merged.items()}, "multiValueHeaders": merged,
            "log": "\n".join(inv.log) + "\n", "latency": int((time.perf_counter() - started) * 1000),
        }
