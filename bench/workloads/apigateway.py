"""API Gateway (REST API v1) data plane: a MOCK integration answering from a response template.

The request is a plain HTTP GET on the stage URL, not an SDK call, so the boto3 mode uses one
keep-alive http.client connection and the server-bound mode replays raw bytes (`wire`). The API
is reached the AWS way, by Host header: {api_id}.execute-api.localhost:{port}/{stage}/{path}.
"""

from __future__ import annotations

import http.client
from typing import Any
from urllib.parse import urlsplit

from bench.workloads import Workload

STAGE = "bench"
PATH = "ping"
RESPONSE_TEMPLATE = '{"ok": true, "path": "$context.resourcePath"}'
PLACEHOLDER_ID = "00000000"  # servers without set-up (the do-nothing floor) answer any host

_api_ids: dict[str, str] = {}  # endpoint -> REST API id made by set-up
_connections: dict[str, http.client.HTTPConnection] = {}


def _setup(client: Any) -> None:
    api_id = client.create_rest_api(name="bench-mock", endpointConfiguration={"types": ["REGIONAL"]})["id"]
    root = next(r["id"] for r in client.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    resource = client.create_resource(restApiId=api_id, parentId=root, pathPart=PATH)["id"]
    client.put_method(restApiId=api_id, resourceId=resource, httpMethod="GET", authorizationType="NONE")
    client.put_integration(restApiId=api_id, resourceId=resource, httpMethod="GET", type="MOCK",
                           requestTemplates={"application/json": '{"statusCode": 200}'})
    client.put_method_response(restApiId=api_id, resourceId=resource, httpMethod="GET", statusCode="200")
    client.put_integration_response(restApiId=api_id, resourceId=resource, httpMethod="GET", statusCode="200",
                                    responseTemplates={"application/json": RESPONSE_TEMPLATE})
    client.create_deployment(restApiId=api_id, stageName=STAGE)
    _api_ids[client.meta.endpoint_url] = api_id


def _host(endpoint: str) -> str:
    api_id = _api_ids.get(endpoint, PLACEHOLDER_ID)
    return f"{api_id}.execute-api.localhost:{urlsplit(endpoint).port}"


def _call(client: Any, i: int) -> Any:
    endpoint = client.meta.endpoint_url
    connection = _connections.get(endpoint)
    if connection is None:
        parts = urlsplit(endpoint)
        connection = _connections[endpoint] = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", f"/{STAGE}/{PATH}", headers={"Host": _host(endpoint)})
        response = connection.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException):
        connection.close()
        del _connections[endpoint]
        raise
    if response.status != 200:
        raise AssertionError(f"HTTP {response.status}: {body[:200]!r}")
    return body


def _wire(endpoint: str, i: int) -> bytes:
    return f"GET /{STAGE}/{PATH} HTTP/1.1\r\nHost: {_host(endpoint)}\r\n\r\n".encode()


WORKLOADS = [
    Workload("apigw-mock", "API Gateway MOCK + response template", "apigateway", "apigateway", _setup, _call,
             distinct_requests=1, wire=_wire, min_response_body=len('{"ok": true}'), in_quick=False,
             client_label="1 client (http.client)"),
]
