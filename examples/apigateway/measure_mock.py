"""Sets up an API Gateway target for a load generator: a REST API whose GET /ping is a MOCK
integration with a response mapping template, deployed to a stage, on a running Overcast.

    python examples/apigateway/measure_mock.py [--endpoint http://127.0.0.1:4566] [--stage bench]
                                               [--form path|host]

Prints one line, the invoke URL, after checking that it answers 200:
    path form (default; no DNS or Host header needed):
        http://127.0.0.1:4566/restapis/<apiId>/<stage>/_user_request_/ping
    host form (needs *.localhost to resolve to 127.0.0.1, or a Host header):
        http://<apiId>.execute-api.localhost:4566/<stage>/ping
Both forms reach the same deployment; each request runs the MOCK integration and renders the
response template (VTL), so the data plane does all its usual work except calling a backend.
"""

from __future__ import annotations

import argparse
import sys
import urllib.request
import uuid
from urllib.parse import urlsplit

import boto3

RESPONSE_TEMPLATE = ('{"message": "pong", "requestId": "$context.requestId", '
                     '"stage": "$context.stage", "path": "$context.resourcePath"}')


def create_mock_api(endpoint: str, stage: str) -> str:
    """The new API's id, deployed to `stage`."""
    apigw = boto3.client("apigateway", endpoint_url=endpoint, region_name="us-east-1",
                         aws_access_key_id="test", aws_secret_access_key="test")
    api = apigw.create_rest_api(name=f"measure-mock-{uuid.uuid4().hex[:8]}")
    api_id = api["id"]
    ping = apigw.create_resource(restApiId=api_id, parentId=api["rootResourceId"], pathPart="ping")["id"]
    apigw.put_method(restApiId=api_id, resourceId=ping, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=ping, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api_id, resourceId=ping, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api_id, resourceId=ping, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": RESPONSE_TEMPLATE})
    apigw.create_deployment(restApiId=api_id, stageName=stage)
    return api_id


def invoke_url(endpoint: str, api_id: str, stage: str, form: str) -> str:
    parts = urlsplit(endpoint)
    if form == "host":
        return f"{parts.scheme}://{api_id}.execute-api.localhost:{parts.port}/{stage}/ping"
    return f"{parts.scheme}://{parts.netloc}/restapis/{api_id}/{stage}/_user_request_/ping"


def check(endpoint: str, api_id: str, stage: str) -> None:
    """One request through the path form (it needs no name resolution), so that a URL is only
    printed once it works."""
    with urllib.request.urlopen(invoke_url(endpoint, api_id, stage, "path"), timeout=10) as response:
        if response.status != 200 or b'"pong"' not in response.read():
            raise SystemExit(f"the MOCK API answered {response.status}, not 200 with its template")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="http://127.0.0.1:4566", help="Overcast's URL")
    parser.add_argument("--stage", default="bench")
    parser.add_argument("--form", choices=("path", "host"), default="path", help="which invoke URL form to print")
    args = parser.parse_args(argv)
    api_id = create_mock_api(args.endpoint, args.stage)
    check(args.endpoint, api_id, args.stage)
    print(invoke_url(args.endpoint, api_id, args.stage, args.form))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
