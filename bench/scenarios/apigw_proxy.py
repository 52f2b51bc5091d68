"""API Gateway AWS_PROXY: the latency the gateway adds in front of a warm Python function.

added latency = p50(GET on the stage URL) - p50(direct Invoke of the same function). Both sides
are sent as raw bytes on one keep-alive connection each (the Invoke signed beforehand by botocore,
so no SDK cost is in either sample), alternating call by call so that both see the same drift of
a shared machine. The function answers a tiny proxy response.
"""

from __future__ import annotations

import json
import time
from typing import Any

from bench.capture import REGION, Signer, make_client
from bench.scenarios import Row, Scenario, ScenarioContext, metric, p50_ms
from bench.scenarios.lambda_envs import create_function
from bench.scenarios.rawhttp import RawConnection

FUNCTION = "bench-proxy"
STAGE = "bench"
PROXY_SOURCE = (
    "def handler(event, context):\n"
    "    return {'statusCode': 200, 'headers': {'Content-Type': 'application/json'}, 'body': '{\"ok\": true}'}\n"
)


def _setup(ctx: ScenarioContext) -> str:
    lam = make_client("lambda", ctx.endpoint, timeout=60)
    create_function(lam, FUNCTION, PROXY_SOURCE)
    arn = lam.get_function(FunctionName=FUNCTION)["Configuration"]["FunctionArn"]
    apigw = make_client("apigateway", ctx.endpoint)
    api_id = apigw.create_rest_api(name="bench-proxy", endpointConfiguration={"types": ["REGIONAL"]})["id"]
    root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    resource = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="hello")["id"]
    apigw.put_method(restApiId=api_id, resourceId=resource, httpMethod="GET", authorizationType="NONE")
    uri = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations"
    apigw.put_integration(restApiId=api_id, resourceId=resource, httpMethod="GET", type="AWS_PROXY",
                          integrationHttpMethod="POST", uri=uri)
    # As on AWS, the function's resource policy must let API Gateway invoke it.
    account = arn.split(":")[4]
    lam.add_permission(FunctionName=FUNCTION, StatementId=f"apigateway-{api_id}", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:{REGION}:{account}:{api_id}/*/GET/hello")
    apigw.create_deployment(restApiId=api_id, stageName=STAGE)
    return api_id


def _check(response: Any, what: str, expect: bytes) -> None:
    if response.status != 200 or expect not in response.body:
        raise AssertionError(f"{what}: HTTP {response.status} {response.body[:200]!r}")


def _added_latency(ctx: ScenarioContext) -> list[Row]:
    api_id = _setup(ctx)
    api_request = (f"GET /{STAGE}/hello HTTP/1.1\r\nHost: {api_id}.execute-api.localhost:{ctx.port}\r\n\r\n").encode()
    invoke_request = Signer("lambda", ctx.endpoint).sign(
        lambda client: client.invoke(FunctionName=FUNCTION, Payload=json.dumps({"path": "/hello"}).encode()))
    api, direct = RawConnection(ctx.port), RawConnection(ctx.port)
    for _ in range(20):  # warm both paths: environment, connections, caches
        _check(api.exchange(api_request)[0], "API call", b"ok")
        _check(direct.exchange(invoke_request)[0], "Invoke", b"statusCode")
    api_s: list[float] = []
    direct_s: list[float] = []
    count = 200 if ctx.quick else 1000
    stop_at = time.monotonic() + (5 if ctx.quick else 30)
    while len(api_s) < count and time.monotonic() < stop_at:
        response, elapsed = api.exchange(api_request)
        _check(response, "API call", b"ok")
        api_s.append(elapsed)
        response, elapsed = direct.exchange(invoke_request)
        _check(response, "Invoke", b"statusCode")
        direct_s.append(elapsed)
    api.close()
    direct.close()
    api_p50, direct_p50 = p50_ms(api_s), p50_ms(direct_s)
    added = api_p50 - direct_p50 if api_p50 is not None and direct_p50 is not None else None
    note = f"{len(api_s)} pairs, alternating; raw pre-signed Invoke vs GET on the stage URL"
    return [
        metric(PROXY, ctx, "p50 added latency (API call - direct Invoke)", added, "ms", "lower", note),
        metric(PROXY, ctx, "p50 API call through AWS_PROXY", api_p50, "ms", "lower"),
        metric(PROXY, ctx, "p50 direct Invoke (raw, pre-signed)", direct_p50, "ms", "lower"),
    ]


PROXY = Scenario("apigw-aws-proxy", "apigw-proxy", "apigateway", "API Gateway AWS_PROXY to warm Python",
                 _added_latency, unsupported={"moto": "moto's server has no REST API data plane (and needs Docker)"},
                 metrics=(("p50 added latency (API call - direct Invoke)", "ms", "lower"),
                          ("p50 API call through AWS_PROXY", "ms", "lower"),
                          ("p50 direct Invoke (raw, pre-signed)", "ms", "lower")))
SCENARIOS = [PROXY]
