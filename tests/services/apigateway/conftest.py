"""Fixtures for the API Gateway tests: a client on the shared server and a way to call invoke URLs."""

from __future__ import annotations

import http.client
import json
import uuid
from dataclasses import dataclass

import pytest


@pytest.fixture(scope="module")
def apigw(client_factory):
    return client_factory("apigateway")


@dataclass
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self):
        return json.loads(self.body)


def call(server, api_id: str, stage: str, path: str, method: str = "GET", body: bytes | str | None = None,
         headers: dict[str, str] | None = None, path_form: bool = False) -> HttpAnswer:
    """An HTTP request to an invoke URL: the execute-api Host form, or the /restapis path form."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    all_headers = dict(headers or {})
    if path_form:
        target = f"/restapis/{api_id}/{stage}/_user_request_{path}"
    else:
        target = f"/{stage}{path}"
        all_headers["Host"] = f"{api_id}.execute-api.localhost:{server.port}"
    if isinstance(body, str):
        body = body.encode()
    connection.request(method, target, body=body, headers=all_headers)
    response = connection.getresponse()
    answer = HttpAnswer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    connection.close()
    return answer


def new_api(apigw, **extra) -> tuple[str, str]:
    api = apigw.create_rest_api(name=f"api-{uuid.uuid4().hex[:8]}", **extra)
    return api["id"], api["rootResourceId"]


def allow_apigateway(lam, function: str, api_id: str, route: str | None, qualifier: str | None = None,
                     statement_id: str | None = None) -> None:
    """AddPermission as a user on AWS must give it: apigateway.amazonaws.com may invoke the
    function for `route` ("stage/VERB/path" with wildcards, or "authorizers/<id>"); any route of
    any API when `route` is None."""
    params = {"FunctionName": function, "StatementId": statement_id or f"apigw-{uuid.uuid4().hex[:8]}",
              "Action": "lambda:InvokeFunction", "Principal": "apigateway.amazonaws.com"}
    if route is not None:
        params["SourceArn"] = f"arn:aws:execute-api:us-east-1:000000000000:{api_id}/{route}"
    if qualifier:
        params["Qualifier"] = qualifier
    lam.add_permission(**params)


def mock_method(apigw, api_id: str, resource_id: str, verb: str = "GET", request_template: str = '{"statusCode": 200}',
                response_template: str | None = None, status: str = "200", **method_extra) -> None:
    apigw.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=verb,
                     **{"authorizationType": "NONE", **method_extra})
    apigw.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=verb, type="MOCK",
                          requestTemplates={"application/json": request_template})
    apigw.put_method_response(restApiId=api_id, resourceId=resource_id, httpMethod=verb, statusCode=status)
    templates = {"application/json": response_template} if response_template is not None else {}
    apigw.put_integration_response(restApiId=api_id, resourceId=resource_id, httpMethod=verb, statusCode=status,
                                   responseTemplates=templates)
